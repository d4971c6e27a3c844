"""Enrolment of device browsers (设备浏览器绑定, decision 0008): a kiosk or hall display is a
browser without a keyboard login; it is bound once to its Device, and that binding — not a staff
session — is what lets it show the kiosk and display pages.

- ``device_enrol``: a manager of the device's center (or a system admin), logged in on the
  device's browser, binds it. Returns the binding and the cookie value ``<id>:<secret>`` (the
  view signs it and sets it HttpOnly, SameSite=Strict, Secure in production); only the SHA-256
  of the secret is stored. A device has one live binding: enrolling again revokes the earlier.
- ``device_unbind``: the manager or admin ends every live binding of a device.
- ``device_auth.binding_device`` (the read): the device behind a cookie value, or None when the
  binding, the device, its center or its token is revoked, inactive or expired — so revoking the
  device or its token (the admin's 停用 action, accounts' ``api_token_revoke``) shuts the browser
  out at its next request.

Basis: GB/T 22239-2019 8.1.4.1 身份鉴别 (every device identified by its own credential) and
8.1.4.2 访问控制 (least privilege, revocable alone); OWASP ASVS 5.0 V7 (session management).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts import services as account_services
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record, changed_values
from onewindow.core.codes import as_id
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..choices import DeviceKind
from ..device_auth import binding_digest as _digest
from ..models import Center, Device, DeviceBinding

#: Device kinds that run in a browser and may be bound (the others use the API with their token).
BROWSER_KINDS = frozenset({DeviceKind.KIOSK, DeviceKind.DISPLAY})


def device_enrol(*, by: Actor, device_id: Any) -> tuple[DeviceBinding, str]:
    """Bind the browser in front of ``by`` to a kiosk or display of a center ``by`` manages.

    Refused: unknown device (404 device_not_found), not a manager of its center (403
    not_center_manager), a device that does not run in a browser (422 device_kind_not_browser),
    an inactive device or revoked token (409 device_inactive). Audited (no secret in the trail).
    """
    with transaction.atomic():
        device = (Device.objects.select_for_update(of=("self",)).select_related("center", "token")
                  .filter(pk=as_id(device_id)).first())
        if device is None:
            raise NotFound(_("找不到该设备。"), code="device_not_found")
        if not perms.is_center_manager(by, device.center):
            raise PermissionDenied(_("只有该中心的负责人或系统管理员可以绑定设备。"), code="not_center_manager")
        if device.kind not in BROWSER_KINDS:
            raise DomainError(_("该类设备不使用浏览器，请在设备上写入访问令牌。"), code="device_kind_not_browser",
                              status=422, fields={"device": [_("请选择一体机或显示屏。")]})
        if not device.is_active or device.token.revoked_at is not None or device.token.is_expired():
            raise DomainError(_("该设备已停用，请联系系统管理员。"), code="device_inactive", status=409)
        now = timezone.now()
        replaced = DeviceBinding.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=now)
        secret = secrets.token_urlsafe(32)
        binding = DeviceBinding.objects.create(device=device, secret_hash=_digest(secret), created_at=now,
                                               created_by=perms.user_of(by))
        audit_record(actor=by, action="centers.device.enrol", target=device,
                     after={"binding": binding.pk, "replaced": replaced})
    return binding, f"{binding.pk}:{secret}"


def device_unbind(*, by: Actor, device_id: Any) -> int:
    """End every live browser binding of a device (the manager's 解除绑定); returns how many."""
    with transaction.atomic():
        device = Device.objects.select_related("center").filter(pk=as_id(device_id)).first()
        if device is None:
            raise NotFound(_("找不到该设备。"), code="device_not_found")
        if not perms.is_center_manager(by, device.center):
            raise PermissionDenied(_("只有该中心的负责人或系统管理员可以解除绑定。"), code="not_center_manager")
        ended = DeviceBinding.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=by, action="centers.device.unbind", target=device, after={"ended": ended})
    return ended


# ---- issuing and revoking devices (the admin, issue #10) ----------------------------------------

#: What an administrator may change on an issued device (its center, kind and token stay).
DEVICE_FIELDS = ("window", "name", "operator")


