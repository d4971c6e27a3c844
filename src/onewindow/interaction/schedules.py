"""Periodic jobs of interaction: the reminders of unanswered and overdue questions."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import question_reminders_sync

scheduling.register("interaction.question_reminders", every=datetime.timedelta(minutes=15),
                    task=question_reminders_sync)
