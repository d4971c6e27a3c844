"""Appointments (网上预约): book, change, cancel, check in, no-shows and reminders.

Rules (issue #4 part 2):
- capacity is never exceeded: a slot's ``booked`` only grows by a conditional UPDATE
  (``booked < capacity``) in the booking's transaction, with a check constraint behind it;
- one active booking per person, category and day (a partial unique constraint);
- no booking of a past slot, nor of one beyond the booking horizon (limits.booking_last_day:
  CENTERS_BOOKING_HORIZON_DAYS, default 14 days, today included — the same rule the page and the
  API's slot list use); check-in only on the day, from CENTERS_CHECKIN_EARLY_MINUTES before
  the slot to CENTERS_CHECKIN_LATE_MINUTES after its end; it turns the booking into a priority ticket;
- a booking not checked in by then is a no-show (爽约); CENTERS_NO_SHOW_LIMIT no-shows within
  CENTERS_NO_SHOW_WINDOW_DAYS restrict booking for CENTERS_NO_SHOW_BLOCK_DAYS, and the refusal
  states the rule (local practice, configurable — DOMAIN.md has no national rule);
- fair access against slot-grabbing scripts: at most CENTERS_BOOKING_RATE booking attempts per user
  a minute (the pages add a simple challenge);
- reminders the day before and an hour before go to the outbox.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record
from onewindow.core.codes import UNAMBIGUOUS, as_id, random_code
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.throttle import throttle_hit
from onewindow.notifications.services import message_enqueue

from .. import limits
from .. import permissions as perms
from ..choices import AppointmentStatus, TicketPriority, TicketSource
from ..models import Appointment, AppointmentSlot, Ticket
from .queue import ticket_take

A = AppointmentStatus
CODE_ALPHABET = UNAMBIGUOUS


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return timezone.localtime(now or timezone.now())


def _slot_start(slot: AppointmentSlot) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(slot.date, slot.starts))


def _slot_end(slot: AppointmentSlot) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(slot.date, slot.ends))


def booking_restriction(person: Any, today: datetime.date) -> datetime.date | None:
    """The day until which the person may not book (repeated no-shows), or None."""
    limit = _setting("CENTERS_NO_SHOW_LIMIT", 3)
    window = _setting("CENTERS_NO_SHOW_WINDOW_DAYS", 90)
    block = _setting("CENTERS_NO_SHOW_BLOCK_DAYS", 30)
    dates = list(Appointment.objects.filter(person=person, status=A.NO_SHOW,
                                            date__gt=today - datetime.timedelta(days=window))
                 .order_by("-date").values_list("date", flat=True)[:limit])
    if len(dates) < limit:
        return None
    until = dates[0] + datetime.timedelta(days=block)
    return until if until >= today else None


def _throttle(user: Any) -> None:
    # One budget for every worker process (core.throttle: the shared cache).
    if not throttle_hit(f"centers:booking-rate:{user.pk}", limit=_setting("CENTERS_BOOKING_RATE", 10), window=60):
        raise RateLimited(_("预约操作过于频繁，请一分钟后再试。"), code="booking_rate_limited")


def _notify(appointment: Appointment, event: str) -> None:
    slot = appointment.slot
    # A kiosk booking keeps the number typed for it (services.kiosk_booking); others the person's.
    message_enqueue(event=event, phone=appointment.phone or appointment.person.phone, user=appointment.user,
                    person=appointment.person,
                    subject_type="appointment",
                    subject_id=str(appointment.pk),
                    context={"number": appointment.code, "center": slot.center.name,
                             "item": appointment.item.name if appointment.item else slot.category.name,
                             "due_date": f"{slot.date:%Y-%m-%d} {slot.starts:%H:%M}-{slot.ends:%H:%M}",
                             "url": f"/centers/appointments/{appointment.code}/"})


def appointment_book(*, by: Actor, slot_id: Any, item: Any = None, channel: str = "web",
                     now: datetime.datetime | None = None) -> Appointment:
    """Book a slot for the logged-in person (real-name login). Refused: unknown slot (404), a past
    slot (409 slot_past), a slot beyond the booking horizon (422 slot_beyond_horizon), a full slot
    (409 slot_full), a second active booking of the same category that day (409 already_booked),
    a person restricted after no-shows (409 booking_restricted). Nothing is written on a refusal."""
    user = account_perms.as_user(by)
    if user is None:
        raise PermissionDenied(_("请先登录。"), code="login_required", status=401)
    if user.person is None:
        raise DomainError(_("请先完成实名登记再预约。"), code="real_name_required", status=422)
    _throttle(user)
    moment = _now(now)
    slot = AppointmentSlot.objects.select_related("center", "category").filter(pk=as_id(slot_id)).first()
    if slot is None or not slot.center.is_active:
        raise NotFound(_("找不到该预约时段。"), code="slot_not_found")
    if _slot_start(slot) <= moment:
        raise Conflict(_("该时段已开始或已过去，请选择其他时段。"), code="slot_past")
    if slot.date > limits.booking_last_day(moment.date()):
        message = _("只能预约今天起 %(days)s 天内的时段，请选择其他时段。") % {"days": limits.booking_horizon_days()}
        raise DomainError(message, code="slot_beyond_horizon", status=422, fields={"slot": [message]})
    until = booking_restriction(user.person, moment.date())
    if until is not None:
        raise Conflict(_("您在 %(days)s 天内爽约已达 %(n)s 次，%(until)s 前暂停网上预约；可直接到中心现场取号。")
                       % {"days": _setting("CENTERS_NO_SHOW_WINDOW_DAYS", 90),
                          "n": _setting("CENTERS_NO_SHOW_LIMIT", 3), "until": until.isoformat()},
                       code="booking_restricted")
    try:
        with transaction.atomic():
            if not AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1):
                raise Conflict(_("该时段已约满，请选择其他时段。"), code="slot_full")
            appointment = Appointment.objects.create(
                slot=slot, category=slot.category, date=slot.date, person=user.person, user=user,
                code=random_code(CODE_ALPHABET, 8), channel=channel[:12], item=item)
            audit_record(actor=user, action="centers.appointment.book", target=appointment,
                         after={"slot": slot.pk, "channel": channel})
            _notify(appointment, "appointment_booked")
    except IntegrityError:
        raise Conflict(_("您当天已预约过该类业务；如需改期，请先取消或修改原预约。"), code="already_booked") from None
    return appointment



def _own(by: Actor, appointment_id: Any) -> Appointment:
    user = account_perms.as_user(by)
    appointment = (Appointment.objects.select_for_update(of=("self",)).select_related("slot", "slot__center", "person")
                   .filter(pk=as_id(appointment_id)).first())
    if appointment is None or user is None or appointment.person_id != user.person_id:
        raise NotFound(_("找不到该预约。"), code="appointment_not_found")
    return appointment


def appointment_cancel(*, by: Actor, appointment_id: Any, now: datetime.datetime | None = None) -> Appointment:
    """取消预约 by its holder before the slot starts; the place is freed."""
    moment = _now(now)
    with transaction.atomic():
        appointment = _own(by, appointment_id)
        if appointment.status != A.BOOKED:
            raise Conflict(_("该预约已签到、已取消或已爽约，不能取消。"), code="appointment_illegal_transition")
        if _slot_start(appointment.slot) <= moment:
            raise Conflict(_("预约时段已开始，不能再取消。"), code="slot_past")
        appointment.status = A.CANCELLED
        appointment.changed_at = moment
        appointment.save(update_fields=["status", "changed_at"])
        AppointmentSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
        audit_record(actor=by, action="centers.appointment.cancel", target=appointment)
    return appointment


def appointment_change(*, by: Actor, appointment_id: Any, slot_id: Any,
                       now: datetime.datetime | None = None) -> Appointment:
    """改约: cancel and book anew in one transaction — either both happen or neither (a new slot
    beyond the booking horizon is refused like a booking, 422 slot_beyond_horizon)."""
    with transaction.atomic():
        old = appointment_cancel(by=by, appointment_id=appointment_id, now=now)
        return appointment_book(by=by, slot_id=slot_id, item=old.item, channel=old.channel, now=now)


def appointment_check_in(*, by: Actor, code: str, center_code: str = "",
                         now: datetime.datetime | None = None) -> Ticket:
    """签到 at the kiosk or by scanning: the booking becomes a priority (appointment) ticket.

    Refused: unknown code (404), already checked in (409 already_checked_in), not the day or outside
    the check-in window (409 checkin_not_open), a device of another center or a kiosk page of
    another center (``center_code``; 403 wrong_center)."""
    moment = _now(now)
    with transaction.atomic():
        appointment = (Appointment.objects.select_for_update(of=("self",))
                       .select_related("slot", "slot__center", "person")
                       .filter(code=str(code or "").strip().upper()[:12]).first())
        if appointment is None:
            raise NotFound(_("找不到该预约。"), code="appointment_not_found")
        slot = appointment.slot
        device = perms.device_of(by)
        if (device is not None and device.center_id != slot.center_id) or (
                center_code and slot.center.code != center_code):
            # A ticket printed for another hall would use up the booking in vain.
            raise PermissionDenied(_("该预约不属于本中心。"), code="wrong_center")
        if appointment.status == A.CHECKED_IN:
            raise Conflict(_("该预约已签到，请勿重复签到。"), code="already_checked_in")
        if appointment.status != A.BOOKED:
            raise Conflict(_("该预约已取消或已爽约。"), code="appointment_illegal_transition")
        early = datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_EARLY_MINUTES", 30))
        late = datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_LATE_MINUTES", 15))
        if not (_slot_start(slot) - early <= moment <= _slot_end(slot) + late):
            raise Conflict(_("请在预约时段开始前 %(e)s 分钟至结束后 %(l)s 分钟内签到。")
                           % {"e": early.seconds // 60, "l": late.seconds // 60}, code="checkin_not_open")
        appointment.status = A.CHECKED_IN
        appointment.changed_at = moment
        appointment.save(update_fields=["status", "changed_at"])
        ticket = ticket_take(by=by, center_id=slot.center_id, category_id=slot.category_id,
                             priority=TicketPriority.APPOINTMENT, source=TicketSource.APPOINTMENT,
                             person=appointment.person, phone=appointment.phone or appointment.person.phone,
                             appointment=appointment,
                             now=moment)
    return ticket


def appointments_mark_no_shows(*, now: datetime.datetime | None = None) -> int:
    """爽约: bookings not checked in by the end of the check-in window (run by the scheduler)."""
    moment = _now(now)
    late = datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_LATE_MINUTES", 15))
    marked = 0
    for appointment in Appointment.objects.filter(status=A.BOOKED, date__lte=moment.date()).select_related("slot"):
        if _slot_end(appointment.slot) + late < moment:
            marked += Appointment.objects.filter(pk=appointment.pk, status=A.BOOKED).update(
                status=A.NO_SHOW, changed_at=moment)
    return marked


def appointments_send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Reminders the day before (after 18:00 … any time that day) and an hour before the slot."""
    moment = _now(now)
    sent = 0
    tomorrow = moment.date() + datetime.timedelta(days=1)
    with transaction.atomic():
        for appointment in (Appointment.objects.select_for_update(of=("self",))
                            .filter(status=A.BOOKED, date=tomorrow, reminded_day=False)
                            .select_related("slot", "slot__center", "slot__category", "person", "item")):
            appointment.reminded_day = True
            appointment.save(update_fields=["reminded_day"])
            _notify(appointment, "appointment_reminder")
            sent += 1
        for appointment in (Appointment.objects.select_for_update(of=("self",))
                            .filter(status=A.BOOKED, date=moment.date(), reminded_hour=False)
                            .select_related("slot", "slot__center", "slot__category", "person", "item")):
            start = _slot_start(appointment.slot)
            if moment < start <= moment + datetime.timedelta(hours=1):
                appointment.reminded_hour = True
                appointment.save(update_fields=["reminded_hour"])
                _notify(appointment, "appointment_reminder")
                sent += 1
    return sent
