"""The session workflow (培训场次) as a pure transition table.

A session is planned (计划) by the center manager; once it took place it is held (已举办), then
its attendance is recorded (已登记出勤: each invited clerk 出席/缺席/请假); a planned session may
be cancelled (已取消, with a reason). Attendance may be corrected while held or recorded
(``record`` from recorded keeps the status). Only the center's manager acts (``manager``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import SessionAction as A
from .choices import SessionStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    A.HOLD: Transition(frozenset({S.PLANNED}), S.HELD),
    A.RECORD: Transition(frozenset({S.HELD, S.RECORDED}), S.RECORDED),
    A.CANCEL: Transition(frozenset({S.PLANNED}), S.CANCELLED),
}

ACTORS: dict[str, frozenset[str]] = {action: frozenset({"manager"}) for action in TRANSITIONS}


def can(action: str, status: str) -> bool:
    """Whether ``action`` may be taken on a session in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(action: str) -> str:
    return TRANSITIONS[action].target
