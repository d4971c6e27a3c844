"""Background tasks of interaction (django.tasks); the scheduler enqueues them (schedules.py)."""

from __future__ import annotations

from django_tasks import task

from . import reminder_feed


@task()
def question_reminders_sync() -> int:
    """Re-assert the reminders of open questions, marking the overdue ones (every 15 minutes)."""
    return reminder_feed.sync_open()
