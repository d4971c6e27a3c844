"""Background tasks of the big-data display (django.tasks); the scheduler enqueues the periodic
ones (``schedules.py``). Staleness (数据延迟) is not a task: it is computed when the snapshot is
read, from the sources' last buckets (issue #16 part 2)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="live")
def bigscreen_crowd_simulate() -> dict[str, int]:
    """The simulated 南京西路商圈 feed (issue #16 part 7): every active simulator source sends each
    closed bucket it has not sent yet, up to now, through the ingest service — a catch-up after
    downtime reaches back at most one day. Run every minute, so the demo's screens move; a re-run
    sends nothing twice."""
    from .services.simulate import simulate_sources_send

    return simulate_sources_send()
