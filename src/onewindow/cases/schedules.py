"""Periodic jobs of case handling: the deadline check every 10 minutes."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .reminder_feed import cases_reminders_sync
from .tasks import cases_check_deadlines

scheduling.register("cases.deadlines_check", every=datetime.timedelta(minutes=10), task=cases_check_deadlines)

scheduling.register("cases.reminders_sync", every=datetime.timedelta(minutes=10), task=cases_reminders_sync)
