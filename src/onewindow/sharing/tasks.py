"""Background tasks of data sharing (django.tasks); the scheduler enqueues the periodic ones (schedules.py)."""

from __future__ import annotations

from django_tasks import task

from .services.log import log_seal_pending


@task()
def log_seal() -> int:
    """Seal new exchange log entries into the hash chain and checkpoint the head (every minute;
    issue #13: the log is hash-chained like the audit trail)."""
    return log_seal_pending()
