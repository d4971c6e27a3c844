"""The question workflow (在线问答) as a pure transition table.

submitted → assigned → answered → published | closed. Staff of the question's department may
answer a question still waiting for assignment (the answer assigns it to them); a question may be
closed (e.g. a duplicate or not a question) until it is published.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import QuestionAction as A
from .choices import QuestionStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    A.ASSIGN: Transition(frozenset({S.SUBMITTED, S.ASSIGNED}), S.ASSIGNED),
    A.ANSWER: Transition(frozenset({S.SUBMITTED, S.ASSIGNED, S.ANSWERED}), S.ANSWERED),
    A.PUBLISH: Transition(frozenset({S.ANSWERED}), S.PUBLISHED),
    A.CLOSE: Transition(frozenset({S.SUBMITTED, S.ASSIGNED, S.ANSWERED}), S.CLOSED),
}


def can(action: str, status: str) -> bool:
    """Whether ``action`` may be taken on a question in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(action: str) -> str:
    return TRANSITIONS[action].target
