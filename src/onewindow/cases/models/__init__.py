"""The models of case handling, one module per concern; import them from ``onewindow.cases.models``."""

from .case import Case, CaseEvent, CaseMaterial
from .clock import CaseClock, ClockExtension, ClockSuspension
from .documents import Document, Licence
from .prefill import CasePrefill, PrefilledField, PrefillSource

__all__ = ["Case", "CaseClock", "CaseEvent", "CaseMaterial", "CasePrefill", "ClockExtension", "ClockSuspension",
           "Document", "Licence", "PrefillSource", "PrefilledField"]
