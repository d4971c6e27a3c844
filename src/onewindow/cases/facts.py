"""Read-only selectors of the raw case rows that the rollups read (issue #14 part 1; decision
0017). Analytics reads the cases app only through these functions.

A case counts once it is received (收件): it has a number (assigned at submission; a draft, or a
draft discarded, has none). Its received time is ``submitted_at`` — set by every submission, on
line and at the window — falling back to ``accepted_at`` and then ``created_at`` for rows written
without it (imports, old demo rows). Its partition is ``(receiving department id, local date of
the received time)``; the receiving department never changes (forwarding changes the handling
department only), so a case stays in its partition for life.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from .choices import CaseAction, CaseStatus
from .models import Case, CaseEvent

DepartmentDay = tuple[int, datetime.date]

CHUNK = 5000

#: The acceptance steps whose actor is the accepting clerk (a deemed acceptance has none).
ACCEPT_ACTIONS = (CaseAction.ACCEPT, CaseAction.DEEM_ACCEPTED)


class CaseRow(NamedTuple):
    """One received case; ``acceptor_id`` is the actor of its acceptance event (None if not
    accepted, or accepted by the deadline rule)."""

    department_id: int
    received_at: datetime.datetime
    item_id: int
    channel: str
    status: str
    accepted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    deadline_level: str
    acceptor_id: int | None


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return start, end


def _received() -> QuerySet[Case]:
    return (Case.objects.order_by().filter(number__isnull=False).exclude(status=CaseStatus.DRAFT)
            .annotate(received_at=Coalesce("submitted_at", "accepted_at", "created_at")))


_KEY_FIELDS = ("receiving_department_id", "received_at")


def _partitions(case_ids: Iterable[int]) -> set[DepartmentDay]:
    ids = sorted(set(case_ids))
    out: set[DepartmentDay] = set()
    for i in range(0, len(ids), CHUNK):
        rows = _received().filter(pk__in=ids[i:i + CHUNK]).values_list(*_KEY_FIELDS)
        for department_id, received_at in rows:
            out.add((department_id, timezone.localdate(received_at)))
    return out


def case_events_after(last_id: int, limit: int) -> tuple[set[DepartmentDay], int, int]:
    """The partitions of the cases whose events have an id above ``last_id`` (at most ``limit``
    events, by id), the highest id read (``last_id`` if none) and how many were read."""
    rows = list(CaseEvent.objects.filter(id__gt=last_id).order_by("id").values_list("id", "case_id")[:limit])
    if not rows:
        return set(), last_id, 0
    return _partitions(case_id for _, case_id in rows), rows[-1][0], len(rows)


def cases_changed_since(since: datetime.datetime) -> set[DepartmentDay]:
    """The partitions of the cases saved since ``since`` (``updated_at``): a deadline warning
    raised by the periodic check changes ``deadline_level`` without writing an event."""
    ids = Case.objects.filter(updated_at__gte=since).values_list("pk", flat=True)
    return _partitions(ids)


def last_case_event_id() -> int:
    return CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


_FIELDS = ("receiving_department_id", "received_at", "item_id", "channel", "status", "accepted_at", "decided_at",
           "deadline_level", "acceptor_id")


def _rows() -> QuerySet[Case, Any]:
    return (_received().annotate(acceptor_id=Max("events__actor_id",
                                                  filter=Q(events__action__in=ACCEPT_ACTIONS)))
            .values_list(*_FIELDS))


def cases_of(partitions: Iterable[DepartmentDay]) -> list[CaseRow]:
    """The received cases of the given (department, day) partitions (one query)."""
    where = Q()
    for department_id, day in partitions:
        start, end = _day_bounds(day)
        where |= Q(receiving_department_id=department_id, received_at__gte=start, received_at__lt=end)
    if not where:
        return []
    return [CaseRow(*row) for row in _rows().filter(where)]


def cases_all() -> Iterator[CaseRow]:
    """Every received case, streamed by received time (the rebuild)."""
    for row in _rows().order_by("received_at", "pk").iterator(chunk_size=CHUNK):
        yield CaseRow(*row)


def case_items(case_ids: Iterable[int]) -> dict[int, int]:
    """Per case id, its item id (a rated case's item)."""
    ids = sorted(set(case_ids))
    out: dict[int, int] = {}
    for i in range(0, len(ids), CHUNK):
        out.update(Case.objects.filter(pk__in=ids[i:i + CHUNK]).values_list("pk", "item_id"))
    return out