def _check_device(center_id: int, values: dict[str, Any]) -> None:
    window = values.get("window")
    if window is not None and window.center_id != center_id:
        raise DomainError(_("窗口不属于该中心。"), code="device_invalid", status=422,
                          fields={"window": [_("窗口不属于该中心。")]})
    if not str(values.get("name", "x")).strip():
        raise DomainError(_("请填写设备名称。"), code="device_invalid", status=422,
                          fields={"name": [_("请填写设备名称。")]})


def device_issue(*, by: Actor, center_id: Any, kind: str, name: str, window: Any = None,
                 operator: Any = None) -> tuple[Device, str]:
    """Register a hall device (叫号器, 一体机, 显示屏, 评价器) with its own API token (scope
    ``device``), in one transaction: the token and the row exist together or not at all. Returns
    the device and the bearer token, to be shown once. Actor: a system administrator (403
    ``not_system_admin``). Audited ``centers.device.issue`` (and ``api_token.issue``)."""
    if not account_perms.is_system_admin(perms.user_of(by)):
        raise PermissionDenied(_("只有系统管理员可以登记设备。"), code="not_system_admin")
    if kind not in DeviceKind.values:
        raise DomainError(_("不支持的设备类型。"), code="device_invalid", status=422,
                          fields={"kind": [_("请从给定选项中选择。")]})
    with transaction.atomic():
        center = Center.objects.select_for_update().filter(pk=as_id(center_id)).first()
        if center is None:
            raise NotFound(_("找不到该服务中心。"), code="center_not_found")
        values = {"window": window, "name": str(name or "").strip()[:60], "operator": operator}
        _check_device(center.pk, values)
        token, bearer = account_services.api_token_issue(
            by=by, name=values["name"][:100], scopes=["device"], system_name=f"device:{center.code}:{name}"[:100])
        device = Device.objects.create(center=center, kind=kind, token=token, **values)
        audit_record(actor=by, action="centers.device.issue", target=device,
                     after={"kind": kind, "name": device.name, "window": getattr(window, "pk", None),
                            "token": token.prefix})
    return device, bearer


def device_update(*, by: Actor, device_id: Any, **values: Any) -> Device:
    """Rename a device, move it to another window of its center, or change a kiosk's terminal
    account — a system administrator. Audited ``centers.device.update``."""
    if not account_perms.is_system_admin(perms.user_of(by)):
        raise PermissionDenied(_("只有系统管理员可以修改设备。"), code="not_system_admin")
    unknown = sorted(set(values) - set(DEVICE_FIELDS))
    if unknown:
        raise DomainError(_("该项不能修改。"), code="device_invalid", status=422,
                          fields={unknown[0]: [_("该项不能修改。")]})
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=as_id(device_id)).first()
        if device is None:
            raise NotFound(_("找不到该设备。"), code="device_not_found")
        _check_device(device.center_id, values)
        before, after = changed_values(device, values)
        if after:
            for field in after:
                setattr(device, field, values[field])
            device.save(update_fields=list(after))
            audit_record(actor=by, action="centers.device.update", target=device, before=before, after=after)
    return device


def device_revoke(*, by: Actor, device_id: Any, reason: str = "") -> Device:
    """停用: deactivate a device, end its browser binding and revoke its token, in one transaction —
    it is shut out at its next request. Idempotent for a device already revoked (nothing written).
    Actor: a system administrator. Audited ``centers.device.revoke`` (and ``api_token.revoke``)."""
    if not account_perms.is_system_admin(perms.user_of(by)):
        raise PermissionDenied(_("只有系统管理员可以停用设备。"), code="not_system_admin")
    with transaction.atomic():
        device = (Device.objects.select_for_update(of=("self",)).select_related("token")
                  .filter(pk=as_id(device_id)).first())
        if device is None:
            raise NotFound(_("找不到该设备。"), code="device_not_found")
        ended = DeviceBinding.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=timezone.now())
        was_active, token_live = device.is_active, device.token.revoked_at is None
        if not (was_active or token_live or ended):
            return device
        if was_active:
            device.is_active = False
            device.save(update_fields=["is_active"])
        if token_live:
            account_services.api_token_revoke(by=by, token=device.token, reason=reason or str(_("设备停用")))
        audit_record(actor=by, action="centers.device.revoke", target=device,
                     after={"was_active": was_active, "token_revoked": token_live, "bindings_ended": ended})
    return device
