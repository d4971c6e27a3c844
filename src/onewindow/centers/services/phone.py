"""One-time codes that confirm a phone number typed at a kiosk (手机号验证码, decision 0008).

A number typed at a kiosk or ticket printer gets no queue SMS (近号提醒, 叫号) until the holder
types back the code sent to it: without this anyone could have strangers' phones texted by the
hall. The code is sent through the notifications outbox (in the take's transaction), stored as a
keyed hash, valid CENTERS_PHONE_CODE_SECONDS, with CENTERS_PHONE_CODE_ATTEMPTS tries; at most
CENTERS_PHONE_CODE_LIMITS codes per number and per device (beyond them no code is sent and the
ticket stands without SMS). Basis: 个人信息保护法 art. 10; GB/T 22239-2019 8.1.4.3 入侵防范 (limits on
abuse of a public interface); OWASP ASVS 5.0 V6 (out-of-band verifier: one-time, expiring,
rate-limited, stored hashed).
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core import crypto
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound, RateLimited
from onewindow.core.masking import mask_phone
from onewindow.notifications.services import message_enqueue

from .. import limits
from ..models import Device, PhoneCheck, Ticket

CODE_DIGITS = 6


def _code_hash(ticket_id: int, code: str, key: Any = None) -> str:
    return crypto.keyed_hash(f"centers.phone-code:{ticket_id}:{code}", key=key)


def phone_check_start(*, ticket: Ticket, phone: str, device: Device | None,
                      now: datetime.datetime) -> PhoneCheck | None:
    """Send a one-time code to the number typed for ``ticket`` (inside the take's transaction).

    Returns None, sending nothing, when the number or the device has had its codes for the hour
    (CENTERS_PHONE_CODE_LIMITS): the ticket is valid, the number just receives no SMS.
    """
    hashes = crypto.keyed_hash_candidates(phone)
    count, seconds = limits.code_limit("phone")
    if PhoneCheck.objects.filter(phone_hash__in=hashes,
                                 created_at__gte=now - datetime.timedelta(seconds=seconds)).count() >= count:
        return None
    if device is not None:
        count, seconds = limits.code_limit("device")
        if PhoneCheck.objects.filter(device=device,
                                     created_at__gte=now - datetime.timedelta(seconds=seconds)).count() >= count:
            return None
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    valid = limits.code_seconds()
    check = PhoneCheck.objects.create(ticket=ticket, device=device, phone_hash=hashes[0],
                                      code_hash=_code_hash(ticket.pk, code), created_at=now,
                                      expires_at=now + datetime.timedelta(seconds=valid))
    message_enqueue(event="phone_code", phone=phone, person=ticket.person if ticket.person_id else None,
                    subject_type="ticket",
                    subject_id=str(ticket.pk),
                    context={"code": code, "center": ticket.center.name, "minutes": valid // 60})
    audit_record(actor=device, action="centers.phone_code.send", target=ticket,
                 after={"phone": mask_phone(phone)}, channel="device" if device else "web")
    return check


def phone_check_pending(ticket: Ticket) -> bool:
    """Whether the ticket's number still waits for its code (a live, unconfirmed check)."""
    return PhoneCheck.objects.filter(ticket=ticket, confirmed_at__isnull=True, expires_at__gt=timezone.now()).exists()


def phone_check_confirm(*, status_code: str, code: str, device: Device | None = None,
                        now: datetime.datetime | None = None) -> Ticket:
    """Confirm the ticket's number with the code sent to it; queue SMS go to it from then on.

    Refused, with nothing confirmed: no code waiting for this ticket (or one sent from another
    device, or a device of another center) 404
    phone_code_not_found; expired 409 phone_code_expired; too many wrong entries 429
    phone_code_locked; a wrong code 422 phone_code_invalid (the attempt is counted).
    """
    moment = now or timezone.now()
    given = "".join(str(code).split())[:CODE_DIGITS + 2]
    error: DomainError | None = None
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("center")
                  .filter(status_code=str(status_code)[:16]).first())
        check = (PhoneCheck.objects.select_for_update().filter(ticket=ticket, confirmed_at__isnull=True)
                 .order_by("-id").first() if ticket is not None else None)
        if ticket is None or check is None or (device is not None and (
                device.center_id != ticket.center_id or check.device_id not in (None, device.pk))):
            raise NotFound(_("没有等待确认的验证码。"), code="phone_code_not_found")
        if check.expires_at <= moment:
            raise DomainError(_("验证码已过期。本号照常有效，但不发短信提醒。"), code="phone_code_expired", status=409)
        if check.attempts >= limits.code_attempts():
            raise RateLimited(_("验证码错误次数过多。本号照常有效，但不发短信提醒。"), code="phone_code_locked")
        matches = any(hmac.compare_digest(check.code_hash, _code_hash(ticket.pk, given, key))
                      for key in crypto.keyring())
        if not matches:
            PhoneCheck.objects.filter(pk=check.pk).update(attempts=F("attempts") + 1)
            error = DomainError(_("验证码不正确，请重新输入。"), code="phone_code_invalid", status=422,
                                fields={"code": [_("验证码不正确。")]})
        else:
            PhoneCheck.objects.filter(pk=check.pk).update(confirmed_at=moment)
            ticket.phone_confirmed_at = moment
            ticket.save(update_fields=["phone_confirmed_at"])
            audit_record(actor=device, action="centers.ticket.phone_confirm",
                         target=ticket, after={"phone": mask_phone(ticket.phone)},
                         channel="device" if device else "web")
    if error is not None:
        raise error
    return ticket
