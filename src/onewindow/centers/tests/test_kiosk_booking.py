"""Booking, changing and cancelling an appointment at the kiosk (issue #10 part 6): category → day →
slot, identified by name, ID number and phone with no identity oracle (a registered and an unknown
document get the same answer; the booking's SMS and its code + phone tail go by the typed number);
change and cancel by booking code + phone tail. Every refusal leaves slots, bookings, persons,
messages and audit entries unchanged; a browser that is not an enrolled kiosk is refused."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from onewindow.accounts.models import Person
from onewindow.accounts.testing import make_resident_id
from onewindow.centers.choices import AppointmentStatus
from onewindow.centers.models import Appointment, AppointmentSlot
from onewindow.centers.testing import CenterWorld
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message

BOOK = "/centers/TEST-LFL/kiosk/book/"
MANAGE = "/centers/TEST-LFL/kiosk/appointment/"
NEW_ID = make_resident_id("310106", datetime.date(1958, 4, 9), 517)


def _slot(w: CenterWorld, days: int = 1, hour: int = 9, capacity: int = 2) -> AppointmentSlot:
    return AppointmentSlot.objects.create(center=w.center, category=w.a, date=timezone.localdate()
                                          + datetime.timedelta(days=days), starts=datetime.time(hour, 0),
                                          ends=datetime.time(hour, 30), capacity=capacity)


def _state() -> tuple[Any, ...]:
    return (list(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")),
            list(Appointment.objects.order_by("pk").values_list("code", "status", "slot_id")),
            Person.objects.count(), Message.objects.count(), AuditEntry.objects.count())


def _code(html: str) -> str:
    match = re.search(r'id="booking-code"[^>]*>([0-9A-Z]{8})<', html)
    assert match, html
    return match.group(1)


def _refused(client: Client, url: str, data: dict[str, str], status: int, code: str) -> None:
    before = _state()
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()
    assert f'data-code="{code}"' in response.content.decode()
    assert _state() == before


def test_book_change_and_cancel_at_an_enrolled_kiosk(center_world: CenterWorld, kiosk_client: Client) -> None:
    w = center_world
    first, second = _slot(w, hour=9), _slot(w, hour=10)
    home = kiosk_client.get("/centers/TEST-LFL/kiosk/").content.decode()
    assert 'href="/centers/TEST-LFL/kiosk/book/"' in home and 'href="/centers/TEST-LFL/kiosk/appointment/"' in home
    assert 'data-prefix="A"' in kiosk_client.get(BOOK).content.decode()
    days = kiosk_client.get(BOOK + "?category=A").content.decode()
    assert f'date={first.date.isoformat()}' in days
    slots = kiosk_client.get(BOOK + f"?category=A&date={first.date.isoformat()}").content.decode()
    assert f'slot={first.pk}' in slots and f'slot={second.pk}' in slots
    form = kiosk_client.get(BOOK + f"?slot={first.pk}").content.decode()
    assert 'data-target="book-id"' in form and 'data-target="book-phone"' in form and 'data-idle-seconds="90"' in form

    # An unknown document: registered unverified, booked; the code is shown and sent to the typed number.
    done = kiosk_client.post(BOOK, {"slot": str(first.pk), "name": "王小明", "id_number": NEW_ID,
                                    "phone": "13912345678"})
    assert done.status_code == 200
    code = _code(done.content.decode())
    booking = Appointment.objects.get(code=code)
    assert (booking.status, booking.slot_id, booking.channel, booking.person.real_name_verified) == (
        AppointmentStatus.BOOKED, first.pk, "kiosk", False)
    assert list(Message.objects.filter(subject_type="appointment", subject_id=str(booking.pk))
                .values_list("event", "channel", "phone")) == [("appointment_booked", "sms", "13912345678")]

    # A registered document typed with another name and number: the same answer (no oracle); the
    # booking is the person's, its messages and its phone tail are the typed number's.
    citizen = w.cw.p.citizen.person
    other = kiosk_client.post(BOOK, {"slot": str(second.pk), "name": "某某", "id_number": citizen.id_number,
                                     "phone": "13700001234"})
    assert other.status_code == 200
    strip = re.compile(r'[0-9A-Z]{8}<|\d{2}:\d{2}-\d{2}:\d{2}|name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", other.content.decode()) == strip.sub("", done.content.decode())
    theirs = Appointment.objects.get(code=_code(other.content.decode()))
    assert theirs.person_id == citizen.pk
    assert [m.phone for m in Message.objects.filter(subject_type="appointment", subject_id=str(theirs.pk))] == [
        "13700001234"]

    found = kiosk_client.post(MANAGE, {"op": "find", "code": code, "phone_tail": "5678"}).content.decode()
    assert f'slot={second.pk}' in found or f'value="{second.pk}"' in found
    changed = kiosk_client.post(MANAGE, {"op": "change", "code": code, "phone_tail": "5678",
                                         "slot": str(second.pk)})
    assert changed.status_code == 200
    new_code = _code(changed.content.decode())
    assert Appointment.objects.get(code=code).status == AppointmentStatus.CANCELLED
    assert Appointment.objects.get(code=new_code).slot_id == second.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 2)

    cancelled = kiosk_client.post(MANAGE, {"op": "cancel", "code": new_code.lower(), "phone_tail": "5678"})
    assert cancelled.status_code == 200 and 'id="booking-cancelled"' in cancelled.content.decode()
    assert Appointment.objects.get(code=new_code).status == AppointmentStatus.CANCELLED
    second.refresh_from_db()
    assert second.booked == 1


def test_kiosk_booking_refusals_change_nothing(center_world: CenterWorld, kiosk_client: Client) -> None:
    w = center_world
    full, free = _slot(w, hour=9, capacity=1), _slot(w, hour=10)
    far = _slot(w, days=40, hour=9)
    kiosk_client.post(BOOK, {"slot": str(full.pk), "name": "王小明", "id_number": NEW_ID, "phone": "13912345678"})
    booking = Appointment.objects.get()
    other_id = make_resident_id("310106", datetime.date(1960, 1, 2), 331)
    person = {"name": "李四", "id_number": other_id, "phone": "13811112222"}
    _refused(kiosk_client, BOOK, {"slot": str(full.pk), **person}, 409, "slot_full")
    _refused(kiosk_client, BOOK, {"slot": str(far.pk), **person}, 422, "slot_beyond_horizon")
    _refused(kiosk_client, BOOK, {"slot": str(free.pk), **person, "id_number": "31010619580101"}, 422,
             "id_number_format")
    for op in ("find", "cancel", "change"):
        _refused(kiosk_client, MANAGE, {"op": op, "code": "ZZZZZZZZ", "phone_tail": "5678", "slot": str(free.pk)},
                 404, "appointment_not_found")
        _refused(kiosk_client, MANAGE, {"op": op, "code": booking.code, "phone_tail": "0000", "slot": str(free.pk)},
                 404, "appointment_not_found")
    _refused(kiosk_client, MANAGE, {"op": "change", "code": booking.code, "phone_tail": "5678",
                                    "slot": str(far.pk)}, 422, "slot_beyond_horizon")
    assert Appointment.objects.get().status == AppointmentStatus.BOOKED


def test_an_unenrolled_browser_is_refused(center_world: CenterWorld) -> None:
    slot = _slot(center_world)
    browser = Client()
    assert browser.get(BOOK).status_code == 403
    before = _state()
    response = browser.post(BOOK, {"slot": str(slot.pk), "name": "王小明", "id_number": NEW_ID,
                                   "phone": "13912345678"})
    assert response.status_code == 403 and 'data-code="device_not_enrolled"' in response.content.decode()
    assert browser.post(MANAGE, {"op": "cancel", "code": "ABCDEFGH", "phone_tail": "5678"}).status_code == 403
    assert _state() == before


def test_a_kiosk_booking_is_reminded_at_the_typed_number(center_world: CenterWorld, kiosk_client: Client) -> None:
    """The number typed at the kiosk, not the registry's, gets the reminder (and, at check-in, the
    ticket's SMS): no delayed oracle through messages that would go elsewhere for a registered one."""
    from onewindow.centers import services

    w = center_world
    slot = _slot(w, hour=9)
    citizen = w.cw.p.citizen.person
    done = kiosk_client.post(BOOK, {"slot": str(slot.pk), "name": "某某", "id_number": citizen.id_number,
                                    "phone": "13700001234"})
    booking = Appointment.objects.get(code=_code(done.content.decode()))
    services.appointments_send_reminders()  # the slot is tomorrow: the day-before reminder
    reminders = Message.objects.filter(event="appointment_reminder", subject_id=str(booking.pk))
    assert [m.phone for m in reminders] == ["13700001234"]


