"""The case workflow as a pure transition table (no database, no Django models).

``TRANSITIONS[action]`` lists the statuses the action may start from and the status it leads
to; ``ACTORS[action]`` says who may take it:

- ``applicant``: the applicant's own login, their agent, or the submitting login;
- ``receiver``: staff of the receiving body (受理单位: window clerks, reviewers, admins);
- ``handler``: staff of the handling body (承办单位) that decides the item;
- ``head``: a department admin of the handling body (approves extensions, art. 42 ¶1);
- ``system``: the scheduler (the art. 32(4) deemed acceptance).

Steps follow 行政许可法: correction notice before acceptance (art. 32(4)), acceptance or
non-acceptance in writing (art. 32), review and decision (arts. 34, 38), periods not counted
(art. 45), extension (art. 42), delivery (art. 44); the applicant may withdraw before a decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import CaseAction as A
from .choices import CaseStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status does not change (reassign, extend)


def _t(sources: set[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


_OPEN_AFTER_SUBMIT = {S.SUBMITTED, S.PRE_REVIEW, S.CORRECTION, S.ACCEPTED, S.FORWARDED, S.UNDER_REVIEW, S.SUSPENDED}

TRANSITIONS: dict[str, Transition] = {
    A.SUBMIT: _t({S.DRAFT}, S.SUBMITTED),
    A.START_PRE_REVIEW: _t({S.SUBMITTED}, S.PRE_REVIEW),
    A.REQUEST_CORRECTION: _t({S.SUBMITTED, S.PRE_REVIEW}, S.CORRECTION),
    A.RESUBMIT: _t({S.CORRECTION}, S.SUBMITTED),
    A.ACCEPT: _t({S.SUBMITTED, S.PRE_REVIEW}, S.ACCEPTED),
    A.DEEM_ACCEPTED: _t({S.SUBMITTED, S.PRE_REVIEW}, S.ACCEPTED),
    A.REFUSE: _t({S.SUBMITTED, S.PRE_REVIEW, S.CORRECTION}, S.NOT_ACCEPTED),
    A.FORWARD: _t({S.ACCEPTED}, S.FORWARDED),
    A.START_REVIEW: _t({S.ACCEPTED, S.FORWARDED}, S.UNDER_REVIEW),
    A.SUSPEND: _t({S.UNDER_REVIEW}, S.SUSPENDED),
    A.RESUME: _t({S.SUSPENDED}, S.UNDER_REVIEW),
    A.EXTEND: _t({S.UNDER_REVIEW, S.SUSPENDED}, None),
    A.APPROVE: _t({S.UNDER_REVIEW}, S.APPROVED),
    A.REJECT: _t({S.UNDER_REVIEW}, S.REJECTED),
    A.DELIVER: _t({S.APPROVED, S.REJECTED}, S.DELIVERED),
    A.WITHDRAW: _t({S.DRAFT} | _OPEN_AFTER_SUBMIT, S.WITHDRAWN),
    A.REASSIGN: _t(_OPEN_AFTER_SUBMIT | {S.APPROVED, S.REJECTED}, None),
}

ACTORS: dict[str, frozenset[str]] = {
    A.SUBMIT: frozenset({"applicant", "receiver"}),
    A.START_PRE_REVIEW: frozenset({"receiver"}),
    A.REQUEST_CORRECTION: frozenset({"receiver"}),
    A.RESUBMIT: frozenset({"applicant", "receiver"}),
    A.ACCEPT: frozenset({"receiver"}),
    A.DEEM_ACCEPTED: frozenset({"system"}),
    A.REFUSE: frozenset({"receiver"}),
    A.FORWARD: frozenset({"receiver"}),
    A.START_REVIEW: frozenset({"handler"}),
    A.SUSPEND: frozenset({"handler"}),
    A.RESUME: frozenset({"handler"}),
    A.EXTEND: frozenset({"head"}),
    A.APPROVE: frozenset({"handler"}),
    A.REJECT: frozenset({"handler"}),
    A.DELIVER: frozenset({"receiver"}),
    A.WITHDRAW: frozenset({"applicant"}),
    A.REASSIGN: frozenset({"head"}),
}


class IllegalTransition(Exception):
    """The action is not allowed from the case's current status."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"{action} is not allowed in status {status}")
        self.status = status
        self.action = action


def allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be taken on a case in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(status: str, action: str) -> str:
    """The status after ``action`` from ``status``; raises :class:`IllegalTransition`."""
    if not allowed(status, action):
        raise IllegalTransition(status, action)
    return TRANSITIONS[action].target or status


def actions_from(status: str) -> list[str]:
    """Every action allowed from ``status``, in table order (for the staff action buttons)."""
    return [action for action, t in TRANSITIONS.items() if status in t.sources]
