"""Background tasks of core (django.tasks); the scheduler enqueues the periodic ones."""

from __future__ import annotations

from django_tasks import task

from .audit import audit_seal_pending


@task()
def audit_seal() -> int:
    """Seal new audit entries into the hash chain (run every 10 s by ``core_scheduler``)."""
    return audit_seal_pending()


@task()
def idempotency_purge_old() -> int:
    """Delete idempotency keys past their keeping period (run hourly)."""
    from .idempotency import idempotency_purge

    return idempotency_purge()


@task()
def export_purge() -> int:
    """Expire export jobs past their 24 hours and delete their files (run hourly)."""
    from .exports import export_purge_expired

    return export_purge_expired()
