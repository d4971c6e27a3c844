"""Models of supervision (one module a concept, re-exported here)."""

from .dual_notice import DualNotice, DualNoticeTask, DualNoticeTaskEvent
from .officers import Officer, OfficerConflict, OfficerSpecialty
from .rules import LicenceRule

__all__ = [
    "DualNotice",
    "DualNoticeTask",
    "DualNoticeTaskEvent",
    "LicenceRule",
    "Officer",
    "OfficerConflict",
    "OfficerSpecialty",
]
