"""The item-proposal workflow (事项调整建议, issue #14 part 4) as a pure transition table.

``TRANSITIONS[action]`` lists the statuses an action may start from and the status it leads to;
``ACTORS[action]`` says who may take it:

- ``manager``: the manager of the center (``CenterStaff.is_manager``) proposes keep / change /
  withdraw for an item the center offers;
- ``department``: a department admin of the department that owns the item (the item's 实施部门)
  accepts or rejects — an accepted withdrawal becomes a withdrawn catalog version;
- ``proposer``: the manager who proposed may cancel a proposal still waiting.

``propose`` has no source status (it creates the proposal).
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import ProposalEventAction as A
from .choices import ProposalStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    A.PROPOSE: Transition(frozenset(), S.PROPOSED),
    A.ACCEPT: Transition(frozenset({S.PROPOSED}), S.ACCEPTED),
    A.REJECT: Transition(frozenset({S.PROPOSED}), S.REJECTED),
    A.CANCEL: Transition(frozenset({S.PROPOSED}), S.CANCELLED),
}

ACTORS: dict[str, frozenset[str]] = {
    A.PROPOSE: frozenset({"manager"}),
    A.ACCEPT: frozenset({"department"}),
    A.REJECT: frozenset({"department"}),
    A.CANCEL: frozenset({"proposer"}),
}


def can(action: str, status: str) -> bool:
    """Whether ``action`` may be taken on a proposal in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(action: str) -> str:
    return TRANSITIONS[action].target
