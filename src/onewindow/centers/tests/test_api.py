"""The centers API end to end: a ticket printer takes a ticket, its holder follows it by the status
code, the call keypad calls, starts and finishes, the rating pad rates, and a bad rating opens the
follow-up; the clerk's, manager's and resident's operations; device authentication (revoked,
inactive, last seen); masking; errors in the request's language.

The services use the real clock here, so the test center is made open "now" (every weekday
00:00–23:59:59, and today a working day in the core calendar).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.core.models import CalendarDay
from onewindow.ratings.models import FollowUp, Rating

from ..choices import DeviceKind
from ..models import AppointmentSlot, Center, Device, OpeningHours, Ticket, TicketEvent
from ..testing import CenterWorld

BASE = "/api/v1/centers"


def open_now(center: Center) -> None:
    """Make the center take tickets at any time today (and on the next days, for bookings)."""
    for weekday in range(7):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
    today = timezone.localdate()
    for offset in range(3):
        CalendarDay.objects.update_or_create(date=today + datetime.timedelta(days=offset),
                                             defaults={"is_working_day": True, "name": "测试"})


def device(world: CenterWorld, kind: str, name: str, window: Any = None, center: Center | None = None
           ) -> tuple[Device, str]:
    token, bearer = make_api_token(name=name, scopes=["device"], system_name=f"test-{name}")
    made = Device.objects.create(center=center or world.center, window=window, kind=kind, name=name, token=token)
    return made, bearer


def bearer_client(bearer: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {bearer}"})


def session(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict[str, Any] | None = None, **extra: Any) -> Any:
    return client.post(BASE + url, data=json.dumps(body or {}), content_type="application/json", **extra)


@dataclass
class Hall:
    """The test center open now, with a ticket printer, a rating pad at window 1, and the keypad."""

    world: CenterWorld
    printer: Client
    keypad: Client
    pad: Client
    pad_device: Device


@pytest.fixture
def hall(center_world: CenterWorld) -> Hall:
    open_now(center_world.center)
    _, printer = device(center_world, DeviceKind.TICKET_PRINTER, "取号机 1")
    pad_device, pad = device(center_world, DeviceKind.RATING_PAD, "1号窗口评价器", window=center_world.w1)
    return Hall(world=center_world, printer=bearer_client(printer), keypad=bearer_client(center_world.keypad_bearer),
                pad=bearer_client(pad), pad_device=pad_device)


def test_printer_status_keypad_and_pad_flow_with_a_bad_rating_followed_up(hall: Hall) -> None:
    w = hall.world
    first = post(hall.printer, "/devices/ticket", {"category_id": w.a.pk, "phone": "13800138000"})
    assert first.status_code == 201, first.content
    taken = first.json()
    assert (taken["display"], taken["category"], taken["priority"], taken["ahead"]) == ("A001", "户籍办理", "normal", 0)
    assert taken["wait"] == {"low": 0, "high": 0}
    assert taken["phone"] == "138****8000"
    assert taken["status_url"] == f"http://127.0.0.1:8000/centers/t/{taken['status_code']}/"
    second = post(hall.printer, "/devices/ticket", {"category_id": w.a.pk}).json()
    assert (second["display"], second["ahead"]) == ("A002", 1)
    assert second["wait"]["low"] >= 0 and second["wait"]["high"] >= second["wait"]["low"]
    assert Ticket.objects.get(pk=taken["id"]).source == "device"

    status = Client().get(f"{BASE}/tickets/{second['status_code']}")
    assert status.status_code == 200
    assert {k: status.json()[k] for k in ("display", "status", "ahead", "window", "rateable")} == {
        "display": "A002", "status": "waiting", "ahead": 1, "window": None, "rateable": False}
    assert "phone" not in status.json()

    called = post(hall.keypad, "/devices/call-next")
    assert called.status_code == 200, called.content
    assert (called.json()["display"], called.json()["status"], called.json()["window"]) == ("A001", "called", 1)
    assert Client().get(f"{BASE}/tickets/{second['status_code']}").json()["ahead"] == 0
    assert post(hall.keypad, "/devices/recall").json()["recalls"] == 1
    busy = post(hall.keypad, "/devices/call-next")
    assert (busy.status_code, busy.json()["code"]) == (409, "window_busy")
    assert post(hall.keypad, "/devices/start").json()["status"] == "serving"
    finished = post(hall.keypad, "/devices/finish", {"case_ids": []})
    assert finished.json()["status"] == "done"
    assert Client().get(f"{BASE}/tickets/{taken['status_code']}").json()["rateable"] is True

    rated = post(hall.pad, "/devices/rating", {"level": 1, "comment": "等候太久"})
    assert rated.status_code == 201, rated.content
    assert rated.json() == {"level": 1, "channel": "pad", "follow_up": True}
    rating = Rating.objects.get(subject_type="service", subject_id=str(taken["id"]))
    assert (rating.level, rating.comment, rating.department_id) == (1, "等候太久", w.center.department_id)
    assert FollowUp.objects.filter(rating=rating, status="open").count() == 1
    again = post(hall.pad, "/devices/rating", {"level": 5})
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    by_code = post(Client(), f"/tickets/{taken['status_code']}/rating", {"level": 5})
    assert (by_code.status_code, by_code.json()["code"]) == (409, "already_rated")
    assert Rating.objects.count() == 1
    assert list(TicketEvent.objects.filter(ticket_id=taken["id"]).values_list("action", flat=True)) == [
        "take", "call", "recall", "start", "finish"]


def test_holder_cancels_while_waiting_and_rates_by_code_after_service(hall: Hall) -> None:
    w = hall.world
    mine = post(hall.printer, "/devices/ticket", {"category_id": w.b.pk}).json()
    other = post(hall.printer, "/devices/ticket", {"category_id": w.b.pk}).json()
    cancelled = post(Client(), f"/tickets/{mine['status_code']}/cancel")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    twice = post(Client(), f"/tickets/{mine['status_code']}/cancel")
    assert (twice.status_code, twice.json()["code"]) == (409, "ticket_illegal_transition")

    clerk = session(w.clerk)
    called = post(clerk, f"/windows/{w.w2.pk}/call-next")
    assert (called.status_code, called.json()["display"]) == (200, "B002")
    assert post(clerk, f"/tickets/{other['id']}/start").json()["status"] == "serving"
    early = post(Client(), f"/tickets/{other['status_code']}/rating", {"level": 5})
    assert (early.status_code, early.json()["code"]) == (409, "service_not_given")
    assert post(clerk, f"/tickets/{other['id']}/finish", {"case_ids": []}).json()["status"] == "done"
    rated = post(Client(), f"/tickets/{other['status_code']}/rating", {"level": 5, "comment": "很好",
                                                                      "channel": "wechat"})
    assert (rated.status_code, rated.json()) == (201, {"level": 5, "channel": "wechat", "follow_up": False})
    assert FollowUp.objects.count() == 0


def test_keypad_skip_transfer_and_device_limits(hall: Hall) -> None:
    w = hall.world
    post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    post(hall.printer, "/devices/ticket", {"category_id": w.c.pk})
    nothing = post(hall.keypad, "/devices/skip")
    assert (nothing.status_code, nothing.json()["code"]) == (409, "no_current_ticket")
    assert post(hall.keypad, "/devices/call-next").json()["display"] == "A001"
    assert post(hall.keypad, "/devices/skip").json()["status"] == "no_show"
    assert post(hall.keypad, "/devices/call-next").json()["display"] == "C001"
    moved = post(hall.keypad, "/devices/transfer", {"to_window_id": w.w2.pk})
    assert (moved.status_code, moved.json()["status"], moved.json()["target_window"]) == (200, "waiting", 2)
    empty = post(hall.keypad, "/devices/call-next")
    assert (empty.status_code, empty.json()["code"]) == (409, "queue_empty")
    # A keypad does not print tickets; a printer does not call.
    refused = post(hall.keypad, "/devices/ticket", {"category_id": w.a.pk})
    assert (refused.status_code, refused.json()["code"]) == (403, "device_kind_not_allowed")
    refused = post(hall.printer, "/devices/call-next")
    assert (refused.status_code, refused.json()["code"]) == (403, "device_kind_not_allowed")
    assert Ticket.objects.count() == 2


def test_device_me_last_seen_revoked_and_inactive(hall: Hall) -> None:
    w = hall.world
    me = hall.keypad.get(f"{BASE}/devices/me")
    assert me.status_code == 200
    assert me.json() == {"id": w.keypad.pk, "kind": "call_keypad", "name": "1号窗口叫号器", "center_code": "TEST-LFL",
                         "center": w.center.name, "window": 1, "window_id": w.w1.pk}
    w.keypad.refresh_from_db()
    seen = w.keypad.last_seen_at
    assert seen is not None
    hall.keypad.get(f"{BASE}/devices/me")
    w.keypad.refresh_from_db()
    assert w.keypad.last_seen_at == seen  # at most once a minute

    Device.objects.filter(pk=w.keypad.pk).update(is_active=False)
    inactive = hall.keypad.get(f"{BASE}/devices/me", headers={"Accept-Language": "en"})
    assert (inactive.status_code, inactive.json()["code"]) == (403, "device_inactive")
    Device.objects.filter(pk=w.keypad.pk).update(is_active=True)
    w.keypad.token.revoked_at = timezone.now()
    w.keypad.token.save(update_fields=["revoked_at"])
    revoked = hall.keypad.get(f"{BASE}/devices/me")
    assert revoked.status_code == 401
    assert revoked.json() == {"code": "token_revoked", "message": "访问令牌已被撤销", "fields": {}}
    unbound = bearer_client(w.cw.p.device_bearer).get(f"{BASE}/devices/me")
    assert (unbound.status_code, unbound.json()["code"]) == (403, "device_unknown")
    scoped = bearer_client(make_api_token(name="其他令牌", scopes=["cases:read"], system_name="x")[1])
    assert scoped.get(f"{BASE}/devices/me").json()["code"] == "insufficient_scope"
    assert Client().get(f"{BASE}/devices/me").status_code == 401


def test_closed_center_and_invalid_input_in_english(hall: Hall) -> None:
    w = hall.world
    OpeningHours.objects.filter(center=w.center).delete()
    closed = post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    assert closed.status_code == 409
    assert closed.json() == {"code": "center_closed", "message": "中心现在不在取号时间内，请在开放时间内取号。",
                             "fields": {}}
    bad = post(hall.printer, "/devices/ticket", {"category_id": 0, "priority": "royal"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422
    assert bad.json()["fields"] == {"category_id": ["The value must be at least 1."],
                                    "priority": ["This value is not one of the allowed choices."]}
    wrong = post(hall.keypad, "/devices/ticket", {"category_id": w.a.pk})
    assert wrong.json() == {"code": "device_kind_not_allowed", "message": "此类设备不能执行该操作。", "fields": {}}
    wrong = post(hall.keypad, "/devices/ticket", {"category_id": w.a.pk}, HTTP_ACCEPT_LANGUAGE="en")
    assert wrong.json() == {"code": "device_kind_not_allowed",
                            "message": "This kind of device cannot perform this operation.", "fields": {}}
    assert Ticket.objects.count() == 0


def test_board_slots_and_bookings(hall: Hall) -> None:
    w = hall.world
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    slot = AppointmentSlot.objects.create(center=w.center, category=w.a, date=tomorrow, starts=datetime.time(9, 0),
                                          ends=datetime.time(9, 30), capacity=1)
    other = AppointmentSlot.objects.create(center=w.center, category=w.a, date=tomorrow,
                                           starts=datetime.time(10, 0), ends=datetime.time(10, 30), capacity=2)
    post(hall.printer, "/devices/ticket", {"category_id": w.b.pk})
    board = Client().get(f"{BASE}/centers/TEST-LFL/board").json()
    assert [(r["prefix"], r["waiting"], r["windows"]) for r in board["rows"]] == [("A", 0, 2), ("B", 1, 2),
                                                                                ("C", 0, 2)]
    listed = Client().get(f"{BASE}/centers/TEST-LFL/slots", {"category_id": w.a.pk}).json()["items"]
    assert [(s["id"], s["free"]) for s in listed] == [(slot.pk, 1), (other.pk, 2)]
    assert Client().get(f"{BASE}/centers/NOPE/slots").json()["code"] == "center_not_found"
    assert Client().get(f"{BASE}/centers/TEST-LFL/slots", {"date_from": "9999-12-31"}).json()["items"] == []
    for query in ({"date_from": str(tomorrow), "date_to": str(timezone.localdate())}, {"date_to": "2100-01-01"}):
        refused = Client().get(f"{BASE}/centers/TEST-LFL/slots", query)
        assert (refused.status_code, refused.json()) == (422, {  # the range ends within the booking horizon
            "code": "date_range_invalid",
            "message": "查询区间须从今天起，至迟到可预约期的最后一天（今天起 14 天）。",
            "fields": {"date_to": ["取值无效。"]}}), query

    citizen = session(w.cw.p.citizen)
    booked = post(citizen, "/appointments", {"slot_id": slot.pk})
    assert booked.status_code == 201, booked.content
    appointment = booked.json()
    assert (appointment["status"], appointment["person"][0], set(appointment["person"][1:])) == (
        "booked", w.cw.p.citizen.person.name[0], {"*"})
    full = post(session(w.cw.p.another_citizen), "/appointments", {"slot_id": slot.pk})
    assert (full.status_code, full.json()["code"]) == (409, "slot_full")
    assert [s["id"] for s in Client().get(f"{BASE}/centers/TEST-LFL/slots").json()["items"]] == [other.pk]
    changed = citizen.patch(f"{BASE}/appointments/{appointment['id']}", data=json.dumps({"slot_id": other.pk}),
                            content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["starts"] == "10:00:00"
    mine = citizen.get(f"{BASE}/appointments").json()["items"]
    assert [(a["status"], a["starts"]) for a in mine] == [("booked", "10:00:00"), ("cancelled", "09:00:00")]
    stranger = session(w.cw.p.another_citizen).delete(f"{BASE}/appointments/{changed.json()['id']}")
    assert (stranger.status_code, stranger.json()["code"]) == (404, "appointment_not_found")
    gone = citizen.delete(f"{BASE}/appointments/{changed.json()['id']}")
    assert (gone.status_code, gone.json()["status"]) == (200, "cancelled")
    slot.refresh_from_db()
    other.refresh_from_db()
    assert (slot.booked, other.booked) == (0, 0)
    assert Client().get(f"{BASE}/appointments").status_code == 401


def test_manager_windows_and_live_view(hall: Hall) -> None:
    w = hall.world
    manager = session(w.manager)
    post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    post(hall.keypad, "/devices/call-next")
    live = manager.get(f"{BASE}/centers/{w.center.pk}/live")
    assert live.status_code == 200
    rows = live.json()["items"]
    assert [(r["window"], r["ticket"], r["status"]) for r in rows] == [(1, "A001", "called"), (2, None, None),
                                                                      (3, None, None)]
    assert live.json()["items"][0]["clerk"] == ""  # called by the keypad: no clerk
    paused = post(manager, f"/windows/{w.w2.pk}/state", {"state": "paused"})
    assert (paused.status_code, paused.json()["state"]) == (200, "paused")
    busy = post(manager, f"/windows/{w.w1.pk}/state", {"state": "closed"})
    assert (busy.status_code, busy.json()["code"]) == (409, "window_busy")
    moved = manager.put(f"{BASE}/windows/{w.w2.pk}/categories", data=json.dumps({"category_ids": [w.a.pk, w.b.pk]}),
                        content_type="application/json")
    assert (moved.status_code, moved.json()["categories"]) == (200, ["A", "B"])
    clerk = session(w.clerk)
    refused = clerk.put(f"{BASE}/windows/{w.w2.pk}/categories", data=json.dumps({"category_ids": [w.c.pk]}),
                        content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_center_manager")


def test_check_in_turns_a_booking_into_a_priority_ticket(hall: Hall) -> None:
    w = hall.world
    now = timezone.localtime()
    # A slot that starts within the check-in window (30 minutes early) and ends at midnight.
    start = (now + datetime.timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    end = datetime.time(23, 59, 59)
    slot = AppointmentSlot.objects.create(center=w.center, category=w.c, date=now.date(), starts=start, ends=end,
                                          capacity=3)
    booked = post(session(w.cw.p.citizen), "/appointments", {"slot_id": slot.pk}).json()
    checked = post(hall.printer, "/devices/check-in", {"code": booked["code"]})
    assert checked.status_code == 201, checked.content
    assert (checked.json()["display"], checked.json()["priority"]) == ("C001", "appointment")
    again = post(hall.printer, "/devices/check-in", {"code": booked["code"]})
    assert (again.status_code, again.json()["code"]) == (409, "already_checked_in")


def test_clerk_token_needs_the_centers_scope(hall: Hall) -> None:
    w = hall.world
    post(hall.printer, "/devices/ticket", {"category_id": w.b.pk})
    _, narrow = make_api_token(name="只读令牌", scopes=["cases:read"], owner=w.clerk)
    refused = post(bearer_client(narrow), f"/windows/{w.w2.pk}/call-next")
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")
    assert Ticket.objects.get().status == "waiting"
    _, scoped = make_api_token(name="窗口系统", scopes=["centers"], owner=w.clerk)
    called = post(bearer_client(scoped), f"/windows/{w.w2.pk}/call-next")
    assert (called.status_code, called.json()["display"], called.json()["window"]) == (200, "B001", 2)
    _, ownerless = make_api_token(name="系统令牌", scopes=["centers"], system_name="queue-system")
    nobody = post(bearer_client(ownerless), f"/tickets/{called.json()['id']}/start")
    assert (nobody.status_code, nobody.json()["code"]) == (403, "token_without_user")
    assert Ticket.objects.get().status == "called"


def test_printer_confirms_the_typed_number_before_any_queue_sms(hall: Hall) -> None:
    """A number typed at a device gets a one-time code, confirmed through the API (decision 0008)."""
    import re

    from onewindow.notifications.models import Message

    w = hall.world
    taken = post(hall.printer, "/devices/ticket", {"category_id": w.a.pk, "phone": "13800138001"}).json()
    assert taken["phone_confirmed"] is False
    [sms] = list(Message.objects.filter(event="phone_code"))
    found = re.search(r"验证码(\d{6})", sms.text)
    assert found is not None and sms.phone == "13800138001"
    body = {"status_code": taken["status_code"], "code": "0000000"}
    wrong = post(hall.printer, "/devices/phone-code", body)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "phone_code_invalid")
    keypad = post(hall.keypad, "/devices/phone-code", {**body, "code": found.group(1)})
    assert (keypad.status_code, keypad.json()["code"]) == (403, "device_kind_not_allowed")
    assert Ticket.objects.get(pk=taken["id"]).phone_confirmed_at is None
    ok = post(hall.printer, "/devices/phone-code", {**body, "code": found.group(1)})
    assert ok.status_code == 200 and ok.json()["phone_confirmed"] is True
    again = post(hall.printer, "/devices/phone-code", {**body, "code": found.group(1)})
    assert (again.status_code, again.json()["code"]) == (404, "phone_code_not_found")
