"""Statistics of the Q&A on the staff page: counts by status, the share answered in time and the
median response time (asked → answered), over the viewer's departments and a period of asking."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from statistics import median
from typing import Any

from django.db.models import Count

from ..choices import QuestionStatus
from ..permissions import question_queryset_for


@dataclass(frozen=True)
class QaStatistics:
    by_status: dict[str, int]
    total: int
    answered: int
    answered_in_time: int
    in_time_share: float | None
    median_response_hours: float | None


def qa_statistics(*, by: Any, since: datetime.datetime | None = None,
                  until: datetime.datetime | None = None) -> QaStatistics:
    qs = question_queryset_for(by)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    counts = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id")).order_by()}
    by_status = {s.value: counts.get(s.value, 0) for s in QuestionStatus}
    rows: list[tuple[datetime.datetime, datetime.datetime, datetime.datetime]] = [
        (c, a, d) for c, a, d in qs.filter(answered_at__isnull=False).values_list("created_at", "answered_at", "due_at")
        if a is not None]
    in_time = len([1 for _c, answered, due in rows if answered <= due])
    hours = [(answered - created).total_seconds() / 3600 for created, answered, _d in rows]
    return QaStatistics(
        by_status=by_status, total=sum(by_status.values()), answered=len(rows), answered_in_time=in_time,
        in_time_share=round(in_time / len(rows), 4) if rows else None,
        median_response_hours=round(median(hours), 2) if hours else None,
    )
