"""The public polled pages (issue #17): the ticket status fragment and the waiting board answer 304
while the center's queue version is unchanged, are computed from the queue snapshot of that version
otherwise, always show what the full read shows, and keep to their statement budgets."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.centers import polled, selectors, services
from onewindow.centers.models import OpeningHours, Ticket
from onewindow.centers.services.windows import window_set_state
from onewindow.centers.testing import CenterWorld, take
from onewindow.core.calendar import is_working_day
from onewindow.core.models import CalendarDay
from onewindow.core.testing import StatementBudget

pytestmark = pytest.mark.django_db

ONE_READ = [(r"^SELECT t\.id, t\.center_id, .*MAX\(e\.id\) FROM centers_ticketevent .*centers_windowevent.*"
             r"FROM centers_ticket t .*WHERE t\.status_code = ", "the ticket, its names and its queue version (plain)")]
TAG_READ = [(r"^SELECT t\.id, t\.status, \(SELECT MAX\(e\.id\) FROM centers_ticketevent .*centers_windowevent.*"
             r"FROM centers_ticket t WHERE t\.status_code = ", "the ticket's status and its center's queue version")]
SNAPSHOT = [
    (r'SELECT .*FROM "centers_ticket".*"status" = .*waiting', "the center's waiting tickets, in queue order"),
    (r'SELECT .*"started_at".*"finished_at" FROM "centers_ticket"', "today's service times, newest first"),
    (r'SELECT .*FROM "centers_ticketcategory"', "the planned service minutes of the categories"),
    (r'SELECT .*FROM "centers_window_categories"', "the categories of the open windows"),
]


def live(client: Client, ticket: Ticket, seen: str = "waiting", **headers: str):  # type: ignore[no-untyped-def]
    return client.get(f"/centers/t/{ticket.status_code}/live/?seen={seen}", headers=headers)


def ahead(html: bytes) -> str:
    found = re.search(r'id="ticket-ahead">(\d+)<', html.decode())
    return found.group(1) if found else ""


def wait(html: bytes) -> str:
    found = re.search(r'<dd id="ticket-wait">\s*(.*?)\s*</dd>', html.decode(), re.S)
    return found.group(1) if found else ""


def test_status_fragment_first_load_then_304_until_the_queue_changes(center_world: CenterWorld) -> None:
    w = center_world
    first, second, third = (take(w, w.a, minutes) for minutes in (0, 1, 2))
    client = Client()
    with StatementBudget(ONE_READ + SNAPSHOT):  # a first load (no If-None-Match), a new version
        response = live(client, third)
    assert response.status_code == 200 and ahead(response.content) == "2"
    assert response["Cache-Control"] == "private, no-cache" and response["ETag"].startswith('"')
    etag = response["ETag"]
    with StatementBudget(TAG_READ):  # the browser's revalidation: one plain statement, nothing else
        again = live(client, third, if_none_match=etag)
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    with StatementBudget(ONE_READ):  # another ticket of the same version: the snapshot is in memory
        other = live(client, second)
    assert other.status_code == 200 and ahead(other.content) == "1"

    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(3))
    changed = live(client, third, if_none_match=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag and ahead(changed.content) == "1"
    assert first.status_code != Ticket.objects.get(pk=first.pk).status  # called: it now polls as called
    called = live(client, first, seen="called")
    assert called.status_code == 200 and 'data-status="called"' in called.content.decode()


def test_a_window_state_change_is_a_new_version(center_world: CenterWorld) -> None:
    w = center_world
    ticket = take(w, w.b)
    client = Client()
    response = live(client, ticket)
    window_set_state(by=w.manager, window_id=w.w2.pk, state="closed")
    window_set_state(by=w.manager, window_id=w.w3.pk, state="closed")
    after = live(client, ticket, if_none_match=response["ETag"])
    assert after.status_code == 200 and wait(after.content) == "即将轮到您"  # no one ahead, no window
    assert after["ETag"] != response["ETag"]


def test_changed_status_and_final_tickets_are_read_in_full_and_untagged(center_world: CenterWorld) -> None:
    w = center_world
    ticket = take(w, w.a)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(1))
    changed = live(Client(), ticket, seen="waiting")  # the fragment brings the call box and actions
    assert changed.status_code == 200 and "hx-swap-oob" in changed.content.decode() and "ETag" not in changed
    services.ticket_start(by=w.clerk, ticket_id=ticket.pk, now=w.at(2))
    services.ticket_finish(by=w.clerk, ticket_id=ticket.pk, now=w.at(3))
    done = live(Client(), ticket, seen="done")
    assert done.status_code == 200 and "ETag" not in done and "hx-trigger" not in done.content.decode()
    assert Client().get("/centers/t/NOSUCHCODE/live/?seen=waiting").status_code == 404


def test_the_snapshot_places_every_ticket_as_the_full_read_does(center_world: CenterWorld) -> None:
    w = center_world
    tickets = [take(w, (w.a, w.b, w.c)[i % 3], i, priority=("normal", "vip", "elderly", "normal")[i % 4])
               for i in range(24)]
    for minute in range(4):  # served tickets give live service times (one category has ≥ 3)
        called = services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(30 + 10 * minute))
        services.ticket_start(by=w.clerk, ticket_id=called.pk, now=w.at(31 + 10 * minute))
        services.ticket_finish(by=w.clerk, ticket_id=called.pk, now=w.at(35 + 10 * minute + minute))
    row = polled.ticket_row(tickets[0].status_code)
    assert row is not None  # the plain row reads its dates as the ORM does
    assert (row.date, row.taken_at, row.called_at, row.window) == (tickets[0].date, tickets[0].taken_at, None, None)
    snapshot = polled._snapshot(w.center.pk, row.date)
    for ticket in Ticket.objects.filter(center=w.center, status="waiting"):
        full = selectors.ticket_status(ticket.status_code)
        n = snapshot.ahead(ticket.pk)
        assert (n, snapshot.wait(ticket.category_id, n)) == (full.ahead, full.wait), ticket.display


def open_today(w: CenterWorld) -> None:
    for weekday in range(7):
        OpeningHours.objects.filter(center=w.center, weekday=weekday).delete()
        OpeningHours.objects.create(center=w.center, weekday=weekday, opens=datetime.time(0, 0),
                                    closes=datetime.time(23, 59, 59), last_ticket=datetime.time(23, 59, 59))
    if not is_working_day(timezone.localdate()):
        CalendarDay.objects.create(date=timezone.localdate(), is_working_day=True, name="test")


def test_board_fragment_is_rendered_once_per_version_and_answers_304(center_world: CenterWorld) -> None:
    w = center_world
    open_today(w)
    for category in (w.a, w.a, w.b):
        services.ticket_take(by=None, center_id=w.center.pk, category_id=category.pk)
    client = Client(headers={"HX-Request": "true"})
    board_reads = [
        (r'SELECT .*FROM "centers_center"', "the center by its code (selectors.center_board)"),
        (r'SELECT .*COUNT.*FROM "centers_ticket"', "waiting per category"),
        (r'SELECT .*AVG.*FROM "centers_ticket"', "today's average wait per category"),
        (r'SELECT .*FROM "centers_ticketcategory"', "the active categories"),
        *[(pattern, f"category {prefix}: {why}") for prefix in "ABC" for pattern, why in (
            (r'SELECT COUNT.*FROM "centers_window"', "its open windows"),
            (r'SELECT .*"started_at".*"finished_at" FROM "centers_ticket"', "its live service time"))],
        (r'SELECT .*FROM "centers_ticketevent"', "the latest calls"),
    ]
    center_read = [(r"^SELECT c\.id, c\.code, \(SELECT MAX\(e\.id\) FROM centers_ticketevent .*centers_windowevent.*"
                    r"FROM centers_center c WHERE c\.code = ", "the center by its code and its queue version (plain)")]
    with StatementBudget(center_read + board_reads):
        first = client.get("/centers/TEST-LFL/board/")
    assert first.status_code == 200 and "<html" not in first.content.decode()
    waiting = dict(re.findall(r'<tr data-prefix="([A-Z])">.*?data-col="waiting">(\d+)<', first.content.decode(),
                              re.S))
    assert waiting == {"A": "2", "B": "1", "C": "0"}
    assert first["Cache-Control"] == "private, no-cache"
    with StatementBudget(center_read):  # another phone, same version: the rows come from memory
        second = client.get("/centers/TEST-LFL/board/")
    assert second.content == first.content and second["ETag"] == first["ETag"]
    with StatementBudget(center_read):
        again = client.get("/centers/TEST-LFL/board/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    services.ticket_take(by=None, center_id=w.center.pk, category_id=w.c.pk)
    changed = client.get("/centers/TEST-LFL/board/", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert re.search(r'<tr data-prefix="C">.*?data-col="waiting">1<', changed.content.decode(), re.S)
    english = client.get("/centers/TEST-LFL/board/", headers={"Accept-Language": "en"})
    assert english["ETag"] != changed["ETag"]
    assert client.get("/centers/NO-SUCH/board/").status_code == 404
    assert Client().get("/centers/TEST-LFL/board/").status_code == 200  # the page itself, untagged
