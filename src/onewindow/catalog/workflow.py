"""The lifecycle of an implementation item (实施清单事项) as a pure transition table (no database,
no Django models).

Statuses (``choices.ItemStatus``): 在用 (active, in force), 暂停办理 (suspended) and 已取消
(withdrawn). Withdrawn is final: cases pin the versions of a withdrawn item, so it is never
revised or restored; a service that comes back is published as a new item.

``TRANSITIONS[action]`` lists the statuses the action may start from and the status it leads to
(``None``: the status does not change). Publishing (``item_create``) has no source status, because
the item does not exist yet; it leads to :data:`PUBLISHED`. Every action adds an immutable
version, and that version is the item's event row: its number, who made it (``created_by``; empty
for the system), when (``created_at``), the status it put in force and the reason
(ARCHITECTURE data-model decision 1).

``ACTORS[action]`` says who may take it:

- ``department_admin``: a 部门管理员 whose role covers the item's implementing department (实施部门):
  the implementing body keeps its own 实施清单;
- ``system_admin``: a 系统管理员 (or superuser), who keeps the whole catalog;
- ``system``: an import or synchronisation of the catalog and the demo loader
  (``core.actors.system_actor``).

DOMAIN.md §1 names no national rule on who adjusts an implementation list, so this is the
platform's own rule. Window clerks, reviewers, center managers, applicants and devices never
change the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

from .choices import ItemAction as A
from .choices import ItemStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status does not change (a revision)


def _t(sources: set[str], target: str | None) -> Transition:
    return Transition(frozenset(sources), target)


#: The status of a newly published item (action ``publish``, version 1).
PUBLISHED: str = S.ACTIVE

TRANSITIONS: dict[str, Transition] = {
    A.REVISE: _t({S.ACTIVE, S.SUSPENDED}, None),
    A.SUSPEND: _t({S.ACTIVE}, S.SUSPENDED),
    A.RESTORE: _t({S.SUSPENDED}, S.ACTIVE),
    A.WITHDRAW: _t({S.ACTIVE, S.SUSPENDED}, S.WITHDRAWN),
}

_KEEPERS = frozenset({"department_admin", "system_admin", "system"})

ACTORS: dict[str, frozenset[str]] = {
    A.PUBLISH: _KEEPERS,
    A.REVISE: _KEEPERS,
    A.SUSPEND: _KEEPERS,
    A.RESTORE: _KEEPERS,
    A.WITHDRAW: _KEEPERS,
}


def allowed(status: str, action: str) -> bool:
    """Whether ``action`` may be taken on an item in ``status``."""
    transition = TRANSITIONS.get(action)
    return transition is not None and status in transition.sources


def target(status: str, action: str) -> str:
    """The status after ``action`` from ``status`` (the caller has checked :func:`allowed`)."""
    return TRANSITIONS[action].target or status


def actions_from(status: str) -> list[str]:
    """Every action allowed from ``status``, in table order."""
    return [action for action, t in TRANSITIONS.items() if status in t.sources]
