"""Who is told when a market entity registers or changes its business scope.

``market`` sits below ``supervision`` in the app order, so it cannot call 双告知 itself: an app
above registers a listener here from its ``AppConfig.ready()`` (the pattern of the core calendar
listeners, docs/decisions/0011). The market services call every listener inside the transaction
that writes the change, so a registration and its 双告知 notices commit together or not at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal["registered", "scope_changed"]


@dataclass(frozen=True, slots=True)
class EntityChange:
    """One registration or change of business scope (经营范围变更) of a market entity."""

    organization_id: int
    credit_code: str
    kind: ChangeKind
    industry_code: str
    business_scope: str
    previous_scope: str
    region_code: str
    at: datetime.datetime


EntityListener = Callable[[EntityChange], None]

_LISTENERS: dict[str, EntityListener] = {}


def register_entity_listener(name: str, listener: EntityListener) -> None:
    """Register (or replace) an app's listener, from its ``AppConfig.ready()``."""
    _LISTENERS[name] = listener


def entity_listeners() -> list[tuple[str, EntityListener]]:
    """The registered listeners, in name order (deterministic)."""
    return sorted(_LISTENERS.items())


def notify_entity_change(change: EntityChange) -> None:
    """Call every listener; an exception rolls back the caller's transaction (nothing half-written)."""
    for _name, listener in entity_listeners():
        listener(change)
