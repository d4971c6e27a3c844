"""The rollup engine (issue #14 part 1; decision 0017): the fact tables of ``models.facts`` rebuilt
from, and kept up to date with, the raw rows of centers, cases and ratings (read through their
``facts`` selectors). The measures are defined in ``services.measures``.

Partitions: tickets and window (duty) events → (center, day), the fact tables of a center-day
(hours, half-hour slots, duty) recomputed together (a finished ticket changes the day's serving
time too); cases → (receiving department, day received); ratings → (evaluated department, day rated).

``rollup_update`` reads, per source, the events with an id above its ``RollupCursor.last_id``
(tickets: TicketEvent ids; windows: WindowEvent ids; cases: CaseEvent ids; ratings: Rating ids),
collects the partitions they touch (a late event with an old time re-opens its old day),
recomputes each from the raw rows, replaces its fact rows and moves the cursors — one transaction
per batch, holding the locks of all four cursor rows (in source order), so two updates (or an
update and a rebuild) run one after the other and never write one partition twice. Two changes
write no event row: a deadline warning raised by the periodic check (a case's ``updated_at``
moves) and a follow-up turning overdue or moving (``FollowUpEvent``, a table without a cursor of
its own: the cursor sources are fixed); the first batch of an update also re-opens the partitions
of cases saved, and of follow-ups changed or fallen due, since the previous update (the cursor's
``updated_at``) less ``LATE_MARGIN``.

``rollup_rebuild`` deletes every fact row and recomputes every partition from streamed rows (day
by day, in bulk), then sets each cursor to the last event id present when it started.
"""

from __future__ import annotations

import datetime
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from onewindow.cases import facts as case_facts
from onewindow.centers import facts as center_facts
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record
from onewindow.core.locks import lock_or_create
from onewindow.ratings import facts as rating_facts

from ..choices import RollupRunKind, RollupSource
from ..models import (
    CaseDayFact,
    DutyDayFact,
    RatingDayFact,
    RollupCursor,
    RollupRun,
    TicketHourFact,
    TicketSlotFact,
)
from . import measures

T = TypeVar("T")
Day = datetime.date
CenterDay = tuple[int, Day]
DepartmentDay = tuple[int | None, Day]

#: Events read per source in one transaction of an update.
BATCH_EVENTS = 20000
#: Partitions recomputed per query.
SPAN = 50
#: Fact rows per INSERT.
INSERT_BATCH = 2000
#: How far before the previous update the changes without events are looked for.
LATE_MARGIN = datetime.timedelta(minutes=10)

_SOURCES = sorted(RollupSource.values)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _lock_cursors() -> dict[str, RollupCursor]:
    """Lock the four cursor rows in a fixed order (creating any missing)."""
    locked = RollupCursor.objects.select_for_update().filter(source__in=_SOURCES).order_by("source")
    rows = {c.source: c for c in locked}
    if len(rows) < len(_SOURCES):
        for source in _SOURCES:
            rows[source] = lock_or_create(RollupCursor, source=source)
    return rows


def _where(parts: Iterable[tuple[int | None, Day]], field: str) -> Q:
    where = Q()
    for key, day in parts:
        where |= Q(**{f"{field}__isnull": True, "day": day}) if key is None else Q(**{field: key, "day": day})
    return where


def _insert(model: type[Model], rows: list[Any]) -> None:
    if rows:
        model._default_manager.bulk_create(rows, batch_size=INSERT_BATCH)


def _recompute_center_days(parts: set[CenterDay], now: datetime.datetime) -> None:
    for chunk in _chunks(sorted(parts), SPAN):
        tickets = center_facts.tickets_of(chunk)
        events = center_facts.window_events_of(chunk)
        where = _where(chunk, "center_id")
        TicketHourFact.objects.filter(where).delete()
        TicketSlotFact.objects.filter(where).delete()
        DutyDayFact.objects.filter(where).delete()
        _insert(TicketHourFact, measures.ticket_facts(tickets))
        _insert(TicketSlotFact, measures.ticket_slot_facts(tickets))
        _insert(DutyDayFact, measures.duty_facts(tickets, events, now))


def _recompute_case_days(parts: set[DepartmentDay], centers: dict[int, int]) -> None:
    for chunk in _chunks(sorted(parts, key=lambda p: (p[0] or 0, p[1])), SPAN):
        rows = case_facts.cases_of((d, day) for d, day in chunk if d is not None)
        CaseDayFact.objects.filter(_where(chunk, "department_id")).delete()
        _insert(CaseDayFact, measures.case_facts(rows, centers))


