"""Models of supervision (one module a concept, re-exported here)."""

from .dual_notice import DualNotice, DualNoticeTask, DualNoticeTaskEvent
from .item_lists import CheckItem, ItemListVersion, JointCheckItem
from .officers import Officer, OfficerConflict, OfficerSpecialty
from .rules import LicenceRule

__all__ = [
    "CheckItem",
    "DualNotice",
    "DualNoticeTask",
    "DualNoticeTaskEvent",
    "ItemListVersion",
    "JointCheckItem",
    "LicenceRule",
    "Officer",
    "OfficerConflict",
    "OfficerSpecialty",
]
