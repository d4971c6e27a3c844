"""System checks of the reference data an installation must keep up to date.

The working-day calendar (行政许可法 art. 82: limits in working days) comes from the
``chinesecalendar`` package, which covers the years whose holiday notice (国务院办公厅关于部分节假日
安排的通知) was published when it was released. A year it does not cover counts Monday to Friday
unless an administrator enters its holidays and adjusted workdays (调休) as ``CalendarDay`` rows:
this check warns from 1 November of the last covered year, when the next notice is due.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.checks import CheckMessage, Warning, register
from django.db import DatabaseError
from django.utils import timezone


def next_year_uncovered(today: datetime.date) -> int | None:
    """The coming year if neither the library nor the CalendarDay table covers it yet."""
    from .calendar import covered_by_library
    from .models import CalendarDay

    if today.month < 11:
        return None
    year = today.year + 1
    if covered_by_library(datetime.date(year, 1, 1)):
        return None
    if CalendarDay.objects.filter(date__year=year).exists():
        return None
    return year


@register("onewindow")
def calendar_covers_next_year(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        year = next_year_uncovered(timezone.localdate())
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if year is None:
        return []
    return [Warning(
        f"The working-day calendar has no holidays for {year}: deadlines in {year} will count every "
        "Monday to Friday as a working day.",
        hint=f"Enter the {year} holidays and adjusted workdays (调休) of the State Council notice as "
             "Calendar days in the admin, or upgrade the chinesecalendar package.",
        id="onewindow.W001",
    )]
