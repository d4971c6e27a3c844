"""Background tasks of the service centers; the scheduler runs them."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django_tasks import task

from onewindow.core.actors import system_actor

from .services import appointments_mark_no_shows, appointments_send_reminders
from .services.demo_hall import HallProfile, demo_hall_tick


@task()
def centers_appointment_upkeep() -> dict[str, int]:
    """Mark no-shows and send the appointment reminders (every 5 minutes)."""
    by = system_actor("centers_appointment_upkeep")
    return {"no_shows": appointments_mark_no_shows(by=by), "reminders": appointments_send_reminders()}


def demo_hall_codes() -> list[str]:
    """The center codes named by ``CENTERS_DEMO_HALL`` (comma-separated; a list is accepted too)."""
    value = getattr(settings, "CENTERS_DEMO_HALL", "") or ""
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(code).strip() for code in items if str(code).strip()]


@task(queue_name="live")
def centers_demo_hall(profile: dict[str, Any], now: str | None = None) -> dict[str, dict[str, int]]:
    """The demo's live hall (every minute; ``centers.schedules`` passes the demo's profile, see
    ``HallProfile.as_json``): a no-op unless ``CENTERS_DEMO_HALL`` names centers; ``now`` (ISO
    8601) for a replay at a given moment."""
    codes = demo_hall_codes()
    if not codes:
        return {}
    moment = datetime.datetime.fromisoformat(now) if now else None
    hall = HallProfile.from_json(profile)
    return {code: demo_hall_tick(center_code=code, profile=hall, now=moment) for code in codes}
