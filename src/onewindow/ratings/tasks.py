"""Background tasks of 好差评: daily follow-up reminders."""

from __future__ import annotations

from django_tasks import task

from .services import followups_remind


@task()
def ratings_remind_followups() -> int:
    return followups_remind()
