"""Read-only selectors of the raw rating rows that the rollups read (issue #14 part 1; decision
0017). Analytics reads the ratings app only through these functions.

A rating's partition is ``(evaluated department id or None, local date of created_at)``. A rating
row never changes; its follow-up (差评回访) does, through ``FollowUpEvent`` rows, and becomes
overdue when its ``due_date`` passes (a follow-up due on day D is overdue from D + 1 while not
closed). The subject (a case, or a window service = a ticket) is returned as ids; analytics
resolves them through the cases and centers facts, which sit above this app.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import FollowUpStatus
from .models import FollowUp, FollowUpEvent, Rating

DepartmentDay = tuple[int | None, datetime.date]

CHUNK = 5000


class RatingRow(NamedTuple):
    """One rating with its follow-up's status and due date (None when it has none)."""

    department_id: int | None
    created_at: datetime.datetime
    subject_type: str
    subject_id: str
    level: int
    score: int
    channel: str
    staff_id: int | None
    followup_status: str | None
    followup_due: datetime.date | None


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    return start, end


def ratings_after(last_id: int, limit: int) -> tuple[set[DepartmentDay], int, int]:
    """The partitions of the ratings with an id above ``last_id`` (at most ``limit``, by id), the
    highest id read (``last_id`` if none) and how many were read."""
    rows = list(Rating.objects.filter(id__gt=last_id).order_by("id")
                .values_list("id", "department_id", "created_at")[:limit])
    if not rows:
        return set(), last_id, 0
    return {(dept, timezone.localdate(at)) for _, dept, at in rows}, rows[-1][0], len(rows)


def followups_changed(*, since: datetime.datetime, today: datetime.date) -> set[DepartmentDay]:
    """The partitions of the ratings whose follow-up had an event since ``since``, or turned
    overdue between the day of ``since`` and ``today`` (due on or after the day before ``since``,
    before ``today``, not closed)."""
    rating_ids = set(FollowUpEvent.objects.filter(created_at__gte=since).values_list("followup__rating_id", flat=True))
    first_due = timezone.localdate(since) - datetime.timedelta(days=1)
    rating_ids.update(FollowUp.objects.filter(due_date__gte=first_due, due_date__lt=today)
                      .exclude(status=FollowUpStatus.CLOSED).values_list("rating_id", flat=True))
    if not rating_ids:
        return set()
    return {(dept, timezone.localdate(at)) for dept, at in
            Rating.objects.filter(pk__in=rating_ids).values_list("department_id", "created_at")}


def last_rating_id() -> int:
    return Rating.objects.order_by("-id").values_list("id", flat=True).first() or 0


_FIELDS = ("department_id", "created_at", "subject_type", "subject_id", "level", "score", "channel", "staff_id",
           "followup__status", "followup__due_date")


def _rows() -> QuerySet[Rating, Any]:
    return Rating.objects.order_by().values_list(*_FIELDS)


def ratings_of(partitions: Iterable[DepartmentDay]) -> list[RatingRow]:
    """The ratings of the given (department, day) partitions (one query)."""
    where = Q()
    for department_id, day in partitions:
        start, end = _day_bounds(day)
        dept = Q(department__isnull=True) if department_id is None else Q(department_id=department_id)
        where |= dept & Q(created_at__gte=start, created_at__lt=end)
    if not where:
        return []
    return [RatingRow(*row) for row in _rows().filter(where)]


def ratings_all() -> Iterator[RatingRow]:
    """Every rating, streamed by (created_at, id) (the rebuild)."""
    for row in _rows().order_by("created_at", "id").iterator(chunk_size=CHUNK):
        yield RatingRow(*row)
