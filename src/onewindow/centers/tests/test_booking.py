"""Appointments: capacity, one booking per person/category/day, past slots, check-in, no-shows and
the no-show restriction, reminders — and every refusal leaves slots and bookings unchanged."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.centers import services
from onewindow.centers.choices import AppointmentStatus, TicketPriority
from onewindow.centers.models import Appointment, AppointmentSlot, Ticket
from onewindow.centers.testing import MONDAY_10, CenterWorld
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.notifications.models import Message

TUESDAY = datetime.date(2026, 3, 3)
UPKEEP = system_actor("centers_appointment_upkeep")


def _slot(w: CenterWorld, capacity: int = 2, day: datetime.date = TUESDAY, hour: int = 9) -> AppointmentSlot:
    return AppointmentSlot.objects.create(center=w.center, category=w.a, date=day, starts=datetime.time(hour, 0),
                                          ends=datetime.time(hour, 30), capacity=capacity)


def _state() -> tuple[list[tuple[int, int]], list[tuple[str, str]], int, int]:
    return (list(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")),
            list(Appointment.objects.order_by("pk").values_list("code", "status")), Ticket.objects.count(),
            Message.objects.count())


def refused(call: Any, code: str, status: int) -> None:
    before = _state()
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.status) == (code, status)
    assert _state() == before


def test_book_capacity_and_one_per_day(center_world: CenterWorld) -> None:
    w = center_world
    slot = _slot(w, capacity=2)
    first = services.appointment_book(by=w.cw.p.citizen, slot_id=slot.pk, now=MONDAY_10)
    assert (first.status, first.date, first.category) == (AppointmentStatus.BOOKED, TUESDAY, w.a)
    assert Message.objects.filter(event="appointment_booked", subject_id=str(first.pk)).count() == 2  # sms, inapp
    same_day = _slot(w, hour=10)
    refused(lambda: services.appointment_book(by=w.cw.p.citizen, slot_id=same_day.pk, now=MONDAY_10),
            "already_booked", 409)
    services.appointment_book(by=w.cw.p.another_citizen, slot_id=slot.pk, now=MONDAY_10)
    refused(lambda: services.appointment_book(by=w.cw.p.agent, slot_id=slot.pk, now=MONDAY_10), "slot_full", 409)
    slot.refresh_from_db()
    assert slot.booked == 2


def test_refusals(center_world: CenterWorld) -> None:
    w = center_world
    past = _slot(w, day=datetime.date(2026, 3, 2), hour=9)
    refused(lambda: services.appointment_book(by=w.cw.p.citizen, slot_id=past.pk, now=MONDAY_10), "slot_past", 409)
    refused(lambda: services.appointment_book(by=w.cw.p.citizen, slot_id=9999, now=MONDAY_10), "slot_not_found", 404)
    refused(lambda: services.appointment_book(by=None, slot_id=past.pk, now=MONDAY_10), "login_required", 401)


def test_cancel_change_and_check_in(center_world: CenterWorld) -> None:
    w = center_world
    p = w.cw.p
    slot, other = _slot(w), _slot(w, hour=11)
    booking = services.appointment_book(by=p.citizen, slot_id=slot.pk, now=MONDAY_10)
    refused(lambda: services.appointment_cancel(by=p.another_citizen, appointment_id=booking.pk),
            "appointment_not_found", 404)
    moved = services.appointment_change(by=p.citizen, appointment_id=booking.pk, slot_id=other.pk, now=MONDAY_10)
    slot.refresh_from_db()
    other.refresh_from_db()
    assert (slot.booked, other.booked, moved.slot) == (0, 1, other)
    assert Appointment.objects.get(pk=booking.pk).status == AppointmentStatus.CANCELLED
    at = timezone.make_aware(datetime.datetime(2026, 3, 3, 10, 40))
    refused(lambda: services.appointment_check_in(by=w.keypad, code=moved.code,
                                                  now=at - datetime.timedelta(hours=2)), "checkin_not_open", 409)
    ticket = services.appointment_check_in(by=w.keypad, code=moved.code.lower(), now=at)
    assert (ticket.priority, ticket.appointment, ticket.person) == (TicketPriority.APPOINTMENT, moved, p.citizen.person)
    assert ticket.queue_key == at - datetime.timedelta(minutes=20)
    refused(lambda: services.appointment_check_in(by=w.keypad, code=moved.code, now=at), "already_checked_in", 409)
    refused(lambda: services.appointment_check_in(by=w.keypad, code="NOPE", now=at), "appointment_not_found", 404)


def test_no_shows_restrict_booking(center_world: CenterWorld, settings: Any) -> None:
    w = center_world
    user = w.cw.p.citizen
    for day in (2, 3, 4):
        slot = _slot(w, day=datetime.date(2026, 3, day), hour=9)
        services.appointment_book(by=user, slot_id=slot.pk, now=timezone.make_aware(datetime.datetime(2026, 3, 1)))
    assert services.appointments_mark_no_shows(by=UPKEEP, now=timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 44))
                                               ) == 2
    assert services.appointments_mark_no_shows(by=UPKEEP, now=timezone.make_aware(datetime.datetime(2026, 3, 4, 9, 46))
                                               ) == 1
    later = _slot(w, day=datetime.date(2026, 3, 10))
    moment = timezone.make_aware(datetime.datetime(2026, 3, 5, 9))
    before = _state()
    with pytest.raises(DomainError) as excinfo:
        services.appointment_book(by=user, slot_id=later.pk, now=moment)
    assert excinfo.value.code == "booking_restricted" and "2026-04-03" in excinfo.value.message
    assert _state() == before
    settings.CENTERS_NO_SHOW_LIMIT = 4
    assert services.appointment_book(by=user, slot_id=later.pk, now=moment).status == AppointmentStatus.BOOKED


def test_reminders_once_each(center_world: CenterWorld) -> None:
    w = center_world
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=_slot(w).pk, now=MONDAY_10)
    assert services.appointments_send_reminders(now=MONDAY_10) == 1  # the day before
    assert services.appointments_send_reminders(now=MONDAY_10) == 0
    assert services.appointments_send_reminders(now=timezone.make_aware(datetime.datetime(2026, 3, 3, 8, 10))) == 1
    assert Message.objects.filter(event="appointment_reminder", subject_id=str(booking.pk), channel="sms").count() == 2


def test_booking_rate_limit(center_world: CenterWorld, settings: Any) -> None:
    cache.clear()
    settings.CENTERS_BOOKING_RATE = 2
    w = center_world
    user = UserFactory.create(username="grabber")
    slots = [_slot(w, hour=h) for h in (9, 10, 11)]
    services.appointment_book(by=user, slot_id=slots[0].pk, now=MONDAY_10)
    refused(lambda: services.appointment_book(by=user, slot_id=slots[1].pk, now=MONDAY_10), "already_booked", 409)
    refused(lambda: services.appointment_book(by=user, slot_id=slots[2].pk, now=MONDAY_10),
            "booking_rate_limited", 429)


@pytest.mark.parametrize("status", AppointmentStatus.values)
@pytest.mark.parametrize("action", ["cancel", "check_in", "no_show"])
def test_appointment_table(status: str, action: str) -> None:
    from onewindow.centers import workflow

    expected = {"cancel": ("booked", "cancelled"), "check_in": ("booked", "checked_in"),
                "no_show": ("booked", "no_show")}[action]
    assert workflow.appointment_allowed(status, action) == (status == expected[0])
    assert workflow.APPOINTMENT_TRANSITIONS[action][1] == expected[1]


@pytest.mark.parametrize("status", ["cancelled", "checked_in", "no_show"])
def test_services_refuse_every_illegal_appointment_step(center_world: CenterWorld, status: str) -> None:
    w = center_world
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=_slot(w).pk, now=MONDAY_10)
    Appointment.objects.filter(pk=booking.pk).update(status=status)
    at = timezone.make_aware(datetime.datetime(2026, 3, 3, 9, 0))
    refused(lambda: services.appointment_cancel(by=w.cw.p.citizen, appointment_id=booking.pk, now=MONDAY_10),
            "appointment_illegal_transition", 409)
    expected = "already_checked_in" if status == "checked_in" else "appointment_illegal_transition"
    refused(lambda: services.appointment_check_in(by=w.keypad, code=booking.code, now=at), expected, 409)
