"""The 差评回访 lifecycle (follow-up of a bad rating) as a pure transition table (no database, no
Django models).

国办发〔2019〕51号 (DOMAIN.md R3.1) requires every 差评 to be investigated, fixed and answered
(调查核实、督促整改、反馈) by the rated body. Statuses (``choices.FollowUpStatus``): 待回访 (open),
已回访 (contacted: the person was reached and the facts checked), 已办结 (closed: the fix and the
reply are recorded). Closed is final.

``TRANSITIONS[action]`` lists the statuses the action may start from and the status it leads to
(``None``: the status does not change). Opening has no source status: the follow-up is created,
in :data:`OPENED`, by the recording of the bad rating itself (``services.rating_record``).

``ACTORS[action]`` says who may take it:

- ``rater``: whoever records the bad rating — the applicant on any channel, a rating pad, an SMS
  link (every channel may rate, R3.1); opening is a consequence of their rating, not a choice;
- ``handler``: a department admin or center manager whose role covers the rated body (the
  responsible unit of R3.1; the deadline of R3.3 runs against them);
- ``system_admin``: a system admin, who may handle any follow-up;
- ``system``: the scheduler, which reminds the handlers of follow-ups falling due.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import FollowUpAction as A
from .choices import FollowUpStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status does not change (a reminder)


def _t(sources: set[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


#: The status of a follow-up when a bad rating opens it (action ``open``).
OPENED: str = S.OPEN

TRANSITIONS: dict[str, Transition] = {
    A.CONTACT: _t({S.OPEN}, S.CONTACTED),
    A.CLOSE: _t({S.CONTACTED}, S.CLOSED),
    A.REMIND: _t({S.OPEN, S.CONTACTED}, None),
}

ACTORS: dict[str, frozenset[str]] = {
    A.OPEN: frozenset({"rater", "system"}),
    A.CONTACT: frozenset({"handler", "system_admin"}),
    A.CLOSE: frozenset({"handler", "system_admin"}),
    A.REMIND: frozenset({"system"}),
}


def allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be taken on a follow-up in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(status: str, action: str) -> str:
    """The status after ``action`` from ``status`` (the caller has checked :func:`allowed`)."""
    return TRANSITIONS[action].target or status


def actions_from(status: str) -> list[str]:
    """Every action allowed from ``status``, in table order (for the page's forms)."""
    return [action for action, t in TRANSITIONS.items() if status in t.sources]
