"""Periodic jobs of the service centers: appointment no-shows and reminders every 5 minutes; the
demo's live hall every minute (a no-op unless ``CENTERS_DEMO_HALL`` names a center)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .reminder_feed import centers_reminders_sync
from .tasks import centers_appointment_upkeep, centers_demo_hall

scheduling.register("centers.appointment_upkeep", every=datetime.timedelta(minutes=5), task=centers_appointment_upkeep)

scheduling.register("centers.reminders_sync", every=datetime.timedelta(minutes=10), task=centers_reminders_sync)

scheduling.register("centers.demo_hall", every=datetime.timedelta(minutes=1), task=centers_demo_hall)
