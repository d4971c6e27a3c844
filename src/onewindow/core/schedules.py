"""Periodic jobs of core: seal the audit trail every 10 seconds."""

from __future__ import annotations

import datetime

from . import scheduling
from .tasks import audit_seal

scheduling.register("core.audit_seal", every=datetime.timedelta(seconds=10), task=audit_seal)
