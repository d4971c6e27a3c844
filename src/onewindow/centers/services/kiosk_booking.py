"""Appointments at the kiosk (自助预约、改约、取消, issue #10 part 6). The kiosk books, changes and
cancels through the one booking service (services.booking) as its device — ``by`` is the kiosk, a
``kiosk`` actor of workflow.APPOINTMENT_ACTORS — so the rules of every channel hold here by
construction: no past slot, none beyond the booking horizon (CENTERS_BOOKING_HORIZON_DAYS), none of
another center, capacity held by the conditional UPDATE, one active booking per person, category
and day, the no-show restriction; each step writes its AppointmentEvent and audit entry. What this
module adds is the kiosk's own: who the person is, and the refusals that must not say it.

The kiosk has no login (decision 0008: the browser is bound to its device). The person is
identified by name, resident ID number and mobile number, with **no identity oracle** (the rule of
the kiosk self-fill in cases): the inputs are validated before the registry is read; an unknown
document is registered unverified (by the kiosk's terminal account, documents not seen) and a
registered one goes on whatever name and number were typed — the answer is the same. The booking
keeps the typed number: its SMS goes there, and the booking code with that number's last four
digits changes or cancels it at the kiosk; a wrong code and a wrong tail are the same 404. A
registered person restricted for no-shows, or already booked that day, is refused with one
answer that names neither (409 kiosk_booking_refused). Every step is throttled per kiosk
(CENTERS_KIOSK_BOOKINGS, default 20 in 10 minutes; 429 kiosk_rate_limited).

Basis: 个人信息保护法 art. 10 and 51 (no disclosure of who is registered); GB/T 22239-2019
8.1.4.2 访问控制 / 8.1.4.3 入侵防范 (device-bound access, rate limits on a public interface); OWASP
ASVS 5.0 V2 (business logic limits), V6 (no account enumeration).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import services as account_services
from onewindow.accounts.choices import IdType
from onewindow.accounts.models import Person
from onewindow.accounts.selectors import check_document
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.identifiers import validate_mobile
from onewindow.core.throttle import throttle_hit

from ..choices import DeviceKind
from ..models import Appointment, Device
from . import booking

KIOSK_BOOKINGS_DEFAULT = (20, 600)
#: The refusals of the booking service that would tell whether a document is registered, and how
#: its holder has booked before: the kiosk answers both with kiosk_booking_refused.
HIDDEN_REFUSALS = frozenset({"already_booked", "booking_restricted"})


def _kiosk(device: Any) -> Device:
    if not isinstance(device, Device) or not device.is_active or device.kind != DeviceKind.KIOSK:
        raise PermissionDenied(_("本设备尚未登记为自助服务一体机。请联系中心管理员登记本设备。"),
                               code="device_not_enrolled")
    return device


def _throttle(device: Device) -> None:
    count, window = getattr(settings, "CENTERS_KIOSK_BOOKINGS", None) or KIOSK_BOOKINGS_DEFAULT
    if not throttle_hit(f"centers:kiosk-booking:{device.pk}", limit=int(count), window=int(window)):
        raise RateLimited(_("本机操作过于频繁，请稍后再试或到咨询台办理。"), code="kiosk_rate_limited")


def _refused() -> Conflict:
    return Conflict(_("无法为该证件预约这一天的此类业务（已有预约或暂停预约）。如需帮助，请到咨询台。"),
                    code="kiosk_booking_refused")


def _identity(name: str, id_number: str, phone: str) -> tuple[str, str, str]:
    """Validate the typed identity before the registry is read (the same refusals for anyone)."""
    clean_name = " ".join(str(name or "").split())[:50]
    if not clean_name:
        raise DomainError(_("请填写姓名"), code="name_required", status=422, fields={"name": [_("请填写姓名")]})
    try:
        doc = check_document(IdType.RESIDENT_ID, str(id_number or "")[:30])
        mobile = str(validate_mobile(str(phone or "")[:20], field="phone"))
    except DomainError as exc:  # a form error of the page: 422 with the field
        raise DomainError(exc.message, code=exc.code, status=422, fields=exc.fields) from None
    return clean_name, doc.id_number, mobile


def _person(device: Device, name: str, id_number: str, phone: str) -> Person:
    try:
        return account_services.person_by_document(IdType.RESIDENT_ID, id_number)
    except NotFound:
        return account_services.person_register(by=device.operator or device, name=name, id_number=id_number,
                                                phone=phone, link_to_self=False, documents_seen=False)


def kiosk_appointment_book(*, device: Any, slot_id: Any, name: str, id_number: str, phone: str,
                           now: datetime.datetime | None = None) -> Appointment:
    """自助预约 at the kiosk: book ``slot_id`` of its center for the person of the typed document
    (booking.appointment_book by the kiosk, channel ``kiosk``, the SMS to the typed number).

    Refused, with nothing written (the registration of a new document is rolled back too): not an
    enrolled kiosk (403), too many attempts at this kiosk (429), a missing name, an invalid ID or
    mobile number (422), and the refusals of the booking service — an unknown slot or one of
    another center (404), a past slot (409 slot_past), one beyond the horizon (422
    slot_beyond_horizon), a full slot (409 slot_full) —, except that already booked or restricted
    are both 409 kiosk_booking_refused."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    clean_name, number, mobile = _identity(name, id_number, phone)
    try:
        with transaction.atomic():
            person = _person(kiosk, clean_name, number, mobile)
            return booking.appointment_book(by=kiosk, slot_id=slot_id, person=person, phone=mobile,
                                            channel=booking.KIOSK_CHANNEL, now=now)
    except Conflict as exc:
        if exc.code in HIDDEN_REFUSALS:
            raise _refused() from None
        raise


