"""TOTP two-factor authentication for staff (双因素认证, django-otp ``otp_totp``).

Basis: GB/T 22239-2019 (网络安全等级保护基本要求, level 3, 身份鉴别): administrators and staff
who handle personal data authenticate with two or more factors, one of them cryptographic.
Enrolment shows the otpauth:// URL as an inline SVG QR code (segno; no external asset) and is
confirmed by one valid code; afterwards each staff session is verified by a code after the
password. Required when ``settings.ONEWINDOW_REQUIRE_STAFF_2FA`` is true (production default).
"""

from __future__ import annotations

from typing import Any

import segno
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError

from . import permissions as perms

DEVICE_NAME = "totp"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def otp_enrolment_device(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created on first use (one pending device per user)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def otp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no external asset)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def otp_device_confirm(*, by: Any, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm enrolment with one valid code from the authenticator app (``otp_invalid``).
    Audited as ``otp.enrol``."""
    code = "".join(str(token or "").split())
    if device.user_id != getattr(by, "pk", None) or device.confirmed:
        raise DomainError(_("该认证设备无效，请重新绑定"), code="otp_device_invalid")
    if not code.isdigit() or not device.verify_token(code):
        raise DomainError(_("动态验证码错误或已过期，请重新输入"), code="otp_invalid",
                          fields={"token": [_("动态验证码错误或已过期")]})
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        audit_record(actor=by, action="otp.enrol", target=("otp_totp.totpdevice", str(device.pk), device.name),
                     role=perms.primary_role(by))
    return device


def otp_verify(*, by: Any, token: str) -> TOTPDevice:
    """Check a code against the user's confirmed devices (``otp_invalid``); the view then marks
    the session verified."""
    code = "".join(str(token or "").split())
    device = match_token(by, code) if code.isdigit() else None
    if not isinstance(device, TOTPDevice) or not device.confirmed:
        raise DomainError(_("动态验证码错误或已过期，请重新输入"), code="otp_invalid",
                          fields={"token": [_("动态验证码错误或已过期")]})
    return device
