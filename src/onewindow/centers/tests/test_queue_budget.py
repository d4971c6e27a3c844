"""Statement budgets of the hall's two hot writes through the device API (issue #17): a ticket printer's
take and a call keypad's call-next, each statement pinned with the reason it is there.

Measured on the second request of each device: the first one also records that the token was used and
the device seen (at most once a minute each, two UPDATEs folded into the operation's transaction), reads
the center's ticket periods into the cache (once per center and day) and the category's wait-estimate
inputs (once a minute). In the test transaction
the services' BEGIN and COMMIT are SAVEPOINT and RELEASE SAVEPOINT.
"""

from __future__ import annotations

import pytest
from django.db import connection

from onewindow.core.testing import StatementBudget

from .. import printout
from ..models import Ticket, TicketEvent
from .test_api import Hall, post
from .test_api import hall as hall  # the fixture, used by name

AUTH = [
    (r'^SELECT .* FROM "centers_device" .*JOIN "accounts_apitoken" .*JOIN "centers_center"',
     "the device by its token's prefix, with the token (hash, scopes, revoked, expiry), its owner, center, window"),
]


def _take() -> list[tuple[str, str]]:
    lock = ([(r'^SELECT "id" FROM "centers_device" WHERE "id" = .* FOR UPDATE$',
              "the device row locked: takes counted in turn (PostgreSQL; SQLite's write lock does it)")]
            if connection.features.has_select_for_update else [])
    return [
        *AUTH,
        (r'^SELECT .* FROM "centers_ticketcategory"', "the category: of this center and active"),
        (r"^SAVEPOINT", "the take's transaction (BEGIN in production)"),
        *lock,
        (r'^SELECT COUNT\(\*\) FROM "centers_ticket" WHERE "device_id" = ', "the device's take limit (decision 0008)"),
        (r'^INSERT INTO "core_numbercounter" .*ON CONFLICT', "the gap-free number: the counter upsert"),
        (r'^INSERT INTO "centers_ticket" \(', "the ticket (prepared before BEGIN: its number and display patched in)"),
        (r'^INSERT INTO "centers_ticketevent"', "its take event (the analytics facts)"),
        (r'^INSERT INTO "core_auditentry"', "its audit entry"),
        (r"^RELEASE SAVEPOINT", "COMMIT"),
        (r'^SELECT COUNT\(\*\) FROM "centers_ticket" WHERE .*"status" = \'waiting\'',
         "the printout: people ahead (after COMMIT, outside the write lock)"),
    ]


CALL = [
    *AUTH,
    (r"^SAVEPOINT", "the call's transaction (BEGIN in production)"),
    (r'^SELECT .*EXISTS.* FROM "centers_window" .*JOIN "centers_center"',
     "the keypad's window, locked (one call at a time), and whether it still has a called or serving ticket"),
    (r'^SELECT .* FROM "centers_ticket" .*JOIN "centers_ticketcategory" .*"centers_window_categories"',
     "the next waiting tickets of the window's categories (SKIP LOCKED)"),
    (r'^UPDATE "centers_ticket" SET "status" = \'called\'', "the claim: only if still waiting (no double call)"),
    (r'^INSERT INTO "centers_ticketevent"', "its call event"),
    (r'^INSERT INTO "core_auditentry"', "its audit entry"),
    (r'^SELECT .* FROM "centers_ticket" .*OFFSET', "the ticket now N places from the front: its heads-up SMS"),
    (r"^RELEASE SAVEPOINT", "COMMIT"),
]

SKIP = [
    *AUTH,
    (r"^SAVEPOINT", "the skip's transaction (BEGIN in production)"),
    (r'^SELECT .* FROM "centers_ticket" .*"window_id" = .*ORDER BY',
     "the window's current ticket, locked, with its center, category and window (409 no_current_ticket)"),
    (r'^UPDATE "centers_ticket" SET "status" = \'no_show\'', "the ticket: no-show (the changed column only)"),
    (r'^INSERT INTO "centers_ticketevent"', "its skip event"),
    (r'^INSERT INTO "core_auditentry"', "its audit entry"),
    (r"^RELEASE SAVEPOINT", "COMMIT"),
]


@pytest.fixture(autouse=True)
def _one_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    # One wait-estimate bucket for the whole test: a minute boundary between the two takes would read
    # the estimate's inputs again (two statements more), which is the cache working, not the budget.
    monkeypatch.setattr(printout, "ESTIMATE_SECONDS", 10**9)


def test_take_ticket_statements(hall: Hall) -> None:
    w = hall.world
    assert post(hall.printer, "/devices/ticket", {"category_id": w.a.pk}).status_code == 201
    with StatementBudget(_take()):
        taken = post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    assert taken.status_code == 201
    body = taken.json()
    assert (body["display"], body["ahead"]) == ("A002", 1)
    ticket = Ticket.objects.get(pk=body["id"])
    assert TicketEvent.objects.filter(ticket=ticket, action="take").count() == 1


def test_call_next_statements(hall: Hall) -> None:
    w = hall.world
    for _ in range(3):
        post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    assert post(hall.keypad, "/devices/call-next").status_code == 200
    assert post(hall.keypad, "/devices/skip").status_code == 200
    with StatementBudget(CALL):
        called = post(hall.keypad, "/devices/call-next")
    assert called.status_code == 200
    assert (called.json()["display"], called.json()["status"], called.json()["window"]) == ("A002", "called", 1)
    assert TicketEvent.objects.filter(ticket_id=called.json()["id"], action="call").count() == 1


def test_skip_statements(hall: Hall) -> None:
    w = hall.world
    for _ in range(2):
        post(hall.printer, "/devices/ticket", {"category_id": w.a.pk})
    assert post(hall.keypad, "/devices/call-next").status_code == 200
    with StatementBudget(SKIP):
        skipped = post(hall.keypad, "/devices/skip")
    assert skipped.status_code == 200
    assert (skipped.json()["display"], skipped.json()["status"], skipped.json()["window"]) == ("A001", "no_show", 1)
    assert TicketEvent.objects.filter(ticket_id=skipped.json()["id"], action="skip").count() == 1
    assert Ticket.objects.get(pk=skipped.json()["id"]).status == "no_show"
