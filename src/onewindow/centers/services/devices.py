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

from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import permissions as perms
from ..choices import DeviceKind
from ..device_auth import binding_digest as _digest
from ..models import Device, DeviceBinding
from .queue import as_id

#: Device kinds that run in a browser and may be bound (the others use the API with their token).
BROWSER_KINDS = frozenset({DeviceKind.KIOSK, DeviceKind.DISPLAY})


def device_enrol(*, by: Any, device_id: Any) -> tuple[DeviceBinding, str]:
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


def device_unbind(*, by: Any, device_id: Any) -> int:
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
