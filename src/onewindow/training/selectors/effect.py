"""The effect of a course (培训效果): for each held session, the ratings and handling times of
the course's items and of the clerks who attended, over the same number of days before and after
the session (TRAINING_EFFECT_DAYS, default 90), from the rollups."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from onewindow.analytics.selectors import signals
from onewindow.core.actors import Actor

from ..choices import AttendanceStatus, SessionStatus
from .courses import course_detail


def effect_days() -> int:
    return int(getattr(settings, "TRAINING_EFFECT_DAYS", 90))


Span = tuple[datetime.date, datetime.date]


def spans(day: datetime.date, days: int) -> tuple[Span, Span]:
    """The ``days`` days before the session day and the ``days`` days after it (the day itself
    in neither)."""
    one = datetime.timedelta(days=1)
    return (day - datetime.timedelta(days=days), day - one), (day + one, day + datetime.timedelta(days=days))


def course_effect(*, by: Actor, course_id: Any, days: int | None = None) -> dict[str, Any]:
    """Per held session of the course (manager of its center only; 404 otherwise): the figures of
    the course's items and of the attending clerks before and after."""
    course = course_detail(by=by, course_id=course_id)
    span = days or effect_days()
    item_ids = [item.pk for item in course.items.all()]
    rows = []
    held = [SessionStatus.HELD, SessionStatus.RECORDED]
    sessions = course.sessions.filter(status__in=held).order_by("starts_at", "id")
    for session in sessions:
        day = timezone.localtime(session.starts_at).date()
        before, after = spans(day, span)
        clerk_ids = list(session.attendances.filter(status=AttendanceStatus.PRESENT).values_list("clerk_id", flat=True))
        center_id = course.center_id
        items_before = signals.group_figures(center_id=center_id, start=before[0], end=before[1], item_ids=item_ids)
        items_after = signals.group_figures(center_id=center_id, start=after[0], end=after[1], item_ids=item_ids)
        clerks_before = clerks_after = signals.Figures()
        if clerk_ids:
            clerks_before = signals.group_figures(center_id=course.center_id, start=before[0], end=before[1],
                                                  item_ids=item_ids, clerk_ids=clerk_ids)
            clerks_after = signals.group_figures(center_id=course.center_id, start=after[0], end=after[1],
                                                 item_ids=item_ids, clerk_ids=clerk_ids)
        rows.append({"session": session, "day": day, "before": before, "after": after, "attended": len(clerk_ids),
                     "items": {"before": items_before.as_dict(), "after": items_after.as_dict()},
                     "clerks": {"before": clerks_before.as_dict(), "after": clerks_after.as_dict()}})
    return {"course": course, "days": span, "sessions": rows}
