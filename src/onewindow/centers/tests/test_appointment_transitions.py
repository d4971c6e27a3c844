"""The appointment follows the workflow recipe of the cases (issue #10 part 4): every (status,
action) pair through the real services, and every actor of the table.

A legal pair reaches its target with one AppointmentEvent and one audit entry; an illegal one is
refused (409 ``appointment_illegal_transition``; ``already_checked_in`` for a second check-in) with
nothing changed — same status, same slot counts, no event, no audit entry, no message, no ticket.
Who may act (``workflow.APPOINTMENT_ACTORS``): the owner books, changes and cancels; a kiosk of the
center does it for the person who identified themselves there; center staff and the hall devices
check in; the scheduler marks no-shows. Anyone else who may see the appointment gets 403
``appointment_action_forbidden``, anyone who may not 404 ``appointment_not_found``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.centers import services, workflow
from onewindow.centers.choices import AppointmentStatus, DeviceKind
from onewindow.centers.models import Appointment, AppointmentSlot, Center, Device, Ticket
from onewindow.centers.testing import MONDAY_10, CenterWorld
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message

TUESDAY = datetime.date(2026, 3, 3)
CHECK_IN_AT = timezone.make_aware(datetime.datetime(2026, 3, 3, 9, 0))  # the slot starts at 9:00
NO_SHOW_AT = timezone.make_aware(datetime.datetime(2026, 3, 3, 10, 0))  # check-in closed at 9:45
UPKEEP = system_actor("centers_appointment_upkeep")
ACTIONS = ["change", "cancel", "check_in", "no_show"]


def _slot(w: CenterWorld, hour: int) -> AppointmentSlot:
    return AppointmentSlot.objects.create(
        center=w.center,
        category=w.a,
        date=TUESDAY,
        starts=datetime.time(hour, 0),
        ends=datetime.time(hour, 30),
        capacity=5,
    )


def _in_status(w: CenterWorld, status: str) -> Appointment:
    """An appointment brought to ``status`` through the real services."""
    citizen = w.cw.p.citizen
    _slot(w, 10)  # the slot a change moves to
    booking = services.appointment_book(by=citizen, slot_id=_slot(w, 9).pk, now=MONDAY_10)
    if status == AppointmentStatus.CANCELLED:
        services.appointment_cancel(by=citizen, appointment_id=booking.pk, now=MONDAY_10)
    elif status == AppointmentStatus.CHECKED_IN:
        services.appointment_check_in(by=w.kiosk, code=booking.code, now=CHECK_IN_AT)
    elif status == AppointmentStatus.NO_SHOW:
        services.appointment_mark_no_show(by=UPKEEP, appointment_id=booking.pk, now=NO_SHOW_AT)
    booking.refresh_from_db()
    assert booking.status == status
    return booking


def _run(w: CenterWorld, action: str, booking: Appointment, by: Any) -> Any:
    other = AppointmentSlot.objects.get(center=w.center, date=TUESDAY, starts=datetime.time(10, 0))
    calls: dict[str, Callable[[], Any]] = {
        "change": lambda: services.appointment_change(
            by=by, appointment_id=booking.pk, slot_id=other.pk, now=MONDAY_10
        ),
        "cancel": lambda: services.appointment_cancel(by=by, appointment_id=booking.pk, now=MONDAY_10),
        "check_in": lambda: services.appointment_check_in(by=by, code=booking.code, now=CHECK_IN_AT),
        "no_show": lambda: services.appointment_mark_no_show(by=by, appointment_id=booking.pk, now=NO_SHOW_AT),
    }
    return calls[action]()


def _legal_actor(w: CenterWorld, action: str) -> Any:
    return {"change": w.cw.p.citizen, "cancel": w.cw.p.citizen, "check_in": w.kiosk, "no_show": UPKEEP}[action]


def _snapshot(booking: Appointment) -> tuple[Any, ...]:
    from onewindow.centers.models import AppointmentEvent

    booking.refresh_from_db()
    return (
        booking.status,
        AppointmentEvent.objects.filter(appointment=booking).count(),
        tuple(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")),
        tuple(Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id")),
        AuditEntry.objects.count(),
        Message.objects.count(),
        Ticket.objects.count(),
    )


def _events(booking: Appointment) -> list[tuple[str, str, str]]:
    from onewindow.centers.models import AppointmentEvent

    return list(
        AppointmentEvent.objects.filter(appointment=booking)
        .order_by("pk")
        .values_list("action", "from_status", "to_status")
    )


def _audits(booking: Appointment) -> list[str]:
    return list(
        AuditEntry.objects.filter(target_type="centers.appointment", target_id=str(booking.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_book_writes_its_event_and_audit_entry(center_world: CenterWorld) -> None:
    w = center_world
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=_slot(w, 9).pk, now=MONDAY_10)
    assert workflow.APPOINTMENT_TRANSITIONS["book"] == (frozenset({""}), AppointmentStatus.BOOKED)
    assert _events(booking) == [("book", "", "booked")]
    assert _audits(booking) == ["centers.appointment.book"]


def test_cancel_writes_one_event_with_its_actor(center_world: CenterWorld) -> None:
    from onewindow.centers.models import AppointmentEvent

    w = center_world
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=_slot(w, 9).pk, now=MONDAY_10)
    services.appointment_cancel(by=w.cw.p.citizen, appointment_id=booking.pk, now=MONDAY_10)
    event = AppointmentEvent.objects.filter(appointment=booking).order_by("pk").last()
    assert event is not None
    assert (event.action, event.from_status, event.to_status, event.actor, event.at) == (
        "cancel",
        "booked",
        "cancelled",
        w.cw.p.citizen,
        MONDAY_10,
    )
    assert _audits(booking) == ["centers.appointment.book", "centers.appointment.cancel"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", AppointmentStatus.values)
def test_each_action_from_each_status(center_world: CenterWorld, status: str, action: str) -> None:
    w = center_world
    booking = _in_status(w, status)
    before = _snapshot(booking)
    by = _legal_actor(w, action)
    if workflow.appointment_allowed(status, action):
        _run(w, action, booking, by)
        booking.refresh_from_db()
        assert booking.status == workflow.appointment_target(status, action)
        assert _events(booking)[-1] == (action, status, booking.status)
        assert _audits(booking)[-1] == f"centers.appointment.{action}"
        return
    with pytest.raises(DomainError) as refused:
        _run(w, action, booking, by)
    expected = (
        "already_checked_in" if (action, status) == ("check_in", "checked_in") else "appointment_illegal_transition"
    )
    assert (refused.value.code, refused.value.status) == (expected, 409)
    assert _snapshot(booking) == before


def test_change_cancels_the_old_booking_and_books_the_new_one_with_their_events(center_world: CenterWorld) -> None:
    w = center_world
    old = services.appointment_book(by=w.cw.p.citizen, slot_id=_slot(w, 9).pk, now=MONDAY_10)
    new = services.appointment_change(by=w.cw.p.citizen, appointment_id=old.pk, slot_id=_slot(w, 10).pk, now=MONDAY_10)
    assert _events(old) == [("book", "", "booked"), ("change", "booked", "cancelled")]
    assert _events(new) == [("book", "", "booked")]
    assert _audits(old) == ["centers.appointment.book", "centers.appointment.change"]
    assert _audits(new) == ["centers.appointment.book"]


def _principals(w: CenterWorld) -> dict[str, Any]:
    other = Center.objects.create(
        code="TEST-OTHER", name="另一中心", level="street", region=w.center.region, department=w.center.department
    )
    token, _bearer = make_api_token(name="外中心一体机", scopes=["device"], system_name="kiosk-other")
    other_kiosk = Device.objects.create(center=other, kind=DeviceKind.KIOSK, name="外中心一体机", token=token)
    return {
        "owner": w.cw.p.citizen,
        "another_citizen": w.cw.p.another_citizen,
        "center_clerk": w.clerk,
        "manager": w.manager,
        "kiosk": w.kiosk,
        "keypad": w.keypad,
        "other_kiosk": other_kiosk,
        "system": UPKEEP,
    }


OK = (0, "")
NOT_FOUND = (404, "appointment_not_found")
FORBIDDEN = (403, "appointment_action_forbidden")
WRONG_CENTER = (403, "wrong_center")
MATRIX: dict[str, dict[str, tuple[int, str]]] = {
    "change": {
        "owner": OK,
        "another_citizen": NOT_FOUND,
        "center_clerk": FORBIDDEN,
        "manager": FORBIDDEN,
        "kiosk": OK,
        "keypad": FORBIDDEN,
        "other_kiosk": WRONG_CENTER,
        "system": FORBIDDEN,
    },
    "cancel": {
        "owner": OK,
        "another_citizen": NOT_FOUND,
        "center_clerk": FORBIDDEN,
        "manager": FORBIDDEN,
        "kiosk": OK,
        "keypad": FORBIDDEN,
        "other_kiosk": WRONG_CENTER,
        "system": FORBIDDEN,
    },
    "check_in": {
        "owner": FORBIDDEN,
        "another_citizen": NOT_FOUND,
        "center_clerk": OK,
        "manager": OK,
        "kiosk": OK,
        "keypad": OK,
        "other_kiosk": WRONG_CENTER,
        "system": FORBIDDEN,
    },
    "no_show": {
        "owner": FORBIDDEN,
        "another_citizen": NOT_FOUND,
        "center_clerk": FORBIDDEN,
        "manager": FORBIDDEN,
        "kiosk": FORBIDDEN,
        "keypad": FORBIDDEN,
        "other_kiosk": WRONG_CENTER,
        "system": OK,
    },
}


@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_take_each_action(center_world: CenterWorld, action: str, settings: Any) -> None:
    from django.db import transaction

    settings.CENTERS_BOOKING_RATE = 100  # one citizen books once per principal here
    w = center_world
    principals = _principals(w)
    problems = []
    for who, expected in MATRIX[action].items():
        with transaction.atomic():
            booking = _in_status(w, AppointmentStatus.BOOKED)
            before = _snapshot(booking)
            try:
                _run(w, action, booking, principals[who])
                got = OK
            except DomainError as exc:
                got = (exc.status, exc.code)
            if got != expected:
                problems.append((who, got, expected))
            elif got != OK and _snapshot(booking) != before:
                problems.append((who, "changed"))
            elif got == OK and _events(booking)[-1][0] != action:
                problems.append((who, "no event"))
            transaction.set_rollback(True)
    assert problems == []


def test_who_may_book(center_world: CenterWorld, settings: Any) -> None:
    """The owner books for themselves; a kiosk books for the person identified there; nobody else
    books for another person (403), and a refusal writes nothing."""
    from django.db import transaction

    settings.CENTERS_BOOKING_RATE = 100
    w = center_world
    principals = _principals(w)
    person = w.cw.p.citizen.person
    expected = {
        "owner": OK,
        "another_citizen": FORBIDDEN,
        "center_clerk": FORBIDDEN,
        "manager": FORBIDDEN,
        "kiosk": OK,
        "keypad": FORBIDDEN,
        "other_kiosk": (404, "slot_not_found"),
        "system": FORBIDDEN,
    }
    problems = []
    for who, outcome in expected.items():
        with transaction.atomic():
            slot = _slot(w, 9)
            before = (AuditEntry.objects.count(), Appointment.objects.count(), Message.objects.count())
            try:
                booking = services.appointment_book(
                    by=principals[who], slot_id=slot.pk, person=person, phone="13700001234", now=MONDAY_10
                )
                got = OK
                if _events(booking) != [("book", "", "booked")] or booking.person_id != person.pk:
                    problems.append((who, "wrong booking"))
            except DomainError as exc:
                got = (exc.status, exc.code)
                slot.refresh_from_db()
                if (
                    AuditEntry.objects.count(),
                    Appointment.objects.count(),
                    Message.objects.count(),
                ) != before or slot.booked != 0:
                    problems.append((who, "changed"))
            if got != outcome:
                problems.append((who, got, outcome))
            transaction.set_rollback(True)
    assert problems == []
