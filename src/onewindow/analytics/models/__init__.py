"""Models of analytics, one module per concern; import from ``onewindow.analytics.models``."""

from .appraisal import AppraisalScheme
from .decisions import ItemProposal, ItemProposalEvent
from .facts import (
    CaseDayFact,
    DutyDayFact,
    RatingDayFact,
    RollupCursor,
    RollupRun,
    TicketHourFact,
    TicketSlotFact,
)

__all__ = ["AppraisalScheme", "CaseDayFact", "DutyDayFact", "ItemProposal", "ItemProposalEvent", "RatingDayFact",
           "RollupCursor", "RollupRun", "TicketHourFact", "TicketSlotFact"]
