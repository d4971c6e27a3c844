"""Periodic jobs of the service centers: appointment no-shows and reminders every 5 minutes; the
demo's live hall every minute (a no-op unless ``CENTERS_DEMO_HALL`` names a center)."""

from __future__ import annotations

import datetime
from typing import Any

from onewindow.core import scheduling

from . import demo_names as N
from .reminder_feed import centers_reminders_sync
from .services.demo_hall import HallProfile
from .tasks import centers_appointment_upkeep, centers_demo_hall, demo_hall_codes


def demo_hall_profile() -> HallProfile:
    """The demo history's arrival and service profile (``demo_names``, the tables
    ``centers.demo.history`` draws from), for the live hall. Built here: ``demo_names`` sits in the
    composition layer, above the services that play the hall."""
    return HallProfile(
        base_visits=N.BASE_VISITS, weekday_factor=tuple(N.WEEKDAY_FACTOR),
        adjusted_workday_factor=N.ADJUSTED_WORKDAY_FACTOR, month_factor=dict(N.MONTH_FACTOR),
        categories={p: (share, median) for p, _n, median, share, _s in N.CATEGORIES},
        month_boost=dict(N.CATEGORY_MONTH_BOOST), quarter_weights=tuple(N.QUARTER_WEIGHTS))


class _DemoHallJob:
    """Enqueues the live-hall task with the demo's profile (the scheduler calls ``enqueue()``)."""

    def enqueue(self) -> Any:
        if not demo_hall_codes():  # off (production): nothing is queued at all
            return None
        return centers_demo_hall.enqueue(demo_hall_profile().as_json())


scheduling.register("centers.appointment_upkeep", every=datetime.timedelta(minutes=5), task=centers_appointment_upkeep)

scheduling.register("centers.reminders_sync", every=datetime.timedelta(minutes=10), task=centers_reminders_sync)

scheduling.register("centers.demo_hall", every=datetime.timedelta(minutes=1), task=_DemoHallJob())
