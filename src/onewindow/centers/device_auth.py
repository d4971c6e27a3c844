"""Authentication of the hall devices (取号叫号评价器: ticket printers, call keypads, rating pads,
kiosks) on the centers API: ``Authorization: Bearer ow_<prefix>_<secret>``.

The bearer is an accounts.ApiToken holding the scope ``device``; the token's Device (one-to-one)
is the caller, and services receive that Device as ``by`` (permissions.is_center_staff then
limits it to its own center, and the services to its window). Refusals, all ``{code, message,
fields}``: an unknown, revoked or expired token 401 (``token_invalid`` / ``token_revoked`` /
``token_expired``); a token without the ``device`` scope 403 ``insufficient_scope``; a token bound
to no device 403 ``device_unknown``; a deactivated device or a device of a closed-down center 403
``device_inactive``. Revoking the token or deactivating the device shuts the device out at the
next request. Basis: GB/T 22239-2019 (身份鉴别, 访问控制): one credential per device, least
privilege, revocable alone.

``last_seen_at`` (the manager's "device online" view) is written at most once a minute, by one
conditional UPDATE, so a busy keypad does not write on every key press.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from onewindow.accounts.services import api_token_authenticate
from onewindow.core.errors import PermissionDenied

from .models import Device

DEVICE_SCOPE = "device"
SEEN_INTERVAL = datetime.timedelta(minutes=1)


class DeviceBearerAuth(HttpBearer):
    """The device behind a bearer token; ``request.auth`` is the :class:`~centers.models.Device`."""

    def authenticate(self, request: HttpRequest, token: str) -> Device:
        api_token = api_token_authenticate(bearer=token)
        if DEVICE_SCOPE not in (api_token.scopes or []):
            raise PermissionDenied(_("此令牌没有执行该操作的权限"), code="insufficient_scope")
        device = Device.objects.select_related("center", "window").filter(token=api_token).first()
        if device is None:
            raise PermissionDenied(_("此令牌未绑定任何设备。"), code="device_unknown")
        if not device.is_active or not device.center.is_active:
            raise PermissionDenied(_("该设备已停用，请联系中心管理员。"), code="device_inactive")
        touch(device)
        return device


def touch(device: Device, now: datetime.datetime | None = None) -> None:
    """Record that the device was seen, at most once per SEEN_INTERVAL (one conditional UPDATE)."""
    now = now or timezone.now()
    stale = now - SEEN_INTERVAL
    if device.last_seen_at is None or device.last_seen_at < stale:
        Device.objects.filter(pk=device.pk).exclude(last_seen_at__gte=stale).update(last_seen_at=now)
        device.last_seen_at = now


device_auth = DeviceBearerAuth()


def device_of(request: HttpRequest) -> Device:
    """The authenticated device of a request on a device operation."""
    device = getattr(request, "auth", None)
    if not isinstance(device, Device):  # pragma: no cover - the operation's auth guarantees it
        raise PermissionDenied(_("仅限中心设备调用。"), code="device_only")
    return device
