"""Periodic jobs of 好差评: remind the handlers of due follow-ups (hourly; once a day per follow-up)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .reminder_feed import ratings_reminders_sync
from .tasks import ratings_remind_followups

scheduling.register("ratings.followups_remind", every=datetime.timedelta(hours=1), task=ratings_remind_followups)

scheduling.register("ratings.reminders_sync", every=datetime.timedelta(hours=1), task=ratings_reminders_sync)
