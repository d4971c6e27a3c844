"""Background tasks of taxqr (django.tasks); the scheduler enqueues the periodic ones."""

from __future__ import annotations

from django_tasks import task


@task()
def summary_archive_daily() -> int:
    """Archive yesterday's summary list (汇总清单, PDF and xlsx) of every tax bureau (资料归档).

    Run hourly by ``core_scheduler``; a bureau and day already archived are skipped. Returns the
    number of files written.
    """
    from .exports import summary_archive_daily as archive

    return len(archive())