def _rating_rows_facts(rows: list[rating_facts.RatingRow], centers: dict[int, int],
                       today: Day) -> list[RatingDayFact]:
    ticket_ids, case_ids = measures.subject_ids(rows)
    places = center_facts.ticket_places(ticket_ids) if ticket_ids else {}
    items = case_facts.case_items(case_ids) if case_ids else {}
    return measures.rating_facts(rows, centers=centers, places=places, items=items, today=today)


def _recompute_rating_days(parts: set[DepartmentDay], centers: dict[int, int], today: Day) -> None:
    for chunk in _chunks(sorted(parts, key=lambda p: (p[0] or 0, p[1])), SPAN):
        rows = rating_facts.ratings_of(chunk)
        RatingDayFact.objects.filter(_where(chunk, "department_id")).delete()
        _insert(RatingDayFact, _rating_rows_facts(rows, centers, today))


def _update_batch(cursors: dict[str, RollupCursor], batch: int, first: bool) -> tuple[int, int, bool]:
    """One transaction's work: (events read, partitions recomputed, caught up)."""
    now = timezone.now()
    tickets, ticket_last, n_tickets = center_facts.ticket_events_after(cursors[RollupSource.TICKETS].last_id, batch)
    windows, window_last, n_windows = center_facts.window_events_after(cursors[RollupSource.WINDOWS].last_id, batch)
    cases, case_last, n_cases = case_facts.case_events_after(cursors[RollupSource.CASES].last_id, batch)
    ratings, rating_last, n_ratings = rating_facts.ratings_after(cursors[RollupSource.RATINGS].last_id, batch)
    case_parts: set[DepartmentDay] = set(cases)
    rating_parts: set[DepartmentDay] = set(ratings)
    if first:
        cases_cursor, ratings_cursor = cursors[RollupSource.CASES], cursors[RollupSource.RATINGS]
        if cases_cursor.last_id:
            case_parts |= case_facts.cases_changed_since(cases_cursor.updated_at - LATE_MARGIN)
        if ratings_cursor.last_id:
            rating_parts |= rating_facts.followups_changed(since=ratings_cursor.updated_at - LATE_MARGIN,
                                                           today=timezone.localdate(now))
    center_parts = tickets | windows
    if center_parts:
        _recompute_center_days(center_parts, now)
    if case_parts or rating_parts:
        centers = center_facts.centers_of_departments()
        if case_parts:
            _recompute_case_days(case_parts, centers)
        if rating_parts:
            _recompute_rating_days(rating_parts, centers, timezone.localdate(now))
    read = n_tickets + n_windows + n_cases + n_ratings
    for source, last in ((RollupSource.TICKETS, ticket_last), (RollupSource.WINDOWS, window_last),
                         (RollupSource.CASES, case_last), (RollupSource.RATINGS, rating_last)):
        cursor = cursors[source]
        if read or first:
            cursor.last_id = last
            cursor.save(update_fields=["last_id", "updated_at"])
    caught_up = max(n_tickets, n_windows, n_cases, n_ratings) < batch
    return read, len(center_parts) + len(case_parts) + len(rating_parts), caught_up


def _finish(kind: str, started: datetime.datetime, events: int, partitions: int, error: str = "") -> RollupRun:
    return RollupRun.objects.create(kind=kind, started_at=started, finished_at=timezone.now(), events=events,
                                    partitions=partitions, error=error[:2000])


def rollup_update(*, limit: int | None = None) -> RollupRun:
    """Bring the facts up to date with the events written since the last update (at most
    ``limit`` events per source in this call; None: until caught up). Returns the run row."""
    started = timezone.now()
    events = partitions = 0
    batch = min(limit, BATCH_EVENTS) if limit else BATCH_EVENTS
    first = True
    try:
        while True:
            with transaction.atomic():
                read, parts, caught_up = _update_batch(_lock_cursors(), batch, first)
            first = False
            events += read
            partitions += parts
            if caught_up or (limit is not None and events >= limit):
                break
    except Exception as exc:
        _finish(RollupRunKind.UPDATE, started, events, partitions, error=repr(exc))
        raise
    return _finish(RollupRunKind.UPDATE, started, events, partitions)


def _by_day(rows: Iterable[T], day: Callable[[T], Day]) -> Iterator[tuple[Day, list[T]]]:
    for key, group in itertools.groupby(rows, key=day):
        yield key, list(group)


