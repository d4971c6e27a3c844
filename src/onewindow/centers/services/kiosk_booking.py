"""Appointments at the kiosk (自助预约、改约、取消, issue #10 part 6), with the rules of the web
booking (services.booking): no past slot, none beyond the booking horizon (limits.booking_last_day),
capacity held by the conditional UPDATE, one active booking per person, category and day, the
no-show restriction.

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
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import services as account_services
from onewindow.accounts.choices import IdType
from onewindow.accounts.models import Person
from onewindow.accounts.selectors import check_document
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.identifiers import validate_mobile
from onewindow.core.masking import mask_phone
from onewindow.core.throttle import throttle_hit
from onewindow.notifications.services import message_enqueue

from .. import limits
from ..choices import AppointmentStatus, DeviceKind
from ..models import Appointment, AppointmentSlot, Device
from .booking import CODE_ALPHABET, booking_restriction

A = AppointmentStatus
KIOSK_BOOKINGS_DEFAULT = (20, 600)
CHANNEL = "kiosk"


def _kiosk(device: Any) -> Device:
    if not isinstance(device, Device) or not device.is_active or device.kind != DeviceKind.KIOSK:
        raise PermissionDenied(_("本设备尚未登记为自助服务一体机。请联系中心管理员登记本设备。"),
                               code="device_not_enrolled")
    return device


def _throttle(device: Device) -> None:
    count, window = getattr(settings, "CENTERS_KIOSK_BOOKINGS", None) or KIOSK_BOOKINGS_DEFAULT
    if not throttle_hit(f"centers:kiosk-booking:{device.pk}", limit=int(count), window=int(window)):
        raise RateLimited(_("本机操作过于频繁，请稍后再试或到咨询台办理。"), code="kiosk_rate_limited")


def _moment(now: datetime.datetime | None) -> datetime.datetime:
    return timezone.localtime(now or timezone.now())


def _slot(device: Device, slot_id: Any, moment: datetime.datetime) -> AppointmentSlot:
    """A bookable slot of the kiosk's own center (the refusals of appointment_book)."""
    text = str(slot_id or "").strip()
    slot = (AppointmentSlot.objects.select_related("center", "category")
            .filter(pk=int(text), center_id=device.center_id, category__is_active=True).first()
            if text.isdigit() and len(text) < 19 else None)
    if slot is None or not slot.center.is_active:
        raise NotFound(_("找不到该预约时段。"), code="slot_not_found")
    if timezone.make_aware(datetime.datetime.combine(slot.date, slot.starts)) <= moment:
        raise Conflict(_("该时段已开始或已过去，请选择其他时段。"), code="slot_past")
    if slot.date > limits.booking_last_day(moment.date()):
        message = _("只能预约今天起 %(days)s 天内的时段，请选择其他时段。") % {"days": limits.booking_horizon_days()}
        raise DomainError(message, code="slot_beyond_horizon", status=422, fields={"slot": [message]})
    return slot


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


def _book(device: Device, slot: AppointmentSlot, person: Person, phone: str, item: Any,
          moment: datetime.datetime) -> Appointment:
    """Take a place and write the booking (inside the caller's transaction)."""
    if booking_restriction(person, moment.date()) is not None:
        raise _refused()
    if not AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1):
        raise Conflict(_("该时段已约满，请选择其他时段。"), code="slot_full")
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                slot=slot, category=slot.category, date=slot.date, person=person, user=None, phone=phone,
                code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)), channel=CHANNEL, item=item)
    except IntegrityError:
        raise _refused() from None
    audit_record(actor=device, action="centers.appointment.book", target=appointment,
                 after={"slot": slot.pk, "channel": CHANNEL, "phone": mask_phone(phone)}, channel="device")
    message_enqueue(event="appointment_booked", phone=phone, person=person, subject_type="appointment",
                    subject_id=str(appointment.pk),
                    context={"number": appointment.code, "center": slot.center.name,
                             "item": item.name if item else slot.category.name,
                             "due_date": f"{slot.date:%Y-%m-%d} {slot.starts:%H:%M}-{slot.ends:%H:%M}", "url": ""})
    return appointment


def kiosk_appointment_book(*, device: Any, slot_id: Any, name: str, id_number: str, phone: str,
                           now: datetime.datetime | None = None) -> Appointment:
    """自助预约 at the kiosk: book ``slot_id`` of its center for the person of the typed document.

    Refused, with nothing written (the registration of a new document is rolled back too): not an
    enrolled kiosk (403), too many attempts at this kiosk (429), a missing name, an invalid ID or
    mobile number (422), an unknown slot (404), a past slot (409 slot_past), one beyond the horizon
    (422 slot_beyond_horizon), a full slot (409 slot_full), already booked or restricted (409
    kiosk_booking_refused)."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    moment = _moment(now)
    clean_name, number, mobile = _identity(name, id_number, phone)
    slot = _slot(kiosk, slot_id, moment)
    with transaction.atomic():
        person = _person(kiosk, clean_name, number, mobile)
        return _book(kiosk, slot, person, mobile, None, moment)


def _tail(phone_tail: str) -> str:
    tail = re.sub(r"\D", "", str(phone_tail or ""))[:4]
    return tail if len(tail) == 4 else ""


def _by_code(device: Device, code: str, phone_tail: str, *, lock: bool) -> Appointment:
    """The booking of this center with ``code`` whose number ends in ``phone_tail``; 404 alike for a
    wrong code and a wrong tail."""
    qs = Appointment.objects.select_related("slot", "slot__center", "slot__category", "person", "item")
    if lock:
        qs = qs.select_for_update(of=("self",))
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
    return _by_code(kiosk, code, phone_tail, lock=False)


def _release(device: Device, appointment: Appointment, moment: datetime.datetime) -> None:
    if appointment.status != A.BOOKED:
        raise Conflict(_("该预约已签到、已取消或已爽约，不能再取消或改约。"), code="appointment_illegal_transition")
    if timezone.make_aware(datetime.datetime.combine(appointment.slot.date, appointment.slot.starts)) <= moment:
        raise Conflict(_("预约时段已开始，不能再取消或改约。"), code="slot_past")
    appointment.status = A.CANCELLED
    appointment.changed_at = moment
    appointment.save(update_fields=["status", "changed_at"])
    AppointmentSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
    audit_record(actor=device, action="centers.appointment.cancel", target=appointment,
                 channel="device")


def kiosk_appointment_cancel(*, device: Any, code: str, phone_tail: str,
                             now: datetime.datetime | None = None) -> Appointment:
    """取消预约 at the kiosk by code and phone tail, before the slot starts; the place is freed."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    moment = _moment(now)
    with transaction.atomic():
        appointment = _by_code(kiosk, code, phone_tail, lock=True)
        _release(kiosk, appointment, moment)
    return appointment


def kiosk_appointment_change(*, device: Any, code: str, phone_tail: str, slot_id: Any,
                             now: datetime.datetime | None = None) -> Appointment:
    """改约 at the kiosk: cancel and book the new slot in one transaction — both or neither; the new
    booking keeps the person, the number and the item."""
    kiosk = _kiosk(device)
    _throttle(kiosk)
    moment = _moment(now)
    with transaction.atomic():
        old = _by_code(kiosk, code, phone_tail, lock=True)
        slot = _slot(kiosk, slot_id, moment)
        _release(kiosk, old, moment)
        return _book(kiosk, slot, old.person, old.phone or old.person.phone, old.item, moment)
