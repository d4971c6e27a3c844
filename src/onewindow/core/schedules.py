"""Periodic jobs of core: seal the audit trail every 10 seconds, purge old idempotency keys and
expired export jobs hourly."""

from __future__ import annotations

import datetime

from . import scheduling
from .tasks import audit_seal, export_purge, idempotency_purge_old

scheduling.register("core.audit_seal", every=datetime.timedelta(seconds=10), task=audit_seal)
scheduling.register("core.idempotency_purge", every=datetime.timedelta(hours=1), task=idempotency_purge_old)
scheduling.register("core.export_purge", every=datetime.timedelta(hours=1), task=export_purge)