def _tail(phone_tail: str) -> str:
    tail = re.sub(r"\D", "", str(phone_tail or ""))[:4]
    return tail if len(tail) == 4 else ""


def _by_code(device: Device, code: str, phone_tail: str) -> Appointment:
    """The booking of this center with ``code`` whose number ends in ``phone_tail`` — the holder's
    proof at the kiosk; 404 alike for a wrong code and a wrong tail."""
    qs = Appointment.objects.select_related("slot", "slot__center", "slot__category", "person", "item")
    tail = _tail(phone_tail)
    appointment = (qs.filter(code=str(code or "").strip().upper()[:12], slot__center_id=device.center_id).first()
                   if tail else None)
    if appointment is None or not (appointment.phone or appointment.person.phone).endswith(tail):
        raise NotFound(_("预约码或手机尾号不正确。"), code="appointment_not_found")
    return appointment


def kiosk_appointment_find(*, device: Any, code: str, phone_tail: str) -> Appointment:
    """The booking a kiosk user names by code and phone tail (to show before changing or cancelling)."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    return _by_code(kiosk, code, phone_tail)


def kiosk_appointment_cancel(*, device: Any, code: str, phone_tail: str,
                             now: datetime.datetime | None = None) -> Appointment:
    """取消预约 at the kiosk by code and phone tail (booking.appointment_cancel by the kiosk), before
    the slot starts; the place is freed."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    appointment = _by_code(kiosk, code, phone_tail)
    return booking.appointment_cancel(by=kiosk, appointment_id=appointment.pk, now=now)


def kiosk_appointment_change(*, device: Any, code: str, phone_tail: str, slot_id: Any,
                             now: datetime.datetime | None = None) -> Appointment:
    """改约 at the kiosk by code and phone tail (booking.appointment_change by the kiosk): the old
    booking ends and the new slot is booked in one transaction — both or neither; the new booking
    keeps the person, the number and the item. Already booked or restricted: 409
    kiosk_booking_refused, as when booking."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    old = _by_code(kiosk, code, phone_tail)
    try:
        return booking.appointment_change(by=kiosk, appointment_id=old.pk, slot_id=slot_id, now=now)
    except Conflict as exc:
        if exc.code in HIDDEN_REFUSALS:
            raise _refused() from None
        raise
