"""Working-day arithmetic (工作日计算) for every time limit counted in working days.

Rule (行政许可法 art. 82): the time limits of administrative licensing are counted in working
days, excluding statutory holidays (法定节假日). Which days are holidays and which weekend days
are adjusted workdays (调休上班) is decided each year by the State Council; the package
``chinese_calendar`` carries those decisions for the years it covers. The admin-editable table
:class:`~onewindow.core.models.CalendarDay` overrides it, and is the only source for years the
package does not cover (it raises ``NotImplementedError`` there): such a year counts Monday to
Friday as working days unless the table says otherwise.

Counting convention (民法典 art. 201: a period counted in days starts on the following day, the
day of the event is not counted): ``add_working_days(start, n)`` is the n-th working day after
``start`` — the day of receipt is day 0 whether or not it is a working day — and
``working_days_between(a, b)`` counts the working days d with a < d <= b, so that
``working_days_between(start, add_working_days(start, n)) == n``.
"""

from __future__ import annotations

import datetime

import chinese_calendar

from .models import CalendarDay

# Overrides are read once per call, for a window this wide (in days) beyond the last one read.
_WINDOW = 120


def _library_says_working(day: datetime.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def _overrides(first: datetime.date, last: datetime.date) -> dict[datetime.date, bool]:
    return dict(CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "is_working_day"))


def covered_by_library(day: datetime.date) -> bool:
    """Whether ``chinese_calendar`` knows the holidays of ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: datetime.date) -> bool:
    """Whether ``day`` is a working day: the admin table first, then the holiday calendar."""
    override = CalendarDay.objects.filter(date=day).values_list("is_working_day", flat=True).first()
    if override is not None:
        return bool(override)
    return _library_says_working(day)


class _Days:
    """Working-status lookups over a moving window of overrides (one query per window)."""

    def __init__(self, start: datetime.date) -> None:
        self.loaded_to = start - datetime.timedelta(days=1)
        self.loaded_from = start
        self.table: dict[datetime.date, bool] = {}

    def working(self, day: datetime.date) -> bool:
        if day > self.loaded_to or day < self.loaded_from:
            self.loaded_from = day
            self.loaded_to = day + datetime.timedelta(days=_WINDOW)
            self.table = _overrides(self.loaded_from, self.loaded_to)
        if day in self.table:
            return self.table[day]
        return _library_says_working(day)


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after ``start`` (``start`` itself is not counted; n=0 gives ``start``).

    E.g. a 20-working-day decision limit (行政许可法 art. 42) on an application accepted on
    ``start`` ends on ``add_working_days(start, 20)``.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    days = _Days(start + datetime.timedelta(days=1))
    day = start
    remaining = n
    while remaining:
        day += datetime.timedelta(days=1)
        if days.working(day):
            remaining -= 1
    return day


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """The number of working days d with a < d <= b (negative when b is before a)."""
    if b < a:
        return -working_days_between(b, a)
    days = _Days(a + datetime.timedelta(days=1))
    count = 0
    day = a
    while day < b:
        day += datetime.timedelta(days=1)
        if days.working(day):
            count += 1
    return count
