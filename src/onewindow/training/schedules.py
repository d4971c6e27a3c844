"""Periodic jobs of training: reminding invited clerks of their coming sessions every 30 minutes."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .reminder_feed import training_reminders_sync

scheduling.register("training.reminders_sync", every=datetime.timedelta(minutes=30), task=training_reminders_sync)