def test_the_kiosk_books_changes_and_cancels_through_the_one_booking_service(center_world: CenterWorld,
                                                                             kiosk_client: Client) -> None:
    """Each kiosk step is the booking service's step by the kiosk: its event names the device, its
    audit entry is the device's; and the service's rules hold at the kiosk (a slot of a category
    that no longer takes bookings is not found there either)."""
    w = center_world
    first, second = _slot(w, hour=9), _slot(w, hour=10)
    done = kiosk_client.post(BOOK, {"slot": str(first.pk), "name": "王小明", "id_number": NEW_ID,
                                    "phone": "13912345678"})
    old = Appointment.objects.get(code=_code(done.content.decode()))
    changed = kiosk_client.post(MANAGE, {"op": "change", "code": old.code, "phone_tail": "5678",
                                         "slot": str(second.pk)})
    new = Appointment.objects.get(code=_code(changed.content.decode()))
    kiosk_client.post(MANAGE, {"op": "cancel", "code": new.code, "phone_tail": "5678"})
    label = w.kiosk.device_label
    assert list(old.events.values_list("action", "from_status", "to_status", "actor", "actor_label")) == [
        ("book", "", "booked", None, label), ("change", "booked", "cancelled", None, label)]
    assert list(new.events.values_list("action", "actor_label", "data")) == [
        ("book", label, {"slot": second.pk, "channel": "kiosk", "from_appointment": old.pk}),
        ("cancel", label, {})]
    assert list(AuditEntry.objects.filter(target_type="centers.appointment", target_id=str(new.pk)).order_by("pk")
                .values_list("action", "actor_kind", "actor_id", "channel")) == [
        ("centers.appointment.book", "device", str(w.kiosk.pk), "device"),
        ("centers.appointment.cancel", "device", str(w.kiosk.pk), "device")]
    w.a.is_active = False
    w.a.save(update_fields=["is_active"])
    _refused(kiosk_client, BOOK, {"slot": str(_slot(w, hour=11).pk), "name": "李四",
                                  "id_number": make_resident_id("310106", datetime.date(1960, 1, 2), 331),
                                  "phone": "13811112222"}, 404, "slot_not_found")
