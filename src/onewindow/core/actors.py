"""Who makes a write (操作主体): a user, a device, or the system — the ``by`` of every service.

Every service takes ``by: Actor`` and records it in the audit trail (ARCHITECTURE rule 3;
网络安全法 art. 21(3) requires the operator to log who did what). Three kinds, and no others:

- a **user** (``accounts.User``, or ``AnonymousUser`` where a page lets anyone act, e.g. taking a
  ticket on the public page);
- a **device** of a service center acting through its own token (a kiosk, a window pad): any
  object with a ``device_label`` (``centers.Device``; core sits below centers, so the type is a
  protocol);
- the **system** itself: the scheduler, a management command, the demo loader. There is one
  :data:`SYSTEM` actor; :func:`system_actor` names the job (``system_actor("core_calendar_set")``)
  so the audit trail says which one, and every such actor compares equal in kind.

A bare string is not an actor: callers that used ``by="system"`` pass :data:`SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The platform acting on its own: ``name`` says which job (audited as the actor label)."""

    name: str = "system"

    def __str__(self) -> str:
        return self.name


SYSTEM = SystemActor()


def system_actor(name: str) -> SystemActor:
    """The system actor of one named job (a command, a scheduled task, the demo loader)."""
    return SystemActor(name=name[:150] or "system")


@runtime_checkable
class DeviceActor(Protocol):
    """A registered device acting through its token (``centers.Device``)."""

    pk: Any

    @property
    def device_label(self) -> str: ...


Actor: TypeAlias = "AbstractBaseUser | AnonymousUser | DeviceActor | SystemActor"


def is_system(actor: object) -> bool:
    """True for the system actor of any job."""
    return isinstance(actor, SystemActor)


def is_device(actor: object) -> bool:
    """True for a device acting through its token."""
    return not isinstance(actor, SystemActor) and hasattr(actor, "device_label")
