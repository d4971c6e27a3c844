"""The models of case handling, one module per concern; import them from ``onewindow.cases.models``."""

from .case import Case, CaseEvent, CaseMaterial
from .clock import CaseClock, ClockExtension, ClockSuspension
from .documents import Document, Licence

__all__ = ["Case", "CaseClock", "CaseEvent", "CaseMaterial", "ClockExtension", "ClockSuspension", "Document",
           "Licence"]
