"""Background tasks of market (django.tasks); the scheduler enqueues the periodic ones (schedules.py)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from onewindow.core.actors import system_actor

from .services import records


@task()
def market_records_match() -> dict[str, Any]:
    """Attach the records of the matching queue (待匹配) whose entity has registered since they
    arrived (issue #11 part 3: records with an unknown credit code are never dropped)."""
    return {"matched": records.records_match_pending(system_actor("market.records_match"))}


@task()
def market_entities_export(job_id: int) -> dict[str, Any]:
    """Build the xlsx of a large registry lookup export (信息共享 导出) for its requester, a chunk
    at a time with its progress recorded (``core.ExportJob``)."""
    from .exports import entities_export_run

    return entities_export_run(job_id)
