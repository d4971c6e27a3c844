"""The booking horizon (可预约期) is one rule (issue #10 part 3): CENTERS_BOOKING_HORIZON_DAYS (default
14, today included) decides what the booking page offers, what the API's slot list returns and
what the booking and change services accept. A slot beyond it is refused with 422
``slot_beyond_horizon`` and nothing is written (no booking, no place taken, no message, no audit)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message

from .. import services
from ..models import Appointment, AppointmentSlot
from ..testing import CenterWorld

API = "/api/v1/centers"


def slot(world: CenterWorld, days: int, hour: int = 9) -> AppointmentSlot:
    return AppointmentSlot.objects.create(center=world.center, category=world.a,
                                          date=timezone.localdate() + datetime.timedelta(days=days),
                                          starts=datetime.time(hour, 0), ends=datetime.time(hour, 30), capacity=2)


def state() -> tuple[Any, ...]:
    return (list(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")),
            list(Appointment.objects.order_by("pk").values_list("code", "status", "slot_id")),
            Message.objects.count(), AuditEntry.objects.filter(action__startswith="centers.appointment").count())


def refused_beyond(call: Any) -> None:
    before = state()
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.status) == ("slot_beyond_horizon", 422)
    assert list(excinfo.value.fields) == ["slot"]
    assert state() == before


def page_slots(world: CenterWorld) -> list[int]:
    html = world.cw.p.client("citizen").get(f"/centers/{world.center.code}/book/?category={world.a.pk}"
                                            ).content.decode()
    return [s.pk for s in AppointmentSlot.objects.order_by("date", "starts") if f'name="slot" value="{s.pk}"' in html]


def api_slots(world: CenterWorld, **query: Any) -> list[int]:
    return [s["id"] for s in Client().get(f"{API}/centers/{world.center.code}/slots",
                                          {"category_id": world.a.pk, "page_size": 100, **query}).json()["items"]]


def test_default_horizon_is_14_days_everywhere(center_world: CenterWorld) -> None:
    w = center_world
    inside = [slot(w, days) for days in (1, 8, 13)]
    beyond = slot(w, 14)
    assert page_slots(w) == [s.pk for s in inside]
    assert api_slots(w) == [s.pk for s in inside]  # the default range is the whole horizon
    last = timezone.localdate() + datetime.timedelta(days=13)
    assert api_slots(w, date_to=last.isoformat()) == [s.pk for s in inside]
    response = Client().get(f"{API}/centers/{w.center.code}/slots", {"date_to": (last + datetime.timedelta(days=1))
                                                                     .isoformat()})
    assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
        422, "date_range_invalid", ["date_to"])
    refused_beyond(lambda: services.appointment_book(by=w.cw.p.citizen, slot_id=beyond.pk))
    booked = services.appointment_book(by=w.cw.p.citizen, slot_id=inside[-1].pk)  # the last day is bookable
    assert booked.slot_id == inside[-1].pk


def test_one_setting_moves_page_api_and_services(center_world: CenterWorld, settings: Any) -> None:
    settings.CENTERS_BOOKING_HORIZON_DAYS = 3
    w = center_world
    inside = [slot(w, 1), slot(w, 2)]
    beyond = slot(w, 3)
    assert page_slots(w) == [s.pk for s in inside]
    assert api_slots(w) == [s.pk for s in inside]
    refused_beyond(lambda: services.appointment_book(by=w.cw.p.citizen, slot_id=beyond.pk))
    # The API answers the service's refusal as it is (422, nothing booked).
    client = Client()
    client.force_login(w.cw.p.citizen)
    before = state()
    response = client.post(f"{API}/appointments", data=json.dumps({"slot_id": beyond.pk}),
                           content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (422, "slot_beyond_horizon")
    assert state() == before
    # 改约 to a slot beyond the horizon: refused as a whole, the original booking stands.
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=inside[0].pk)
    refused_beyond(lambda: services.appointment_change(by=w.cw.p.citizen, appointment_id=booking.pk,
                                                       slot_id=beyond.pk))
    assert Appointment.objects.get(pk=booking.pk).status == "booked"
