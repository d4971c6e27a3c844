"""Reads of the public polled pages (issue #17): the ticket status fragment and the waiting board,
which a hall of 200 waiting people polls 200 times a second per center.

Every change of what these pages show is a step of the queue that the services already record: a
ticket step writes a ``TicketEvent`` (take, call, recall, skip, transfer, start, finish, cancel)
and a window's state change a ``WindowEvent`` (open, pause, close; a closed window leaves the wait
estimate). So the **queue version** of a center and day is the pair (latest TicketEvent id of the
center's tickets of the day, latest WindowEvent id of the center): one SELECT, read together with
the ticket or center the page names. Nothing new is written for it.

- An unchanged version answers the poll with 304 (the page's ETag names the version, the ticket,
  the status the page shows and the language).
- A changed version computes the center's **queue snapshot** once per worker and version (the
  waiting order per category, the live service time and open windows per category), from which
  any ticket's people-ahead and wait range follow in memory; the board's rows are rendered once
  per worker, version and language. The snapshot is keyed on the version: it is never stale.

Not covered by the version (no event is written for them): a change of a category's planned
minutes or of a window's categories in the admin; the estimate follows at the next queue step.
A rating changes a finished ticket's page: final tickets are always read in full (they stop polling).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .choices import TicketStatus, WindowState
from .models import Center, Ticket, TicketCategory, TicketEvent, Window, WindowEvent
from .selectors import LIVE_SAMPLE, wait_range

S = TicketStatus
FINAL = frozenset({S.DONE, S.NO_SHOW, S.CANCELLED})
SNAPSHOT_SECONDS = 600  # a snapshot lives at most this long; a new version takes a new key at once


# The revalidation of a poll, in plain SQL: the ORM builds the same statement in about ten times the
# time it takes to run (the flame graph after the first lever: 41 % of the status fragment's samples in
# building the query). The row carries only integers and text, so no value conversion is needed.
_VERSIONS = """(SELECT MAX(e.id) FROM {event} e INNER JOIN {ticket} et ON e.ticket_id = et.id
                 WHERE et.center_id = {center} AND et.date = {day}),
                (SELECT MAX(v.id) FROM {window_event} v WHERE v.center_id = {center})"""


def _tables() -> dict[str, str]:
    return {"event": TicketEvent._meta.db_table, "ticket": Ticket._meta.db_table,
            "window_event": WindowEvent._meta.db_table, "center_table": Center._meta.db_table}


def _tag_sql() -> str:
    tables = _tables()
    versions = _VERSIONS.format(center="t.center_id", day="t.date", **tables)
    return f"SELECT t.id, t.status, {versions} FROM {tables['ticket']} t WHERE t.status_code = %s"  # noqa: S608


def _center_tag_sql() -> str:
    tables = _tables()
    versions = _VERSIONS.format(center="c.id", day="%s", **tables)
    return (f"SELECT c.id, c.code, {versions} FROM {tables['center_table']} c "  # noqa: S608
            "WHERE c.code = %s AND c.is_active = %s")


def ticket_tag(status_code: str) -> tuple[int, str, str] | None:
    """(id, status, queue version) of the ticket of a status code, in one plain statement; None if unknown."""
    with connection.cursor() as cursor:
        cursor.execute(_tag_sql(), [str(status_code or "")[:16]])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), str(row[1]), f"{row[2] or 0}.{row[3] or 0}")


def center_tag(center_code: str, day: datetime.date) -> tuple[int, str, str] | None:
    """(id, code, queue version of ``day``) of an active center, in one plain statement; None if unknown."""
    with connection.cursor() as cursor:
        cursor.execute(_center_tag_sql(), [day, str(center_code or "")[:32], True])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), str(row[1]), f"{day.isoformat()}.{row[2] or 0}.{row[3] or 0}")


@dataclass(frozen=True)
class TicketRow:
    """A ticket as its status fragment shows it, with its center's queue version (one SELECT)."""

    id: int
    center_id: int
    category_id: int
    date: datetime.date
    status: str
    display: str
    center: str
    category: str
    window: int | None
    taken_at: datetime.datetime | None
    called_at: datetime.datetime | None
    version: str


