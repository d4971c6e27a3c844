"""Models of staffing, one module per concern; import from ``onewindow.staffing.models``."""

from .advice import Advice
from .demand import DemandModel
from .policy import ClerkTerms, Leave, StaffingPolicy
from .roster import Assignment, Proposal, Roster, Shift

__all__ = ["Advice", "Assignment", "ClerkTerms", "DemandModel", "Leave", "Proposal", "Roster", "Shift",
           "StaffingPolicy"]
