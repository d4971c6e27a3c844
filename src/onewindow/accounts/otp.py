"""TOTP two-factor authentication for staff (双因素认证, django-otp ``otp_totp``), enrolment
confirmed by a system admin, and single-use recovery codes (``otp_static``).

Basis: GB/T 22239-2019 (网络安全等级保护基本要求, level 3, 身份鉴别): administrators and staff
who handle personal data authenticate with two or more factors, one of them cryptographic;
OWASP ASVS 5.0 V6 (authenticator lifecycle: binding a new authenticator needs more than the
password; recovery codes are random, single-use and stored hashed).

Enrolment (decision 0008): a staff user binds an authenticator app only under an enrolment that
a system admin granted (:func:`otp_enrolment_grant`, or the server command
``otp_enrolment_grant`` for the first admin). The grant carries a one-time enrolment code that
reaches the user out of band (handed over in person); the enrol page asks for it and for one
valid TOTP code, so knowing the password is not enough to bind a device (no trust on first use).
A grant expires after ``ACCOUNTS_OTP_ENROLMENT_HOURS`` (default 24) and is used once. Binding
replaces any earlier device and yields 10 recovery codes, shown once.

Storage: a grant is an unconfirmed django-otp ``StaticDevice`` named ``enrolment`` holding one
token, the keyed hash of the enrolment code (it can never verify a login: django-otp accepts
confirmed devices only); recovery codes are the tokens of a confirmed ``StaticDevice`` named
``recovery``, each the keyed hash of a code (HMAC-SHA256 under SECRET_KEY, 80 bits kept), so a
database copy does not reveal them. django-otp deletes a token when it is used: each code works
once. Every grant, binding, use and regeneration is audited.
"""

from __future__ import annotations

import base64
import datetime
import unicodedata
from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import random_code
from onewindow.core.errors import Conflict, DomainError, PermissionDenied

from . import permissions as perms

DEVICE_NAME = "totp"
ENROLMENT_NAME = "enrolment"
RECOVERY_NAME = "recovery"
RECOVERY_CODE_COUNT = 10
_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: codes are read aloud and typed
_HASH_SALT = "onewindow.accounts.otp.static-token"


class EnrolmentNotGranted(DomainError):
    status = 403
    code = "otp_enrolment_not_granted"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_hours() -> int:
    return int(getattr(settings, "ACCOUNTS_OTP_ENROLMENT_HOURS", 24))


# --------------------------------------------------------------------------- one-time codes
def _new_code() -> str:
    raw = random_code(_CODE_ALPHABET, 10)
    return f"{raw[:5]}-{raw[5:]}"


def _normalize(code: Any) -> str:
    text = unicodedata.normalize("NFKC", str(code or "")).lower()
    return "".join(ch for ch in text if ch.isalnum())


def _hashes(code: Any) -> list[str]:
    """The stored forms of a code under the current SECRET_KEY and each fallback (16 chars, the
    width of django-otp's token column: 80 bits of HMAC-SHA256)."""
    value = _normalize(code)
    if not value:
        return []
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [base64.b32encode(salted_hmac(_HASH_SALT, value, secret=key, algorithm="sha256").digest()[:10])
            .decode().lower() for key in keys]


# --------------------------------------------------------------------------- enrolment grants
def open_grant(user: Any) -> StaticDevice | None:
    """The user's unexpired, unused enrolment grant."""
    since = timezone.now() - datetime.timedelta(hours=enrolment_hours())
    return (StaticDevice.objects.filter(user=user, name=ENROLMENT_NAME, confirmed=False, created_at__gt=since)
            .order_by("-id").first())


def otp_enrolment_grant(*, by: Actor, user: Any) -> str:
    """Allow ``user`` to bind an authenticator app (开通动态验证码绑定); returns the one-time
    enrolment code, to be handed to the user out of band (it is shown once and stored hashed).
    Actor: a system admin, or the server operator (a system actor: the management command, for
    the first admin). An earlier open grant is replaced. Audited as ``otp.enrolment.grant``."""
    if not is_system(by) and not perms.is_system_admin(by):
        raise PermissionDenied(_("只有系统管理员可以开通动态验证码绑定"))
    if getattr(user, "pk", None) is None or not user.is_active:
        raise DomainError(_("该账号不存在或已停用"), code="user_inactive")
    code = _new_code()
    with transaction.atomic():
        StaticDevice.objects.filter(user=user, name=ENROLMENT_NAME, confirmed=False).delete()
        grant = StaticDevice.objects.create(user=user, name=ENROLMENT_NAME, confirmed=False)
        StaticToken.objects.create(device=grant, token=_hashes(code)[0])
        expires = grant.created_at + datetime.timedelta(hours=enrolment_hours())
        audit_record(actor=by, action="otp.enrolment.grant", target=user,
                     after={"expires_at": expires.isoformat()},
                     role=perms.primary_role(by) if not is_system(by) else "")
    return code


