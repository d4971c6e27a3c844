"""The two lifecycles of taxqr as pure transition tables (no database, no Django models).

Each :class:`Lifecycle` has ``transitions[action]`` (the statuses the action may start from and the
status it leads to, ``None`` for "unchanged") and ``actors[action]`` (who may take it); the action
that creates the row is ``creation`` (it has no source status). The actor kinds:

- ``taxpayer``: the owner of a draft — a citizen or an agency clerk filling the client form
  (房产交易辅助) for a transaction;
- ``tax_clerk``: a window clerk (受理员) of the tax bureau (税务机关) the record belongs to;
- ``reviewer``: a reviewer (审核员) of that bureau;
- ``admin``: a system admin, who reads every bureau's records (permissions.py) and may archive a
  record's sheet, but captures and corrects nothing: a record belongs to the window that scanned it;
- ``system``: the scheduler. No action of these two lifecycles is the system's today (the daily job
  archives summary lists, not records); a system actor is refused with 403 like any other.

**Draft** (:data:`DRAFT`, ``ClientDraft.status``): created as 填写中 (``draft``); coding it
(校验并生成二维码) makes it 已生成二维码 (``coded``); saving it again returns it to ``draft`` (its old
code stays valid at the window — it is the same transaction, and the window refuses a second
capture of the same deal). A coded draft is not coded again: its code is what the taxpayer
carries to the window, so a new code follows an edit (409 ``tax_draft_illegal_transition``).

**Record** (:data:`RECORD`, ``TaxRecord``): decided in issue #10 — a captured record has **one
status, 已保存 (``saved``), and no status column**. It is written once by the window capture and
kept 10 years (税收征收管理法实施细则 art. 29); a correction (更正) changes fields, not the state, and
is appended as a RecordCorrection; archiving its sheet (资料归档) adds a file to the archive index.
There is no void or cancel (作废) in the capture system: a wrong record is corrected, and the tax
assessment itself happens in the tax administration's own system, not here. The table still
names the status, so that a second one (e.g. 作废) would be a new row here, a column with a
check constraint, and nothing else in the guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .choices import DraftAction as DA
from .choices import DraftStatus as DS
from .choices import RecordAction as RA
from .choices import RecordStatus as RS

TAXPAYER, TAX_CLERK, REVIEWER, ADMIN, SYSTEM = "taxpayer", "tax_clerk", "reviewer", "admin", "system"
ACTOR_KINDS = frozenset({TAXPAYER, TAX_CLERK, REVIEWER, ADMIN, SYSTEM})


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status does not change


def _t(sources: set[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


class IllegalTransition(Exception):
    """The action is not allowed from the row's current status."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"{action} is not allowed in status {status}")
        self.status = status
        self.action = action


@dataclass(frozen=True)
class Lifecycle:
    """One lifecycle: its statuses, the creating action and status, the table and the actors."""

    name: str
    statuses: tuple[str, ...]
    creation: str
    initial: str
    transitions: Mapping[str, Transition]
    actors: Mapping[str, frozenset[str]]

    def allowed(self, status: str, action: str) -> bool:
        """Whether ``action`` may be taken on a row in ``status``."""
        transition = self.transitions.get(action)
        return transition is not None and status in transition.sources

    def target(self, status: str, action: str) -> str:
        """The status after ``action`` from ``status``; raises :class:`IllegalTransition`."""
        if not self.allowed(status, action):
            raise IllegalTransition(status, action)
        return self.transitions[action].target or status

    def may(self, kinds: set[str] | frozenset[str], action: str) -> bool:
        """Whether an actor of ``kinds`` may take ``action`` (the creating action included)."""
        return bool(kinds & self.actors.get(action, frozenset()))

    def actions_from(self, status: str) -> list[str]:
        """Every action allowed from ``status``, in table order (for the page's buttons)."""
        return [action for action, t in self.transitions.items() if status in t.sources]


DRAFT = Lifecycle(
    name="tax_draft",
    statuses=tuple(DS.values),
    creation=DA.CREATE,
    initial=DS.DRAFT,
    transitions={
        DA.SAVE: _t({DS.DRAFT, DS.CODED}, DS.DRAFT),
        DA.CODE: _t({DS.DRAFT}, DS.CODED),
    },
    actors={
        DA.CREATE: frozenset({TAXPAYER}),
        DA.SAVE: frozenset({TAXPAYER}),
        DA.CODE: frozenset({TAXPAYER}),
    },
)

RECORD = Lifecycle(
    name="tax_record",
    statuses=tuple(RS.values),
    creation=RA.CAPTURE,
    initial=RS.SAVED,
    transitions={
        RA.CORRECT: _t({RS.SAVED}, None),
        RA.ARCHIVE: _t({RS.SAVED}, None),
    },
    actors={
        RA.CAPTURE: frozenset({TAX_CLERK, REVIEWER}),
        RA.CORRECT: frozenset({TAX_CLERK, REVIEWER}),
        RA.ARCHIVE: frozenset({TAX_CLERK, REVIEWER, ADMIN}),
    },
)
