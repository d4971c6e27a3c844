"""Models of supervision (one module a concept, re-exported here)."""

from .alerts import Alert, AlertEvent
from .draws import DrawFreeze, DrawOutcome, DrawPlan, DrawPlanEvent
from .dual_notice import DualNotice, DualNoticeTask, DualNoticeTaskEvent
from .inspections import Inspection, InspectionResult, ResultObjection
from .item_lists import CheckItem, ItemListVersion, JointCheckItem
from .officers import Officer, OfficerConflict, OfficerSpecialty
from .rules import LicenceRule

__all__ = [
    "Alert",
    "AlertEvent",
    "CheckItem",
    "DrawFreeze",
    "DrawOutcome",
    "DrawPlan",
    "DrawPlanEvent",
    "DualNotice",
    "DualNoticeTask",
    "DualNoticeTaskEvent",
    "Inspection",
    "InspectionResult",
    "ItemListVersion",
    "JointCheckItem",
    "LicenceRule",
    "Officer",
    "OfficerConflict",
    "OfficerSpecialty",
    "ResultObjection",
]