def otp_enrolment_device(*, user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device under an open grant, created on first use (one pending
    device per user); ``otp_enrolment_not_granted`` (403) without a grant."""
    if open_grant(user) is None:
        raise EnrolmentNotGranted(_("动态验证码绑定须由系统管理员开通，请联系系统管理员获取绑定码"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def otp_qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code (no external asset)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def _invalid_token() -> DomainError:
    return DomainError(_("动态验证码错误或已过期，请重新输入"), code="otp_invalid",
                       fields={"token": [_("动态验证码错误或已过期")]})


def otp_device_confirm(*, by: Actor, device: TOTPDevice, token: str, enrolment_code: str) -> list[str]:
    """Bind the device: the grant's enrolment code (``otp_enrolment_code_invalid``) and one valid
    code from the authenticator app (``otp_invalid``). Earlier devices and recovery codes of the
    user are replaced; returns the 10 new recovery codes (shown once). Audited as ``otp.enrol``
    and ``otp.recovery_codes.generate``."""
    code = "".join(str(token or "").split())
    if device.user_id != getattr(by, "pk", None) or device.confirmed:
        raise DomainError(_("该认证设备无效，请重新绑定"), code="otp_device_invalid")
    grant = open_grant(by)
    if grant is None:
        raise EnrolmentNotGranted(_("动态验证码绑定须由系统管理员开通，请联系系统管理员获取绑定码"))
    if not grant.token_set.filter(token__in=_hashes(enrolment_code)).exists():
        raise DomainError(_("绑定码错误，请核对系统管理员提供的绑定码"), code="otp_enrolment_code_invalid",
                          fields={"enrolment_code": [_("绑定码错误")]})
    if not code.isdigit() or not device.verify_token(code):
        raise _invalid_token()
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        replaced, _detail = TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        grant.delete()
        audit_record(actor=by, action="otp.enrol", target=("otp_totp.totpdevice", str(device.pk), device.name),
                     after={"replaced_devices": replaced}, role=perms.primary_role(by))
        codes = _replace_recovery_codes(by, reason="enrol")
    return codes


# --------------------------------------------------------------------------- verification
def otp_verify(*, by: Actor, token: str) -> TOTPDevice:
    """Check a code against the user's confirmed TOTP devices (``otp_invalid``); the view then
    marks the session verified. Only TOTP devices are tried: a recovery code goes through
    :func:`recovery_code_use`, so a typo here never costs a recovery code."""
    code = "".join(str(token or "").split())
    if code.isdigit():
        for device in TOTPDevice.objects.filter(user=by, confirmed=True):
            if device.verify_token(code):
                return device
    raise _invalid_token()


# --------------------------------------------------------------------------- recovery codes
def recovery_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_NAME, confirmed=True).first()


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME,
                                      device__confirmed=True).count()


def _replace_recovery_codes(user: Any, *, reason: str) -> list[str]:
    StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        candidate = _new_code()
        if candidate not in codes:
            codes.append(candidate)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=_hashes(c)[0]) for c in codes])
    audit_record(actor=user, action="otp.recovery_codes.generate",
                 target=("otp_static.staticdevice", str(device.pk), device.name),
                 after={"reason": reason, "count": RECOVERY_CODE_COUNT}, role=perms.primary_role(user))
    return codes


def recovery_codes_generate(*, by: Actor) -> list[str]:
    """New recovery codes for ``by`` (the old ones stop working); only for a user with a bound
    authenticator (``otp_not_enrolled``, 409). The view demands a fresh re-authentication.
    Audited as ``otp.recovery_codes.generate``."""
    if perms.as_user(by) is None or confirmed_device(by) is None:
        raise Conflict(_("尚未绑定动态验证码，无法生成恢复码"), code="otp_not_enrolled")
    with transaction.atomic():
        return _replace_recovery_codes(by, reason="regenerate")


def recovery_code_use(*, by: Actor, code: str) -> StaticDevice:
    """Log in with a recovery code instead of a TOTP code: each code works once
    (``recovery_code_invalid``). Audited as ``otp.recovery_code.use`` with the codes left."""
    hashes = _hashes(code)
    remaining = -1
    with transaction.atomic():
        device = (StaticDevice.objects.select_for_update()
                  .filter(user=by, name=RECOVERY_NAME, confirmed=True).first())
        allowed = device is not None and device.verify_is_allowed()[0]
        match = device.token_set.filter(token__in=hashes).first() if device is not None and allowed else None
        if device is not None and match is not None:
            match.delete()
            device.throttle_reset(commit=False)
            device.set_last_used_timestamp(commit=False)
            device.save()
            remaining = device.token_set.count()
            audit_record(actor=by, action="otp.recovery_code.use",
                         target=("otp_static.staticdevice", str(device.pk), device.name),
                         after={"remaining": remaining}, role=perms.primary_role(by))
    if device is None or remaining < 0:
        if device is not None and allowed:
            device.throttle_increment()  # outside the transaction: a refusal must still count
        raise DomainError(_("恢复码错误或已使用"), code="recovery_code_invalid",
                          fields={"recovery_code": [_("恢复码错误或已使用")]})
    return device
