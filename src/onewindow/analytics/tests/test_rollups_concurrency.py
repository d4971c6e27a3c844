"""Two rollup updates at once (the 5-minute task overlapping a manual run) do not count an event
twice: each batch locks the four cursor rows, so the second waits for the first to commit and then
reads the moved cursors (PostgreSQL; SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.db.models import Sum

from onewindow.analytics.models import DutyDayFact, RollupRun, TicketHourFact
from onewindow.analytics.services.rollups import rollup_update
from onewindow.core.testing import join_all, start_barrier

from .test_rollups import duty_rows, queue_day, ticket_rows

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; run with DATABASE_URL"),
]


def test_two_concurrent_updates_count_each_event_once(center_world: Any) -> None:
    queue_day(center_world)
    start = start_barrier(2)
    errors: list[BaseException] = []

    def update() -> None:
        try:
            start.wait()
            rollup_update()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=update) for _ in range(2)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert sorted(RollupRun.objects.values_list("events", flat=True)) == [0, 16 + 10]
    assert TicketHourFact.objects.aggregate(n=Sum("arrivals"))["n"] == 5
    assert DutyDayFact.objects.count() == 4
    once = ticket_rows(), duty_rows()
    rollup_update()
    assert (ticket_rows(), duty_rows()) == once
