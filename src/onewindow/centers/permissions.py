"""Who may act in a center: its staff (CenterStaff), its manager, system admins, and its devices."""

from __future__ import annotations

from typing import Any

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system

from .choices import DeviceKind
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


def appointment_actor_kinds(by: Actor, *, center_id: int, person_id: int | None) -> set[str]:
    """The actor kinds of ``by`` (workflow.APPOINTMENT_ACTORS) on an appointment of the center
    ``center_id`` for the person ``person_id``: ``system`` for the scheduler; for a device,
    ``device`` when it is an active device of that center and ``kiosk`` besides when it is its
    self-service kiosk; for a user, ``owner`` when it is their own person's booking and ``staff``
    when they work at the center. Empty: the appointment is none of theirs."""
    if is_system(by):
        return {"system"}
    device = device_of(by)
    if device is not None:
        if not device.is_active or device.center_id != center_id:
            return set()
        return {"device", "kiosk"} if device.kind == DeviceKind.KIOSK else {"device"}
    user = account_perms.as_user(by)
    if user is None:
        return set()
    kinds = set()
    if person_id is not None and user.person_id == person_id:
        kinds.add("owner")
    if is_center_staff(user, center_id):
        kinds.add("staff")
    return kinds
