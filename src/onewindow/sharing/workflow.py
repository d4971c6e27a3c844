"""The access-request workflow (共享申请) as a pure transition table.

``TRANSITIONS[action]`` lists the statuses an action may start from and the status it leads to;
``ACTORS[action]`` says who may take it:

- ``provider``: a department admin (部门管理员) of the resource's provider department, who
  approves (with a scope) or refuses (with a reason);
- ``requester``: a department admin or data clerk (数据报送员) of the consumer department, who
  may withdraw a request still waiting.

A request for an 无条件共享 resource is approved by the system at submission (the same approve
service, actor ``system``). A grant is revoked by the provider (``grant_revoke``): a grant has no
status of its own beyond active/revoked, expiry is computed from its end date.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import RequestAction as A
from .choices import RequestStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    A.APPROVE: Transition(frozenset({S.SUBMITTED}), S.APPROVED),
    A.REFUSE: Transition(frozenset({S.SUBMITTED}), S.REFUSED),
    A.WITHDRAW: Transition(frozenset({S.SUBMITTED}), S.WITHDRAWN),
}

ACTORS: dict[str, frozenset[str]] = {
    A.APPROVE: frozenset({"provider", "system"}),
    A.REFUSE: frozenset({"provider"}),
    A.WITHDRAW: frozenset({"requester"}),
}


def can(action: str, status: str) -> bool:
    """Whether ``action`` may be taken on a request in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(action: str) -> str:
    return TRANSITIONS[action].target