def _row_sql() -> str:
    tables = _tables()
    versions = _VERSIONS.format(center="t.center_id", day="t.date", **tables)
    return (f"SELECT t.id, t.center_id, t.category_id, t.date, t.status, t.display, c.name, k.name, w.number, "  # noqa: S608
            f"t.taken_at, t.called_at, {versions} FROM {tables['ticket']} t "
            f"INNER JOIN {tables['center_table']} c ON c.id = t.center_id "
            f"INNER JOIN {TicketCategory._meta.db_table} k ON k.id = t.category_id "
            f"LEFT OUTER JOIN {Window._meta.db_table} w ON w.id = t.window_id WHERE t.status_code = %s")


def _day(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def _moment(value: Any) -> datetime.datetime | None:
    """A datetime column read by plain SQL: aware from PostgreSQL, UTC text from SQLite (USE_TZ)."""
    moment = value if isinstance(value, datetime.datetime) or value is None else parse_datetime(str(value))
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def ticket_row(status_code: str) -> TicketRow | None:
    """The ticket of a status code, its names and its center's queue version, in one plain statement
    (as ``ticket_tag``: the ORM took longer to build it than the database to run it); None if unknown."""
    with connection.cursor() as cursor:
        cursor.execute(_row_sql(), [str(status_code or "")[:16]])
        row = cursor.fetchone()
    if row is None:
        return None
    return TicketRow(id=int(row[0]), center_id=int(row[1]), category_id=int(row[2]), date=_day(row[3]),
                     status=str(row[4]), display=str(row[5]), center=str(row[6]), category=str(row[7]),
                     window=None if row[8] is None else int(row[8]), taken_at=_moment(row[9]),
                     called_at=_moment(row[10]), version=f"{row[11] or 0}.{row[12] or 0}")


@dataclass(frozen=True)
class QueueSnapshot:
    """A center's queue of a day at one version: enough to place any waiting ticket in memory."""

    ahead_of: dict[int, int]  # waiting ticket id → people ahead of it in its category (queue order)
    minutes: dict[int, float]  # category → live (or planned) service minutes
    windows: dict[int, int]  # category → open windows serving it

    def ahead(self, ticket_id: int) -> int:
        return self.ahead_of.get(ticket_id, 0)

    def wait(self, category_id: int, ahead: int) -> tuple[int, int]:
        return wait_range(ahead, self.minutes.get(category_id, 0.0), self.windows.get(category_id, 0))


def _snapshot(center_id: int, day: datetime.date) -> QueueSnapshot:
    ahead_of: dict[int, int] = {}
    places: dict[int, int] = {}
    # Ordered as selectors.ticket_status counts: a smaller queue key, or the same key and a smaller id.
    for category_id, pk in (Ticket.objects.filter(center_id=center_id, date=day, status=S.WAITING)
                            .order_by("category_id", "queue_key", "id").values_list("category_id", "id")):
        ahead_of[pk] = places.get(category_id, 0)
        places[category_id] = ahead_of[pk] + 1
    # The last LIVE_SAMPLE services of each category today (selectors.service_minutes, per category).
    done: dict[int, list[float]] = {}
    for category_id, started, finished in (Ticket.objects.filter(center_id=center_id, date=day, status=S.DONE,
                                                                 started_at__isnull=False, finished_at__isnull=False)
                                           .order_by("-finished_at").values_list("category_id", "started_at",
                                                                                 "finished_at")):
        sample = done.setdefault(category_id, [])
        if len(sample) < LIVE_SAMPLE and started is not None and finished is not None:
            sample.append((finished - started).total_seconds())
    minutes = {pk: (sum(done[pk]) / 60 / len(done[pk]) if len(done.get(pk, [])) >= 3 else float(planned))
               for pk, planned in TicketCategory.objects.filter(center_id=center_id).values_list("pk",
                                                                                                  "service_minutes")}
    windows = Counter(Window.categories.through.objects.filter(window__center_id=center_id,
                                                               window__state=WindowState.OPEN)
                      .values_list("ticketcategory_id", flat=True))
    return QueueSnapshot(ahead_of=ahead_of, minutes=minutes, windows=dict(windows))


def queue_snapshot(center_id: int, day: datetime.date, version: str) -> QueueSnapshot:
    """The center's snapshot at ``version``: computed once per worker (the default cache) and version."""
    cache = caches["default"]
    key = f"centers:polled:snapshot:{center_id}:{day.isoformat()}:{version}"
    snapshot = cache.get(key)
    if not isinstance(snapshot, QueueSnapshot):
        snapshot = _snapshot(center_id, day)
        cache.set(key, snapshot, SNAPSHOT_SECONDS)
    return snapshot