def _merge_days(a: Iterator[tuple[Day, list[T]]], b: Iterator[tuple[Day, list[Any]]],
                ) -> Iterator[tuple[Day, list[T], list[Any]]]:
    """Two day-ordered groupings → (day, rows of a, rows of b) in day order."""
    nxt_a, nxt_b = next(a, None), next(b, None)
    while nxt_a is not None or nxt_b is not None:
        if nxt_b is None or (nxt_a is not None and nxt_a[0] < nxt_b[0]):
            assert nxt_a is not None
            yield nxt_a[0], nxt_a[1], []
            nxt_a = next(a, None)
        elif nxt_a is None or nxt_b[0] < nxt_a[0]:
            yield nxt_b[0], [], nxt_b[1]
            nxt_b = next(b, None)
        else:
            yield nxt_a[0], nxt_a[1], nxt_b[1]
            nxt_a, nxt_b = next(a, None), next(b, None)


class _Writer:
    """Buffers fact rows and inserts them in batches."""

    def __init__(self) -> None:
        self.rows: dict[type[Model], list[Any]] = {}

    def add(self, model: type[Model], rows: list[Any]) -> None:
        buffer = self.rows.setdefault(model, [])
        buffer.extend(rows)
        if len(buffer) >= INSERT_BATCH:
            self.flush(model)

    def flush(self, model: type[Model] | None = None) -> None:
        for m in [model] if model is not None else list(self.rows):
            _insert(m, self.rows.get(m, []))
            self.rows[m] = []


def _rebuild_all(progress: Callable[[int], object]) -> tuple[int, int]:
    now = timezone.now()
    today = timezone.localdate(now)
    out = _Writer()
    events = partitions = 0
    centers = center_facts.centers_of_departments()
    tickets = _by_day(center_facts.tickets_all(), lambda t: t.date)
    windows = _by_day(center_facts.window_events_all(), lambda e: timezone.localdate(e.at))
    for _day, day_tickets, day_events in _merge_days(tickets, windows):
        out.add(TicketHourFact, measures.ticket_facts(day_tickets))
        out.add(TicketSlotFact, measures.ticket_slot_facts(day_tickets))
        out.add(DutyDayFact, measures.duty_facts(day_tickets, day_events, now))
        partitions += len({t.center_id for t in day_tickets} | {e.center_id for e in day_events})
        events += len(day_tickets) + len(day_events)
        progress(len(day_tickets) + len(day_events))
    for _day, day_cases in _by_day(case_facts.cases_all(), lambda c: timezone.localdate(c.received_at)):
        out.add(CaseDayFact, measures.case_facts(day_cases, centers))
        partitions += len({c.department_id for c in day_cases})
        events += len(day_cases)
        progress(len(day_cases))
    for _day, day_ratings in _by_day(rating_facts.ratings_all(), lambda r: timezone.localdate(r.created_at)):
        out.add(RatingDayFact, _rating_rows_facts(day_ratings, centers, today))
        partitions += len({r.department_id for r in day_ratings})
        events += len(day_ratings)
        progress(len(day_ratings))
    out.flush()
    return events, partitions


def rollup_rebuild(*, progress: Callable[[int], object] | None = None) -> RollupRun:
    """Delete every fact row and recompute all partitions from the raw rows; ``progress(n)`` is
    called with the number of raw rows (tickets, window events, cases, ratings) of each day done.
    One transaction: pages read the old facts until it commits. Returns the run row."""
    started = timezone.now()
    clock = time.monotonic()
    events = partitions = 0
    try:
        with transaction.atomic():
            cursors = _lock_cursors()
            marks = {RollupSource.TICKETS: center_facts.last_ticket_event_id(),
                     RollupSource.WINDOWS: center_facts.last_window_event_id(),
                     RollupSource.CASES: case_facts.last_case_event_id(),
                     RollupSource.RATINGS: rating_facts.last_rating_id()}
            for model in (TicketHourFact, TicketSlotFact, DutyDayFact, CaseDayFact, RatingDayFact):
                model._default_manager.all().delete()
            events, partitions = _rebuild_all(progress or (lambda n: None))
            for source, last in marks.items():
                cursors[source].last_id = last
                cursors[source].save(update_fields=["last_id", "updated_at"])
            audit_record(actor=system_actor("analytics.rollup_rebuild"), action="analytics.rollup_rebuild",
                         after={"events": events, "partitions": partitions,
                                "seconds": round(time.monotonic() - clock, 1)}, channel="system")
    except Exception as exc:
        _finish(RollupRunKind.REBUILD, started, events, partitions, error=repr(exc))
        raise
    return _finish(RollupRunKind.REBUILD, started, events, partitions)
