"""The 双告知 task workflow as a pure transition table (no database, no Django models).

``TRANSITIONS[action]`` lists the statuses an action may start from and the status it leads to;
``ACTORS[action]`` says who may take it:

- ``department``: supervision staff (监管人员, 数据报送员, 部门管理员) of the task's own
  department (告知部门), who receive (签收) and answer (反馈) it;
- ``claimer``: a regulator or department admin of any department, who claims (认领) a task of
  the pool for their department.

Steps follow DOMAIN.md R5.1: the registration data is pushed to the competent departments
(谁审批谁监管、谁主管谁监管); where no department is clear it is published for 认领; departments
查询认领 and give feedback. A system admin reads every task but acts as none of these: the answer
is the department's own. Reminders and deadline recalculations do not change the status.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import DrawPlanAction as P
from .choices import DrawPlanStatus as PS
from .choices import InspectionStatus as IS
from .choices import TaskAction as A
from .choices import TaskStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    A.CLAIM: Transition(frozenset({S.POOL}), S.RECEIVED),
    A.RECEIVE: Transition(frozenset({S.PENDING}), S.RECEIVED),
    A.ANSWER: Transition(frozenset({S.RECEIVED}), S.ANSWERED),
}

ACTORS: dict[str, frozenset[str]] = {
    A.CLAIM: frozenset({"claimer"}),
    A.RECEIVE: frozenset({"department"}),
    A.ANSWER: frozenset({"department"}),
}


class IllegalTransition(Exception):
    """The action is not allowed from the task's current status."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"{action} is not allowed in status {status}")
        self.status = status
        self.action = action


def allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be taken on a task in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(status: str, action: str) -> str:
    """The status after ``action`` from ``status``; raises :class:`IllegalTransition`."""
    if not allowed(status, action):
        raise IllegalTransition(status, action)
    return TRANSITIONS[action].target


def actions_from(status: str) -> list[str]:
    """Every action allowed from ``status``, in table order (for the page's buttons)."""
    return [action for action, t in TRANSITIONS.items() if status in t.sources]


# ---- 双随机 draw plans (issue #12 part 3) ----------------------------------------------------------
# draft → published (the future random value is named) → frozen (pool and roster fixed, digests
# published) → drawn (the value entered, the selection computed once) → closed (the inspection
# ended: names, officers and the secret are revealed). Cancel from any stage before closed; a
# cancelled plan stays visible. A draw is never re-run: there is no action from drawn back to
# frozen. Replacing an officer and publishing results do not change the status.

PLAN_TRANSITIONS: dict[str, Transition] = {
    P.PUBLISH: Transition(frozenset({PS.DRAFT}), PS.PUBLISHED),
    P.FREEZE: Transition(frozenset({PS.PUBLISHED}), PS.FROZEN),
    P.DRAW: Transition(frozenset({PS.FROZEN}), PS.DRAWN),
    P.CLOSE: Transition(frozenset({PS.DRAWN}), PS.CLOSED),
    P.CANCEL: Transition(frozenset({PS.DRAFT, PS.PUBLISHED, PS.FROZEN, PS.DRAWN}), PS.CANCELLED),
    P.REPLACE: Transition(frozenset({PS.DRAWN}), PS.DRAWN),
    P.PUBLISH_RESULTS: Transition(frozenset({PS.CLOSED}), PS.CLOSED),
}

#: ``planner``: a regulator or department admin of the plan's (lead) department.
PLAN_ACTORS: dict[str, frozenset[str]] = {action: frozenset({"planner"}) for action in PLAN_TRANSITIONS}


def plan_target(status: str, action: str) -> str:
    """The plan's status after ``action``; raises :class:`IllegalTransition`."""
    transition = PLAN_TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        raise IllegalTransition(status, action)
    return transition.target


def plan_actions_from(status: str) -> list[str]:
    return [action for action, t in PLAN_TRANSITIONS.items() if status in t.sources]


# ---- inspections of drawn entities (issue #12 parts 5–6) ------------------------------------------
# scheduled → recorded (every department of the group has entered its items' results) → closed
# (the plan's inspection ended). Results are entered only by an officer drawn for that entity and
# department, and not after the inspection is closed.

INSPECTION_TRANSITIONS: dict[str, Transition] = {
    "record": Transition(frozenset({IS.SCHEDULED, IS.RECORDED}), IS.RECORDED),
    "close": Transition(frozenset({IS.SCHEDULED, IS.RECORDED}), IS.CLOSED),
}


def inspection_target(status: str, action: str) -> str:
    transition = INSPECTION_TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        raise IllegalTransition(status, action)
    return transition.target
