"""Appointments (网上预约): book, change, cancel, check in, no-shows and reminders.

Every step follows the workflow recipe of the cases (``workflow.APPOINTMENT_TRANSITIONS`` and
``APPOINTMENT_ACTORS``; issue #10 part 4): in one transaction the service locks the row, checks the
guard — 404 ``appointment_not_found`` for an appointment that is none of the caller's (403
``wrong_center`` for a device of another center, which was shown the code), 403
``appointment_action_forbidden`` for one they may see but not act on, 409
``appointment_illegal_transition`` in the wrong status —, mutates, appends one AppointmentEvent and
one audit entry and queues the SMS. Nothing is written on a refusal.

The booking rules below live here once for every channel: the pages and the API book as the
logged-in person, the kiosk (services.kiosk_booking) as its device for the person identified there.

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
  a minute (the pages add a simple challenge; the kiosk counts its own, CENTERS_KIOSK_BOOKINGS);
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
from onewindow.accounts.models import Person, User
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import UNAMBIGUOUS, as_id, random_code
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.identifiers import validate_mobile
from onewindow.core.masking import mask_phone
from onewindow.core.throttle import throttle_hit
from onewindow.notifications.services import message_enqueue

from .. import limits, workflow
from .. import permissions as perms
from ..choices import AppointmentAction, AppointmentStatus, TicketPriority, TicketSource
from ..models import Appointment, AppointmentEvent, AppointmentSlot, Ticket
from .queue import ticket_take

A = AppointmentStatus
AA = AppointmentAction
KIOSK_CHANNEL = "kiosk"
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


def _throttle(user: User) -> None:
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
                             # A kiosk booking has no account to open the page with.
                             "url": f"/centers/appointments/{appointment.code}/" if appointment.user_id else ""})


# ---- the recipe: lock, guard, record -----------------------------------------------------------------

def _lock(appointment_id: Any) -> Appointment:
    appointment = (Appointment.objects.select_for_update(of=("self",))
                   .select_related("slot", "slot__center", "slot__category", "person", "item", "user")
                   .filter(pk=as_id(appointment_id)).first())
    if appointment is None:
        raise NotFound(_("找不到该预约。"), code="appointment_not_found")
    return appointment


def _kinds(by: Actor, appointment: Appointment) -> set[str]:
    """The actor kinds of ``by`` on the appointment (permissions.appointment_actor_kinds); 404 when
    it is none of theirs — for a device of another center 403 wrong_center: it was shown the code."""
    kinds = perms.appointment_actor_kinds(by, center_id=appointment.slot.center_id, person_id=appointment.person_id)
    if kinds:
        return kinds
    if perms.device_of(by) is not None:
        # A ticket printed for another hall would use up the booking in vain.
        raise PermissionDenied(_("该预约不属于本中心。"), code="wrong_center")
    raise NotFound(_("找不到该预约。"), code="appointment_not_found")


def _guard(status: str, action: str, kinds: set[str]) -> None:
    """Refuse an actor the table does not name (403), then a status it does not allow (409)."""
    label = AppointmentAction(action).label
    if not kinds & workflow.APPOINTMENT_ACTORS[action]:
        raise PermissionDenied(_("您无权对该预约执行“%(action)s”。") % {"action": label},
                               code="appointment_action_forbidden")
    if not workflow.appointment_allowed(status, action):
        if action == AA.CHECK_IN and status == A.CHECKED_IN:
            raise Conflict(_("该预约已签到，请勿重复签到。"), code="already_checked_in")
        raise Conflict(_("该预约当前为“%(status)s”，不能执行“%(action)s”。")
                       % {"status": AppointmentStatus(status).label, "action": label},
                       code="appointment_illegal_transition")


def _move(appointment: Appointment, action: str, moment: datetime.datetime) -> str:
    """Set the status the table gives; returns the status it left."""
    from_status = appointment.status
    appointment.status = workflow.appointment_target(from_status, action)
    appointment.changed_at = moment
    appointment.save(update_fields=["status", "changed_at"])
    return from_status


def _record(appointment: Appointment, action: str, by: Actor, *, from_status: str, at: datetime.datetime,
            data: dict[str, Any] | None = None, audit: dict[str, Any] | None = None) -> AppointmentEvent:
    """Append the event row and the audit entry of one step (``audit``: masked extras for the trail)."""
    user = perms.user_of(by)
    device = perms.device_of(by)
    if user is not None:
        label = user.person.name if user.person_id else user.get_username()
    else:
        label = device.device_label if device is not None else str(by) if is_system(by) else ""
    event = AppointmentEvent.objects.create(appointment=appointment, action=action, from_status=from_status,
                                            to_status=appointment.status, actor=user, actor_label=label[:100],
                                            data=data or {}, at=at)
    audit_record(actor=by, action=f"centers.appointment.{action}", target=appointment,
                 before={"status": from_status} if from_status else None,
                 after={"status": appointment.status, **(data or {}), **(audit or {})},
                 channel="device" if device is not None else "system" if is_system(by) else "web",
                 role=account_perms.primary_role(user) if user is not None else "")
    return event


def _not_started(appointment: Appointment, moment: datetime.datetime) -> None:
    if _slot_start(appointment.slot) <= moment:
        raise Conflict(_("预约时段已开始，不能再取消或改约。"), code="slot_past")


# ---- book ----------------------------------------------------------------------------------------------

def _bookable_slot(by: Actor, slot_id: Any, moment: datetime.datetime) -> AppointmentSlot:
    """The slot to book, by the rules of every channel: of an active center and category (a
    device: of its own center), else 404 slot_not_found; not started (409 slot_past); on a day
    within the booking horizon (422 slot_beyond_horizon, limits.booking_last_day)."""
    qs = AppointmentSlot.objects.select_related("center", "category").filter(pk=as_id(slot_id),
                                                                             category__is_active=True)
    device = perms.device_of(by)
    if device is not None:
        qs = qs.filter(center_id=device.center_id)
    slot = qs.first()
    if slot is None or not slot.center.is_active:
        raise NotFound(_("找不到该预约时段。"), code="slot_not_found")
    if _slot_start(slot) <= moment:
        raise Conflict(_("该时段已开始或已过去，请选择其他时段。"), code="slot_past")
    if slot.date > limits.booking_last_day(moment.date()):
        message = _("只能预约今天起 %(days)s 天内的时段，请选择其他时段。") % {"days": limits.booking_horizon_days()}
        raise DomainError(message, code="slot_beyond_horizon", status=422, fields={"slot": [message]})
    return slot


def _book(by: Actor, *, slot: AppointmentSlot, person: Person, user: User | None, phone: str, item: Any,
          channel: str, moment: datetime.datetime, data: dict[str, Any] | None = None) -> Appointment:
    """Take a place and write the booking, its event, audit entry and SMS (in the caller's
    transaction): refused for a person restricted after no-shows (409 booking_restricted), a full
    slot (409 slot_full), a second active booking of the category that day (409 already_booked)."""
    until = booking_restriction(person, moment.date())
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
                slot=slot, category=slot.category, date=slot.date, person=person, user=user, phone=phone,
                code=random_code(CODE_ALPHABET, 8), channel=channel[:12], item=item)
    except IntegrityError:
        raise Conflict(_("您当天已预约过该类业务；如需改期，请先取消或修改原预约。"), code="already_booked") from None
    _record(appointment, AA.BOOK, by, from_status="", at=moment,
            data={"slot": slot.pk, "channel": appointment.channel, **(data or {})},
            audit={"phone": mask_phone(phone)} if phone else None)
    _notify(appointment, "appointment_booked")
    return appointment


def appointment_book(*, by: Actor, slot_id: Any, person: Person | None = None, phone: str = "", item: Any = None,
                     channel: str = "web", now: datetime.datetime | None = None) -> Appointment:
    """预约: book a slot. Actors (workflow.APPOINTMENT_ACTORS): the logged-in person for themselves
    (real-name login; ``person`` left out), or a kiosk of the slot's center for the ``person`` found
    or registered from its form, with the ``phone`` typed there (the booking's SMS go to it).

    Refused, with nothing written: no login (401 login_required), a user without a person (422
    real_name_required), too many attempts by the user (429 booking_rate_limited), an unknown slot
    or one of another center for a device (404 slot_not_found), a past slot (409 slot_past), one
    beyond the booking horizon (422 slot_beyond_horizon), anyone booking for another person (403
    appointment_action_forbidden), a person restricted after no-shows (409 booking_restricted), a
    full slot (409 slot_full), a second active booking of the same category that day (409
    already_booked)."""
    moment = _now(now)
    user = perms.user_of(by)
    if user is None and perms.device_of(by) is None and not is_system(by):
        raise PermissionDenied(_("请先登录。"), code="login_required", status=401)
    if user is not None and person is None:
        if user.person is None:
            raise DomainError(_("请先完成实名登记再预约。"), code="real_name_required", status=422)
        person = user.person
    if phone:
        try:
            phone = str(validate_mobile(phone, field="phone"))
        except DomainError as exc:
            raise DomainError(exc.message, code=exc.code, status=422, fields=exc.fields) from None
    if user is not None:
        _throttle(user)
    slot = _bookable_slot(by, slot_id, moment)
    if person is None:
        raise DomainError(_("请填写预约人的姓名、证件号码和手机号码。"), code="person_required", status=422)
    _guard("", AA.BOOK, perms.appointment_actor_kinds(by, center_id=slot.center_id, person_id=person.pk))
    with transaction.atomic():
        return _book(by, slot=slot, person=person, user=user, phone=phone, item=item, channel=channel,
                     moment=moment)


# ---- change, cancel ------------------------------------------------------------------------------------

def appointment_cancel(*, by: Actor, appointment_id: Any, now: datetime.datetime | None = None) -> Appointment:
    """取消预约 by its holder (the owner, or a kiosk for whoever gave the code and phone tail) before
    the slot starts; the place is freed. Refused: 404, 403, 409 (module docstring), a slot that
    has started (409 slot_past)."""
    moment = _now(now)
    with transaction.atomic():
        appointment = _lock(appointment_id)
        _guard(appointment.status, AA.CANCEL, _kinds(by, appointment))
        _not_started(appointment, moment)
        from_status = _move(appointment, AA.CANCEL, moment)
        AppointmentSlot.objects.filter(pk=appointment.slot_id).update(booked=F("booked") - 1)
        _record(appointment, AA.CANCEL, by, from_status=from_status, at=moment)
    return appointment


def appointment_change(*, by: Actor, appointment_id: Any, slot_id: Any,
                       now: datetime.datetime | None = None) -> Appointment:
    """改约 by the holder: the old booking ends (``change``) and the new slot is booked for the same
    person, number and item in one transaction — both or neither. The new slot meets every booking
    rule (:func:`appointment_book`); the old one must not have started (409 slot_past). Returns
    the new booking; its ``book`` event and the old one's ``change`` event name each other."""
    moment = _now(now)
    user = perms.user_of(by)
    if user is not None:
        _throttle(user)
    with transaction.atomic():
        old = _lock(appointment_id)
        _guard(old.status, AA.CHANGE, _kinds(by, old))
        _not_started(old, moment)
        slot = _bookable_slot(by, slot_id, moment)
        from_status = _move(old, AA.CHANGE, moment)
        AppointmentSlot.objects.filter(pk=old.slot_id).update(booked=F("booked") - 1)
        channel = KIOSK_CHANNEL if perms.device_of(by) is not None else old.channel
        new = _book(by, slot=slot, person=old.person, user=old.user, phone=old.phone, item=old.item,
                    channel=channel, moment=moment, data={"from_appointment": old.pk})
        _record(old, AA.CHANGE, by, from_status=from_status, at=moment, data={"to_appointment": new.pk})
    return new


# ---- check in, no-show -----------------------------------------------------------------------------------

def appointment_check_in(*, by: Actor, code: str, center_code: str = "",
                         now: datetime.datetime | None = None) -> Ticket:
    """签到 at the kiosk, a ticket printer or the window: the booking becomes a priority
    (appointment) ticket. Actors: a device of the center that reads the code, or center staff.

    Refused: unknown code (404), someone who is neither (404, 403 for the owner), a device of
    another center or a kiosk page of another center (``center_code``; 403 wrong_center), already
    checked in (409 already_checked_in), cancelled or a no-show (409), not the day or outside the
    check-in window (409 checkin_not_open)."""
    moment = _now(now)
    with transaction.atomic():
        appointment = (Appointment.objects.select_for_update(of=("self",))
                       .select_related("slot", "slot__center", "person")
                       .filter(code=str(code or "").strip().upper()[:12]).first())
        if appointment is None:
            raise NotFound(_("找不到该预约。"), code="appointment_not_found")
        slot = appointment.slot
        kinds = _kinds(by, appointment)
        if center_code and slot.center.code != center_code:
            raise PermissionDenied(_("该预约不属于本中心。"), code="wrong_center")
        _guard(appointment.status, AA.CHECK_IN, kinds)
        early = datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_EARLY_MINUTES", 30))
        late = datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_LATE_MINUTES", 15))
        if not (_slot_start(slot) - early <= moment <= _slot_end(slot) + late):
            raise Conflict(_("请在预约时段开始前 %(e)s 分钟至结束后 %(l)s 分钟内签到。")
                           % {"e": early.seconds // 60, "l": late.seconds // 60}, code="checkin_not_open")
        from_status = _move(appointment, AA.CHECK_IN, moment)
        ticket = ticket_take(by=by, center_id=slot.center_id, category_id=slot.category_id,
                             priority=TicketPriority.APPOINTMENT, source=TicketSource.APPOINTMENT,
                             person=appointment.person, phone=appointment.phone or appointment.person.phone,
                             appointment=appointment,
                             now=moment)
        _record(appointment, AA.CHECK_IN, by, from_status=from_status, at=moment, data={"ticket": ticket.pk})
    return ticket


def _checkin_closes(slot: AppointmentSlot) -> datetime.datetime:
    return _slot_end(slot) + datetime.timedelta(minutes=_setting("CENTERS_CHECKIN_LATE_MINUTES", 15))


def appointment_mark_no_show(*, by: Actor, appointment_id: Any, now: datetime.datetime | None = None) -> Appointment:
    """爽约: the scheduler marks a booking not checked in by the end of its check-in window
    (CENTERS_CHECKIN_LATE_MINUTES after the slot). Refused: anyone but the system (403), another
    status (409), a booking that may still check in (409 checkin_still_open)."""
    moment = _now(now)
    with transaction.atomic():
        appointment = _lock(appointment_id)
        _guard(appointment.status, AA.NO_SHOW, _kinds(by, appointment))
        if moment <= _checkin_closes(appointment.slot):
            raise Conflict(_("签到时间尚未结束，不能记为爽约。"), code="checkin_still_open")
        from_status = _move(appointment, AA.NO_SHOW, moment)
        _record(appointment, AA.NO_SHOW, by, from_status=from_status, at=moment)
    return appointment


def appointments_mark_no_shows(*, by: Actor, now: datetime.datetime | None = None) -> int:
    """爽约 for every booking whose check-in window has closed (the scheduler's job, ``by`` its
    system actor), one transaction each; returns how many were marked."""
    moment = _now(now)
    marked = 0
    for appointment in Appointment.objects.filter(status=A.BOOKED, date__lte=moment.date()).select_related("slot"):
        if _checkin_closes(appointment.slot) < moment:
            try:
                appointment_mark_no_show(by=by, appointment_id=appointment.pk, now=moment)
            except Conflict:  # checked in or cancelled since it was read
                continue
            marked += 1
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
