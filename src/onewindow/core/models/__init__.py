"""The core models, one module per concern; import them from ``onewindow.core.models``."""

from .audit import AuditChainHead, AuditCheckpoint, AuditEntry
from .calendar import CalendarDay, CalendarYear
from .exports import ExportJob, ExportStatus
from .idempotency import IdempotencyKey
from .numbering import NumberCounter
from .reference import Department, Region, RegionLevel
from .scheduling import ScheduledJob

__all__ = [
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEntry",
    "CalendarDay",
    "CalendarYear",
    "Department",
    "ExportJob",
    "ExportStatus",
    "IdempotencyKey",
    "NumberCounter",
    "Region",
    "RegionLevel",
    "ScheduledJob",
]
