"""Background tasks of case handling (django.tasks); the scheduler enqueues the periodic ones."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import deadlines_check


@task()
def cases_check_deadlines() -> dict[str, Any]:
    """Raise deadline warnings and apply deemed acceptance (every 10 minutes)."""
    return deadlines_check()
