"""The queue: numbering, opening hours, calling order, priorities, transfer, and every refusal
leaving everything unchanged."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.centers import services, workflow
from onewindow.centers.choices import TicketStatus, WindowState
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import CenterWorld, take
from onewindow.core.errors import DomainError
from onewindow.notifications.models import Message


def _state() -> tuple[list[tuple[str, str, int | None]], int, int]:
    rows = list(Ticket.objects.order_by("pk").values_list("display", "status", "window_id"))
    return rows, TicketEvent.objects.count(), Message.objects.count()


def refused(call: Any, code: str, status: int) -> None:
    before = _state()
    with pytest.raises(DomainError) as excinfo:
        call()
    assert (excinfo.value.code, excinfo.value.status) == (code, status)
    assert _state() == before


def test_numbers_per_category_and_day(center_world: CenterWorld) -> None:
    w = center_world
    got = [take(w, w.a).display, take(w, w.a).display, take(w, w.b).display, take(w, w.a).display]
    assert got == ["A001", "A002", "B001", "A003"]
    tuesday = timezone.make_aware(datetime.datetime(2026, 3, 3, 9, 0))
    ticket = services.ticket_take(by=None, center_id=w.center.pk, category_id=w.a.pk, now=tuesday)
    assert (ticket.display, ticket.date) == ("A001", datetime.date(2026, 3, 3))


@pytest.mark.parametrize("moment", [
    datetime.datetime(2026, 3, 1, 10, 0),  # Sunday
    datetime.datetime(2026, 3, 2, 8, 0),  # before opening
    datetime.datetime(2026, 3, 2, 16, 45),  # after the last ticket
    datetime.datetime(2026, 10, 1, 10, 0),  # National Day (statutory holiday)
])
def test_no_ticket_when_closed(center_world: CenterWorld, moment: datetime.datetime) -> None:
    w = center_world
    refused(lambda: services.ticket_take(by=None, center_id=w.center.pk, category_id=w.a.pk,
                                         now=timezone.make_aware(moment)), "center_closed", 409)


def test_take_refusals(center_world: CenterWorld) -> None:
    w = center_world
    refused(lambda: services.ticket_take(by=None, center_id=999, category_id=w.a.pk, now=w.at()),
            "center_not_found", 404)
    refused(lambda: services.ticket_take(by=None, center_id=w.center.pk, category_id=999, now=w.at()),
            "category_not_found", 404)
    refused(lambda: services.ticket_take(by=None, center_id=w.center.pk, category_id=w.a.pk, priority="vip",
                                         now=w.at()), "priority_not_allowed", 403)
    refused(lambda: services.ticket_take(by=None, center_id=w.center.pk, category_id=w.a.pk, phone="123",
                                         now=w.at()), "mobile_format", 422)


def test_call_order_categories_and_priority(center_world: CenterWorld) -> None:
    w = center_world
    a1 = take(w, w.a, 0)
    b1 = take(w, w.b, 1)
    a2 = take(w, w.a, 2)
    elderly = take(w, w.a, 20, priority="elderly")  # 15 minutes head start: ahead of nobody taken before 10:05
    called = services.ticket_call_next(by=w.clerk, window_id=w.w2.pk, now=w.at(21))
    assert called.pk == b1.pk  # window 2 serves only B
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(21)).pk == a1.pk
    assert services.ticket_call_next(by=w.clerk, window_id=w.w3.pk, now=w.at(21)).pk == a2.pk
    services.ticket_skip(by=w.clerk, ticket_id=a1.pk, now=w.at(22))
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(22)).pk == elderly.pk
    called = Ticket.objects.get(pk=elderly.pk)
    assert (called.status, called.window, called.clerk) == (TicketStatus.CALLED, w.w1, w.clerk)


def test_priority_is_bounded_no_starvation(center_world: CenterWorld) -> None:
    w = center_world
    early = take(w, w.a, 0)
    for minute in range(40, 50):  # VIPs keep coming, each with a 30-minute head start
        take(w, w.a, minute, priority="vip")
    # The first VIP's key is 10:10, after the normal ticket's 10:00: the normal one is called first.
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(50)).pk == early.pk


def test_refusals_when_calling(center_world: CenterWorld) -> None:
    w = center_world
    refused(lambda: services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at()), "queue_empty", 409)
    take(w, w.a, 0)
    take(w, w.a, 1)
    refused(lambda: services.ticket_call_next(by=w.cw.p.clerk, window_id=w.w1.pk, now=w.at()),
            "not_center_staff", 403)
    refused(lambda: services.ticket_call_next(by=w.keypad, window_id=w.w3.pk, now=w.at()), "device_wrong_window", 403)
    w.w2.state = WindowState.CLOSED
    w.w2.save()
    refused(lambda: services.ticket_call_next(by=w.clerk, window_id=w.w2.pk, now=w.at()), "window_not_open", 409)
    services.ticket_call_next(by=w.keypad, window_id=w.w1.pk, now=w.at(2))
    refused(lambda: services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(3)), "window_busy", 409)


def test_full_service_with_timestamps_and_sms(center_world: CenterWorld) -> None:
    w = center_world
    # Numbers typed by a clerk of the center are confirmed at once (a kiosk's need a code first).
    ticket = take(w, w.c, 0, phone="13900139000", by=w.clerk)
    for minute in range(1, 6):
        take(w, w.c, minute, phone="13700137000", by=w.clerk)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(10))
    services.ticket_recall(by=w.clerk, ticket_id=ticket.pk, now=w.at(11))
    services.ticket_start(by=w.clerk, ticket_id=ticket.pk, now=w.at(12))
    case = w.cw.forwarded_case()
    done = services.ticket_finish(by=w.clerk, ticket_id=ticket.pk, case_ids=[case.pk], now=w.at(20))
    assert (done.status, done.recalls) == (TicketStatus.DONE, 1)
    assert (done.taken_at, done.called_at, done.started_at, done.finished_at) == (w.at(0), w.at(11), w.at(12), w.at(20))
    assert list(done.cases.all()) == [case]
    assert [e.action for e in done.events.all()] == ["take", "call", "recall", "start", "finish"]
    sms = Message.objects.filter(subject_type="ticket")
    assert sorted((m.event, m.subject_id) for m in sms) == sorted([
        ("ticket_called", str(ticket.pk)), ("ticket_near", str(ticket.pk + 4)), ("ticket_called", str(ticket.pk)),
        ("service_rating", str(ticket.pk))])  # after the service: the signed rating link (issue #10)


def test_transfer_keeps_the_place(center_world: CenterWorld) -> None:
    w = center_world
    first = take(w, w.a, 0)
    take(w, w.b, 1)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(5))
    moved = services.ticket_transfer(by=w.clerk, ticket_id=first.pk, to_category_id=w.b.pk, now=w.at(6))
    assert (moved.status, moved.category, moved.window, moved.queue_key) == (TicketStatus.WAITING, w.b, None,
                                                                             first.queue_key)
    assert services.ticket_call_next(by=w.clerk, window_id=w.w2.pk, now=w.at(7)).pk == first.pk  # still first in B
    services.ticket_transfer(by=w.clerk, ticket_id=first.pk, to_window_id=w.w3.pk, now=w.at(8))
    take(w, w.a, 9)
    assert services.ticket_call_next(by=w.clerk, window_id=w.w3.pk, now=w.at(10)).pk == first.pk  # directed
    refused(lambda: services.ticket_transfer(by=w.clerk, ticket_id=first.pk, now=w.at(11)),
            "transfer_target_required", 422)


def test_cancel_and_requeue(center_world: CenterWorld) -> None:
    w = center_world
    one = take(w, w.a, 0)
    two = take(w, w.a, 1)
    assert services.ticket_cancel(status_code=one.status_code, now=w.at(2)).status == TicketStatus.CANCELLED
    refused(lambda: services.ticket_cancel(status_code=one.status_code), "ticket_illegal_transition", 409)
    refused(lambda: services.ticket_cancel(status_code="NOPE"), "ticket_not_found", 404)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(3))
    services.ticket_skip(by=w.clerk, ticket_id=two.pk, now=w.at(4))
    late = take(w, w.a, 5)
    back = services.ticket_requeue(by=w.clerk, ticket_id=two.pk, now=w.at(6))
    assert (back.status, back.window, back.queue_key) == (TicketStatus.WAITING, None, w.at(6))
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(7)).pk == late.pk


@pytest.mark.parametrize("status", TicketStatus.values)
@pytest.mark.parametrize("action", sorted(workflow.TICKET_TRANSITIONS))
def test_ticket_table(status: str, action: str) -> None:
    expected = {
        "call": ({"waiting"}, "called"), "recall": ({"called"}, "called"), "skip": ({"called"}, "no_show"),
        "requeue": ({"no_show"}, "waiting"), "transfer": ({"waiting", "called", "serving"}, "waiting"),
        "start": ({"called"}, "serving"), "finish": ({"serving"}, "done"), "cancel": ({"waiting"}, "cancelled"),
    }[action]
    assert workflow.ticket_allowed(status, action) == (status in expected[0])
    if status in expected[0]:
        assert workflow.ticket_target(status, action) == expected[1]
