"""Background tasks of analytics (django.tasks); the scheduler enqueues the periodic ones (schedules.py)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services.rollups import rollup_update


@task()
def rollups_update() -> dict[str, Any]:
    """Bring the rollups up to date with the events written since the last run (every 5 minutes;
    issue #14 part 1, decision 0017)."""
    run = rollup_update()
    return {"run": run.pk, "events": run.events, "partitions": run.partitions}
