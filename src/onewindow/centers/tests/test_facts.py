"""centers.facts: what the rollups read of the queue and the windows (decision 0017)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.analytics.tests.builders import ticket, window_events
from onewindow.centers import facts
from onewindow.centers.models import TicketEvent, WindowEvent
from onewindow.centers.testing import MONDAY_10

pytestmark = pytest.mark.django_db


def test_ticket_events_after_a_cursor_give_their_partitions_the_last_id_and_the_count(center_world: Any) -> None:
    w = center_world
    ticket(w.center, w.a, MONDAY_10, steps=[("call", 5, w.w1, w.clerk)])
    ticket(w.center, w.b, MONDAY_10 + datetime.timedelta(days=1))
    ids = sorted(TicketEvent.objects.values_list("id", flat=True))
    assert facts.ticket_events_after(0, 100) == ({(w.center.pk, MONDAY_10.date()),
                                                   (w.center.pk, MONDAY_10.date() + datetime.timedelta(days=1))},
                                                  ids[-1], 3)
    assert facts.ticket_events_after(0, 2) == ({(w.center.pk, MONDAY_10.date())}, ids[1], 2)
    assert facts.ticket_events_after(ids[-1], 100) == (set(), ids[-1], 0)
    assert facts.last_ticket_event_id() == ids[-1]


def test_tickets_of_a_partition_carry_the_first_call_and_the_transfers(center_world: Any) -> None:
    w = center_world
    ticket(w.center, w.a, MONDAY_10, steps=[("call", 5, w.w1, w.clerk), ("transfer", 6, None, w.clerk),
                                            ("call", 9, w.w3, w.clerk), ("recall", 10, w.w3, w.clerk)])
    ticket(w.center, w.a, MONDAY_10 + datetime.timedelta(days=1))
    [row] = facts.tickets_of([(w.center.pk, MONDAY_10.date())])
    assert (row.first_call, row.transfers, row.status, row.window_id) == (
        MONDAY_10 + datetime.timedelta(minutes=5), 1, "called", w.w3.pk)
    assert facts.tickets_of([]) == []
    assert [t.date for t in facts.tickets_all()] == [MONDAY_10.date(), MONDAY_10.date() + datetime.timedelta(days=1)]


def test_window_events_belong_to_their_local_day(center_world: Any) -> None:
    w = center_world
    midnight = timezone.make_aware(datetime.datetime.combine(MONDAY_10.date() + datetime.timedelta(days=1),
                                                             datetime.time()))
    window_events(w.w1, midnight, [("close", -1, None), ("open", 0, None)])
    close, open_ = WindowEvent.objects.order_by("at")
    assert [e.id for e in facts.window_events_of([(w.center.pk, MONDAY_10.date())])] == [close.pk]
    assert facts.window_events_after(0, 10) == ({(w.center.pk, MONDAY_10.date()),
                                                  (w.center.pk, midnight.date())}, open_.pk, 2)
    assert facts.centers_of_departments() == {w.center.department_id: w.center.pk}
    assert facts.ticket_places([]) == {}
