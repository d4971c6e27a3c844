"""The response deadline of a question, in working hours.

Rule (issue #14, unconfirmed and therefore configurable): a question is answered within
``INTERACTION_RESPONSE_HOURS`` (default 8) working hours of the center's day, 9:00–17:00
(``INTERACTION_DAY_START`` / ``INTERACTION_DAY_END``) on working days per ``core.calendar`` (the
holiday table first, then the statutory calendar). A question asked at 16:00 on a Friday before
an ordinary weekend is due at 16:00 on Monday.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from onewindow.core.calendar import WorkingDays


def response_hours() -> int:
    return int(getattr(settings, "INTERACTION_RESPONSE_HOURS", 8))


def _clock(name: str, default: str) -> datetime.time:
    hours, minutes = str(getattr(settings, name, default)).split(":")
    return datetime.time(int(hours), int(minutes))


def add_working_hours(start: datetime.datetime, hours: float, *, days: WorkingDays | None = None) -> datetime.datetime:
    """``start`` plus ``hours`` of working time (counted only inside the working day on working days)."""
    day_start = _clock("INTERACTION_DAY_START", "09:00")
    day_end = _clock("INTERACTION_DAY_END", "17:00")
    days = days or WorkingDays()
    tz = timezone.get_current_timezone()
    local = timezone.localtime(start, tz)
    remaining = datetime.timedelta(hours=hours)
    for _step in range(400):  # at most a year of days; a calendar with no working day stops here
        day = local.date()
        opening = datetime.datetime.combine(day, day_start, tzinfo=tz)
        closing = datetime.datetime.combine(day, day_end, tzinfo=tz)
        if not days.working(day) or local >= closing:
            local = datetime.datetime.combine(day + datetime.timedelta(days=1), day_start, tzinfo=tz)
            continue
        local = max(local, opening)
        available = closing - local
        if remaining <= available:
            return local + remaining
        remaining -= available
        local = datetime.datetime.combine(day + datetime.timedelta(days=1), day_start, tzinfo=tz)
    return local


def response_due(asked_at: datetime.datetime) -> datetime.datetime:
    """The response deadline of a question asked at ``asked_at``."""
    return add_working_hours(asked_at, response_hours())
