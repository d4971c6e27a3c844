"""Read-only selectors of the raw queue and window rows that the rollups read (issue #14 part 1;
decision 0017). Analytics reads the centers app only through these functions.

A partition of the centers is ``(center id, day)``: a ticket belongs to its ``Ticket.date`` (the
local day it was taken), a window event to the local date of its ``at``. Every row is returned
as a plain tuple (no model instances) so that a rebuild can stream millions of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from django.db.models import Count, Min, Q
from django.utils import timezone

from .choices import AppointmentStatus, TicketAction
from .models import Appointment, Center, Ticket, TicketEvent, WindowDuty, WindowEvent

CenterDay = tuple[int, datetime.date]

CHUNK = 5000


class TicketRow(NamedTuple):
    """One ticket: ``first_call`` is the time of its first ``call`` event (None if never called),
    ``transfers`` the number of its ``transfer`` events, ``priority`` its queue priority."""

    center_id: int
    date: datetime.date
    taken_at: datetime.datetime
    category_id: int
    source: str
    status: str
    window_id: int | None
    clerk_id: int | None
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    first_call: datetime.datetime | None
    transfers: int
    priority: str = "normal"


class WindowEventRow(NamedTuple):
    id: int
    center_id: int
    window_id: int
    action: str
    clerk_id: int | None
    at: datetime.datetime


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local midnight starting ``day`` and the next one (settings.TIME_ZONE)."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return start, end


def ticket_events_after(last_id: int, limit: int) -> tuple[set[CenterDay], int, int]:
    """The (center, day) partitions of the tickets whose events have an id above ``last_id`` (at
    most ``limit`` events, by id), the highest id read (``last_id`` if none) and how many."""
    rows = list(TicketEvent.objects.filter(id__gt=last_id).order_by("id")
                .values_list("id", "ticket__center_id", "ticket__date")[:limit])
    if not rows:
        return set(), last_id, 0
    return {(center_id, day) for _, center_id, day in rows}, rows[-1][0], len(rows)


def window_events_after(last_id: int, limit: int) -> tuple[set[CenterDay], int, int]:
    """As :func:`ticket_events_after`, for window events (partition: center, local date of ``at``)."""
    rows = list(WindowEvent.objects.filter(id__gt=last_id).order_by("id").values_list("id", "center_id", "at")[:limit])
    if not rows:
        return set(), last_id, 0
    return {(center_id, timezone.localdate(at)) for _, center_id, at in rows}, rows[-1][0], len(rows)


def last_ticket_event_id() -> int:
    return TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def last_window_event_id() -> int:
    return WindowEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _tickets() -> Iterable[tuple[object, ...]]:
    return (Ticket.objects.order_by()
            .annotate(first_call=Min("events__at", filter=Q(events__action=TicketAction.CALL)),
                      transfer_count=Count("events", filter=Q(events__action=TicketAction.TRANSFER)))
            .values_list("center_id", "date", "taken_at", "category_id", "source", "status", "window_id",
                         "clerk_id", "started_at", "finished_at", "first_call", "transfer_count", "priority"))


def tickets_of(partitions: Iterable[CenterDay]) -> list[TicketRow]:
    """The tickets of the given (center, day) partitions (one query)."""
    where = Q()
    for center_id, day in partitions:
        where |= Q(center_id=center_id, date=day)
    if not where:
        return []
    return [TicketRow(*row) for row in _tickets().filter(where)]  # type: ignore[attr-defined]


def tickets_all() -> Iterator[TicketRow]:
    """Every ticket, streamed in (date, center) order (the rebuild)."""
    for row in _tickets().order_by("date", "center_id").iterator(chunk_size=CHUNK):  # type: ignore[attr-defined]
        yield TicketRow(*row)


_WINDOW_FIELDS = ("id", "center_id", "window_id", "action", "clerk_id", "at")


def window_events_of(partitions: Iterable[CenterDay]) -> list[WindowEventRow]:
    """The window events of the given (center, day) partitions, by (at, id)."""
    where = Q()
    for center_id, day in partitions:
        start, end = day_bounds(day)
        where |= Q(center_id=center_id, at__gte=start, at__lt=end)
    if not where:
        return []
    return [WindowEventRow(*row) for row in
            WindowEvent.objects.filter(where).order_by("at", "id").values_list(*_WINDOW_FIELDS)]


def window_events_all() -> Iterator[WindowEventRow]:
    """Every window event, streamed by (at, id) (the rebuild)."""
    for row in WindowEvent.objects.order_by("at", "id").values_list(*_WINDOW_FIELDS).iterator(chunk_size=CHUNK):
        yield WindowEventRow(*row)


def ticket_places(ticket_ids: Iterable[int]) -> dict[int, tuple[int, int | None]]:
    """Per ticket id: (center id, serving window id or None) — where a rated service took place."""
    ids = sorted(set(ticket_ids))
    out: dict[int, tuple[int, int | None]] = {}
    for i in range(0, len(ids), CHUNK):
        for pk, center_id, window_id in Ticket.objects.filter(pk__in=ids[i:i + CHUNK]).values_list(
                "pk", "center_id", "window_id"):
            out[pk] = (center_id, window_id)
    return out


def centers_of_departments() -> dict[int, int]:
    """Per department id, the center whose receiving body it is (the lowest id if several)."""
    out: dict[int, int] = {}
    for pk, department_id in Center.objects.order_by("-pk").values_list("pk", "department_id"):
        out[department_id] = pk
    return out


# ---- elastic staffing (issue #15): the arrival history to replay, bookings and duties ----------

class ReplayRow(NamedTuple):
    """One ticket of the history as the staffing simulation replays it: its category when taken
    (``first_category``: the category before a transfer, else ``category_id``), the category it
    ended in, its priority, times, and whether it was served (service seconds from start → finish)."""

    date: datetime.date
    taken_at: datetime.datetime
    queue_key: datetime.datetime
    first_category_prefix: str | None
    category_id: int
    priority: str
    status: str
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    transfer_at: datetime.datetime | None


def replay_of(center_id: int, days: Iterable[datetime.date]) -> list[ReplayRow]:
    """The tickets of a center on the given days, by (date, taken_at), with the time of each one's
    first transfer (None: never transferred) and, for a transferred ticket, the prefix of the
    category it was taken in (its number's prefix: a transfer never changes the number held)."""
    days = sorted(set(days))
    if not days:
        return []
    rows = (Ticket.objects.filter(center_id=center_id, date__in=days).order_by("date", "taken_at", "id")
            .annotate(transfer_at=Min("events__at", filter=Q(events__action=TicketAction.TRANSFER)))
            .values_list("date", "taken_at", "queue_key", "display", "category_id", "priority", "status",
                         "started_at", "finished_at", "transfer_at"))
    return [ReplayRow(d, taken, key, display.rstrip("0123456789") if transfer_at is not None else None,
                      category_id, priority, status, started, finished, transfer_at)
            for d, taken, key, display, category_id, priority, status, started, finished, transfer_at in rows]


def booked_by_slot(center_id: int, dates: Iterable[datetime.date]) -> dict[tuple[datetime.date, int, int], int]:
    """Active bookings (booked or checked in) per (date, half-hour slot of the slot's start,
    category id) of a center's appointment slots on the given dates."""
    out: dict[tuple[datetime.date, int, int], int] = {}
    rows = (Appointment.objects.filter(slot__center_id=center_id, date__in=list(dates),
                                       status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])
            .values_list("date", "slot__starts", "category_id").annotate(n=Count("id")).order_by())
    for day, starts, category_id, n in rows:
        key = (day, starts.hour * 2 + starts.minute // 30, category_id)
        out[key] = out.get(key, 0) + n
    return out


def duties_of(center_id: int, days: Iterable[datetime.date]) -> list[tuple[datetime.date, int, int]]:
    """The duty plan (排班) of a center on the given days: (date, window id, clerk id)."""
    return list(WindowDuty.objects.filter(window__center_id=center_id, date__in=list(days))
                .order_by("date", "window_id").values_list("date", "window_id", "user_id"))
