"""Authorization matrix of every centers API operation (ARCHITECTURE rule 8).

Each operation is called by each principal on a state made for it through the real services
(the center open "now"); the test asserts the exact status and error code, and for every refusal
that nothing changed: tickets (status, window, category, target, recalls), ticket events,
appointments and slot bookings, ratings and follow-ups, windows (state and categories).

Who is who: the principals of accounts.testing; ``center_clerk`` staffs the test center
(``clerk_other_department`` and the principals' department clerk do not); ``manager`` manages it;
``admin`` is a system admin. Devices of the center: its call keypad at window 1 (``keypad``),
a ticket printer, the rating pad of window 1; ``revoked_keypad`` is the keypad after its token was
revoked; ``other_printer`` is the ticket printer of another center; ``unbound_token`` a token
with the device scope bound to no device. Each principal runs in a savepoint rolled back after
the call, so every call meets the same state.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.utils import timezone

from onewindow.accounts.models import ApiToken
from onewindow.notifications.models import Message
from onewindow.ratings.models import FollowUp, Rating

from .. import services
from ..choices import DeviceKind
from ..models import Appointment, AppointmentSlot, Center, Ticket, TicketCategory, TicketEvent, Window, WindowEvent
from ..testing import CenterWorld
from .test_api import BASE, bearer_client, device, open_now, session

WHO = ["anonymous", "citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "center_clerk",
       "manager", "admin", "keypad", "printer", "pad", "revoked_keypad", "other_printer", "unbound_token"]
SESSIONS = ["citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "center_clerk", "manager",
            "admin"]
DEVICES = ["keypad", "printer", "pad", "other_printer"]
CENTER_STAFF = ("center_clerk", "manager", "admin")

Expected = tuple[int, str | None]
OK, CREATED = (200, None), (201, None)
UNAUTHENTICATED = (401, "unauthenticated")
REVOKED = (401, "token_revoked")
KIND = (403, "device_kind_not_allowed")


@dataclass
class World:
    w: CenterWorld
    clients: dict[str, Client]
    other: Center


def public(ok: Expected) -> dict[str, Expected]:
    return dict.fromkeys(WHO, ok)


def for_devices(**overrides: Expected) -> dict[str, Expected]:
    """A device operation: people are not devices (401); the revoked token 401; unbound 403."""
    table: dict[str, Expected] = dict.fromkeys(WHO, UNAUTHENTICATED)
    table.update(dict.fromkeys(DEVICES, KIND))
    table["revoked_keypad"] = REVOKED
    table["unbound_token"] = (403, "device_unknown")
    table.update(overrides)
    return table


def for_staff(refusal: Expected, allowed: tuple[str, ...] = CENTER_STAFF, ok: Expected = OK) -> dict[str, Expected]:
    """A clerk or manager operation: center staff (or the managers) succeed; other people are
    refused by the service; device tokens lack the ``centers`` scope."""
    table: dict[str, Expected] = dict.fromkeys(WHO, refusal)
    table["anonymous"] = UNAUTHENTICATED
    table.update(dict.fromkeys([*DEVICES, "unbound_token"], (403, "insufficient_scope")))
    table["revoked_keypad"] = REVOKED
    table.update(dict.fromkeys(allowed, ok))
    return table


def for_residents(ok: Expected, owner_only: bool = False) -> dict[str, Expected]:
    """A booking operation: browser sessions only (device tokens are not people: 401). On one
    appointment, the center's staff see it but may not change or cancel it (403), others do not
    see it (404)."""
    table: dict[str, Expected] = dict.fromkeys(WHO, UNAUTHENTICATED)
    for name in SESSIONS:
        table[name] = (404, "appointment_not_found") if owner_only else ok
    if owner_only:
        table.update(dict.fromkeys(CENTER_STAFF, (403, "appointment_action_forbidden")))
        table["citizen"] = ok
    return table


# --------------------------------------------------------------------------- states
def waiting(world: World) -> dict[str, Any]:
    ticket = services.ticket_take(by=None, center_id=world.w.center.pk, category_id=world.w.a.pk)
    return {"ticket": ticket}


def signed_in(world: World) -> dict[str, Any]:
    services.clerk_sign_in(by=world.w.clerk, window_id=world.w.w2.pk)
    return waiting(world)


def called(world: World) -> dict[str, Any]:
    waiting(world)
    return {"ticket": services.ticket_call_next(by=world.w.clerk, window_id=world.w.w1.pk)}


def serving(world: World) -> dict[str, Any]:
    ticket = called(world)["ticket"]
    return {"ticket": services.ticket_start(by=world.w.clerk, ticket_id=ticket.pk)}


def done(world: World) -> dict[str, Any]:
    ticket = serving(world)["ticket"]
    return {"ticket": services.ticket_finish(by=world.w.clerk, ticket_id=ticket.pk)}


def phone_pending(world: World) -> dict[str, Any]:
    """A ticket whose typed number waits for its one-time code (decision 0008)."""
    ticket = services.ticket_take(by=None, center_id=world.w.center.pk, category_id=world.w.a.pk, phone="13900001111")
    message = Message.objects.filter(event="phone_code").order_by("-created_at").first()
    found = re.search(r"验证码(\d{6})", message.text if message else "")
    assert found is not None
    return {"ticket": ticket, "code": found.group(1)}


def tomorrow_slots(world: World) -> dict[str, Any]:
    day = timezone.localdate() + datetime.timedelta(days=1)
    first = AppointmentSlot.objects.create(center=world.w.center, category=world.w.a, date=day,
                                           starts=datetime.time(9, 0), ends=datetime.time(9, 30), capacity=5)
    second = AppointmentSlot.objects.create(center=world.w.center, category=world.w.a, date=day,
                                            starts=datetime.time(10, 0), ends=datetime.time(10, 30), capacity=5)
    return {"slot": first, "other_slot": second}


def booked(world: World) -> dict[str, Any]:
    ctx = tomorrow_slots(world)
    ctx["appointment"] = services.appointment_book(by=world.w.cw.p.citizen, slot_id=ctx["slot"].pk)
    return ctx


def booked_now(world: World) -> dict[str, Any]:
    start = (timezone.localtime() + datetime.timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    slot = AppointmentSlot.objects.create(center=world.w.center, category=world.w.c, date=timezone.localdate(),
                                          starts=start, ends=datetime.time(23, 59, 59), capacity=5)
    return {"appointment": services.appointment_book(by=world.w.cw.p.citizen, slot_id=slot.pk)}


# --------------------------------------------------------------------------- operations
@dataclass
class Op:
    name: str
    method: str
    path: str  # filled with ticket, code, appointment, center, w1, w2
    setup: Callable[[World], dict[str, Any]]
    body: Callable[[World, dict[str, Any]], dict[str, Any] | None]
    table: dict[str, Expected]


def nobody(world: World, ctx: dict[str, Any]) -> None:
    return None


STAFF_REFUSED = (403, "not_center_staff")

OPS: list[Op] = [
    Op("board", "GET", "/centers/TEST-LFL/board", waiting, nobody, public(OK)),
    Op("slots", "GET", "/centers/TEST-LFL/slots", tomorrow_slots, nobody, public(OK)),
    Op("ticket_status", "GET", "/tickets/{code}", waiting, nobody, public(OK)),
    Op("ticket_cancel", "POST", "/tickets/{code}/cancel", waiting, nobody, public(OK)),
    Op("ticket_rate", "POST", "/tickets/{code}/rating", done, lambda w, c: {"level": 2, "comment": "慢"},
       public(CREATED)),
    Op("device_me", "GET", "/devices/me", waiting, nobody, for_devices(**dict.fromkeys(DEVICES, OK))),
    Op("device_take", "POST", "/devices/ticket", waiting, lambda w, c: {"category_id": w.w.a.pk},
       for_devices(printer=CREATED, other_printer=(404, "category_not_found"))),
    Op("device_check_in", "POST", "/devices/check-in", booked_now, lambda w, c: {"code": c["appointment"].code},
       for_devices(printer=CREATED, other_printer=(403, "wrong_center"))),
    Op("device_phone_code", "POST", "/devices/phone-code", phone_pending,
       lambda w, c: {"status_code": c["ticket"].status_code, "code": c["code"]},
       for_devices(printer=OK, other_printer=(404, "phone_code_not_found"))),
    Op("device_call_next", "POST", "/devices/call-next", waiting, nobody, for_devices(keypad=OK)),
    Op("device_recall", "POST", "/devices/recall", called, nobody, for_devices(keypad=OK)),
    Op("device_skip", "POST", "/devices/skip", called, nobody, for_devices(keypad=OK)),
    Op("device_start", "POST", "/devices/start", called, nobody, for_devices(keypad=OK)),
    Op("device_finish", "POST", "/devices/finish", serving, nobody, for_devices(keypad=OK)),
    Op("device_transfer", "POST", "/devices/transfer", called, lambda w, c: {"to_window_id": w.w.w2.pk},
       for_devices(keypad=OK)),
    Op("device_rate", "POST", "/devices/rating", done, lambda w, c: {"level": 1, "comment": "态度差"},
       for_devices(pad=CREATED, keypad=(403, "not_a_rating_pad"), printer=(403, "not_a_rating_pad"),
                   other_printer=(403, "not_a_rating_pad"))),
    Op("call_next", "POST", "/windows/{w1}/call-next", waiting, nobody, for_staff(STAFF_REFUSED)),
    Op("recall", "POST", "/tickets/{ticket}/recall", called, nobody, for_staff(STAFF_REFUSED)),
    Op("skip", "POST", "/tickets/{ticket}/skip", called, nobody, for_staff(STAFF_REFUSED)),
    Op("start", "POST", "/tickets/{ticket}/start", called, nobody, for_staff(STAFF_REFUSED)),
    Op("finish", "POST", "/tickets/{ticket}/finish", serving, lambda w, c: {"case_ids": []},
       for_staff(STAFF_REFUSED)),
    Op("transfer", "POST", "/tickets/{ticket}/transfer", called, lambda w, c: {"to_window_id": w.w.w2.pk},
       for_staff(STAFF_REFUSED)),
    Op("window_state", "POST", "/windows/{w2}/state", waiting, lambda w, c: {"state": "paused"},
       for_staff((403, "not_window_manager"), ("manager", "admin"))),
    Op("sign_in", "POST", "/windows/{w2}/sign-in", waiting, nobody, for_staff(STAFF_REFUSED, ok=CREATED)),
    Op("sign_out", "POST", "/windows/{w2}/sign-out", signed_in, nobody,
       for_staff(STAFF_REFUSED, ("center_clerk",)) | dict.fromkeys(("manager", "admin"), (409, "not_signed_in"))),
    Op("window_categories", "PUT", "/windows/{w2}/categories", waiting,
       lambda w, c: {"category_ids": [w.w.a.pk, w.w.b.pk]},
       for_staff((403, "not_center_manager"), ("manager", "admin"))),
    Op("center_live", "GET", "/centers/{center}/live", called, nobody, for_staff(STAFF_REFUSED)),
    Op("my_appointments", "GET", "/appointments", booked, nobody, for_residents(OK)),
    Op("book", "POST", "/appointments", tomorrow_slots, lambda w, c: {"slot_id": c["slot"].pk},
       for_residents(CREATED)),
    Op("change", "PATCH", "/appointments/{appointment}", booked, lambda w, c: {"slot_id": c["other_slot"].pk},
       for_residents(OK, owner_only=True)),
    Op("cancel", "DELETE", "/appointments/{appointment}", booked, nobody, for_residents(OK, owner_only=True)),
]


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Ticket.objects.order_by("id").values_list("id", "status", "window_id", "category_id",
                                                          "target_window_id", "recalls", "phone_confirmed_at")),
        TicketEvent.objects.count(),
        tuple(Appointment.objects.order_by("id").values_list("id", "status", "slot_id")),
        tuple(AppointmentSlot.objects.order_by("id").values_list("id", "booked")),
        Rating.objects.count(),
        FollowUp.objects.count(),
        WindowEvent.objects.count(),
        tuple((w.pk, w.state, tuple(sorted(w.categories.values_list("pk", flat=True))))
              for w in Window.objects.order_by("id")),
    )


@pytest.fixture
def world(center_world: CenterWorld) -> World:
    w = center_world
    open_now(w.center)
    _, printer = device(w, DeviceKind.TICKET_PRINTER, "取号机 1")
    _, pad = device(w, DeviceKind.RATING_PAD, "1号窗口评价器", window=w.w1)
    other = Center.objects.create(code="TEST-OTHER", name="另一中心", level="street", region=w.center.region,
                                  department=w.center.department)
    TicketCategory.objects.create(center=other, prefix="A", name="户籍办理")
    _, other_printer = device(w, DeviceKind.TICKET_PRINTER, "外中心取号机", center=other)
    p = w.cw.p
    clients: dict[str, Client] = {"anonymous": Client(), "keypad": bearer_client(w.keypad_bearer),
                                  "revoked_keypad": bearer_client(w.keypad_bearer), "printer": bearer_client(printer),
                                  "pad": bearer_client(pad), "other_printer": bearer_client(other_printer),
                                  "unbound_token": bearer_client(p.device_bearer),
                                  "center_clerk": session(w.clerk), "manager": session(w.manager)}
    for name in ("citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "admin"):
        clients[name] = p.client(name)
    return World(w=w, clients=clients, other=other)


def call(world: World, who: str, op: Op, ctx: dict[str, Any]) -> Any:
    ticket = ctx.get("ticket")
    appointment = ctx.get("appointment")
    url = BASE + op.path.format(ticket=ticket.pk if ticket else 0, code=ticket.status_code if ticket else "",
                                appointment=appointment.pk if appointment else 0, center=world.w.center.pk,
                                w1=world.w.w1.pk, w2=world.w.w2.pk)
    client = world.clients[who]
    if op.method == "GET":
        return client.get(url)
    if op.method == "DELETE":
        return client.delete(url)
    send = {"POST": client.post, "PATCH": client.patch, "PUT": client.put}[op.method]
    return send(url, data=json.dumps(op.body(world, ctx) or {}), content_type="application/json")


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_matrix(world: World, op: Op) -> None:
    problems = []
    for who in WHO:
        for name in settings.CACHES:  # the booking rate limit counts per user and minute (core.throttle: "shared")
            caches[name].clear()
        with transaction.atomic():
            ctx = op.setup(world)
            if who == "revoked_keypad":
                ApiToken.objects.filter(pk=world.w.keypad.token_id).update(revoked_at=timezone.now())
            before = snapshot()
            response = call(world, who, op, ctx)
            expected_status, code = op.table[who]
            got = (response.status_code, response.json().get("code") if response.status_code >= 400 else None)
            if got != (expected_status, code):
                problems.append((who, got, (expected_status, code)))
            elif expected_status >= 400:
                body = response.json()
                if set(body) != {"code", "message", "fields"} or not body["message"] or snapshot() != before:
                    problems.append((who, "changed or malformed", body))
            elif op.method != "GET" and snapshot() == before:
                problems.append((who, "nothing written", response.json()))
            transaction.set_rollback(True)
    assert problems == []


def test_matrix_covers_every_centers_operation() -> None:
    from onewindow.config.api import api

    schema = api.get_openapi_schema()
    operations = {(m.upper(), path.removeprefix("/api/v1/centers")) for path, ops in schema["paths"].items()
                  if path.startswith("/api/v1/centers/") for m in ops}
    names = {"{ticket}": "{ticket_id}", "{code}": "{status_code}", "{appointment}": "{appointment_id}",
             "{center}": "{center_id}", "{w1}": "{window_id}", "{w2}": "{window_id}", "TEST-LFL": "{code}"}
    covered = set()
    for op in OPS:
        path = op.path
        for mine, theirs in names.items():
            path = path.replace(mine, theirs)
        covered.add((op.method, path))
    assert covered == operations
    assert len(OPS) == len(operations)
