"""Half-hour demand and service facts of a center (``TicketSlotFact``), as elastic staffing
(弹性调配, issue #15 part 1) reads them: staffing reads analytics through selectors only.

These reads are not scoped to a user: their callers are the demand model's build (a service run by
the center's manager or the nightly job) and the benchmark, which check who may act first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import NamedTuple

from ..models import TicketSlotFact

_FIELDS = ("day", "slot", "category_id", "arrivals", "appointments", "priority", "served", "transfers", "waits",
           "wait_seconds", "wait_hist", "services", "service_seconds", "service_hist")


class SlotRow(NamedTuple):
    """One center's tickets of one category taken in one half-hour ``slot`` (0 = 00:00–00:30 … 47)
    of ``day``: arrivals (tickets taken), of them from appointments and with a priority, served,
    transfers; waits (taken → first call) and service times (start → finish) as count, total
    seconds and histogram (``analytics.histogram`` buckets)."""

    day: datetime.date
    slot: int
    category_id: int
    arrivals: int
    appointments: int
    priority: int
    served: int
    transfers: int
    waits: int
    wait_seconds: int
    wait_hist: list[int]
    services: int
    service_seconds: int
    service_hist: list[int]


def slot_history(center_id: int, since: datetime.date, until: datetime.date) -> list[SlotRow]:
    """The slot facts of a center from ``since`` to ``until`` (both included), ordered by (day,
    slot, category id); one query. A slot of an open day without a row had no ticket taken."""
    rows = (TicketSlotFact.objects.filter(center_id=center_id, day__gte=since, day__lte=until)
            .order_by("day", "slot", "category_id").values_list(*_FIELDS))
    return [SlotRow(*row) for row in rows]


def slot_days(center_id: int, since: datetime.date, until: datetime.date) -> list[datetime.date]:
    """The days from ``since`` to ``until`` with any slot fact (a ticket was taken: the center was
    open), in order; one query."""
    return list(TicketSlotFact.objects.filter(center_id=center_id, day__gte=since, day__lte=until)
                .order_by("day").values_list("day", flat=True).distinct())


def slot_history_many(center_ids: Iterable[int], since: datetime.date,
                      until: datetime.date) -> dict[int, list[SlotRow]]:
    """:func:`slot_history` of many centers in one query (the benchmark of issue #15 builds the
    models of 220 centers): center id → its rows in (day, slot, category) order; a center without
    facts in the span is absent."""
    ids = sorted({int(i) for i in center_ids})
    out: dict[int, list[SlotRow]] = {}
    if not ids:
        return out
    rows = (TicketSlotFact.objects.filter(center_id__in=ids, day__gte=since, day__lte=until)
            .order_by("center_id", "day", "slot", "category_id").values_list("center_id", *_FIELDS))
    for center_id, *rest in rows:
        out.setdefault(center_id, []).append(SlotRow(*rest))
    return out


def centers_with_slot_facts(since: datetime.date, until: datetime.date) -> list[int]:
    """The ids of the centers with any slot fact from ``since`` to ``until`` (the nightly build
    fits only those); one query."""
    return list(TicketSlotFact.objects.filter(day__gte=since, day__lte=until).order_by("center_id")
                .values_list("center_id", flat=True).distinct())

