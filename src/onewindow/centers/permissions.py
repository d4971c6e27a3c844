"""Who may act in a center: its staff (CenterStaff), its manager, system admins, and its devices."""

from __future__ import annotations

from typing import Any

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor

from .models import Center, CenterStaff, Device


def device_of(by: Actor | None) -> Device | None:
    return by if isinstance(by, Device) else None


def user_of(by: Actor | None) -> Any:
    return None if isinstance(by, Device) else account_perms.as_user(by)


def is_center_staff(by: Actor, center: Center | int) -> bool:
    """A clerk or manager of the center (or a system admin)."""
    center_id = center if isinstance(center, int) else center.pk
    device = device_of(by)
    if device is not None:
        return device.is_active and device.center_id == center_id
    user = account_perms.as_user(by)
    if user is None:
        return False
    if account_perms.is_system_admin(user):
        return True
    return CenterStaff.objects.filter(center_id=center_id, user=user, valid=True).exists()


def is_center_manager(by: Actor, center: Center | int) -> bool:
    center_id = center if isinstance(center, int) else center.pk
    user = user_of(by)
    if user is None:
        return False
    if account_perms.is_system_admin(user):
        return True
    return CenterStaff.objects.filter(center_id=center_id, user=user, valid=True, is_manager=True).exists()


def centers_of(by: Actor) -> list[int]:
    """Ids of the centers the user works in (all for a system admin)."""
    user = user_of(by)
    if user is None:
        device = device_of(by)
        return [device.center_id] if device is not None and device.is_active else []
    if account_perms.is_system_admin(user):
        return list(Center.objects.values_list("pk", flat=True))
    return list(CenterStaff.objects.filter(user=user, valid=True).values_list("center_id", flat=True))
