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

Coverage (issue #10): a year is *covered* when the package knows its holidays or an administrator
has confirmed it complete (:class:`~onewindow.core.models.CalendarYear`, after entering the
State Council's notice as ``CalendarDay`` rows); a limit that runs into an uncovered year is
provisional (期限暂定). Changes of the table go through ``core.services.calendar_days_set`` /
``calendar_day_delete``, which call the *calendar listeners* registered here: core sits below
the apps that own clocks (cases, later supervision), so each such app registers a listener in
its ``AppConfig.ready()`` that recomputes its running clocks over the changed days
(docs/decisions/0011).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from typing import Protocol

import chinese_calendar

from .actors import Actor
from .models import CalendarDay, CalendarYear

# Overrides are read once per call, for a window this wide (in days) beyond the last one read.
_WINDOW = 120


@functools.lru_cache(maxsize=8192)
def library_says_working(day: datetime.date) -> bool:
    """The packaged calendar's answer, Monday to Friday for a year it does not cover (cached: the
    package's tables are fixed for the life of the process, and each lookup scans their range)."""
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
    return library_says_working(day)


class WorkingDays:
    """Working-status lookups that read the overrides one window at a time (one query per window)
    and keep what they read, so one instance serves a whole batch of clocks (issue #10)."""

    def __init__(self, first: datetime.date | None = None, last: datetime.date | None = None) -> None:
        self.ranges: list[tuple[datetime.date, datetime.date]] = []
        self.table: dict[datetime.date, bool] = {}
        if first is not None and last is not None:
            self._load(first, last)

    def _load(self, first: datetime.date, last: datetime.date) -> None:
        self.table.update(_overrides(first, last))
        self.ranges.append((first, last))

    def working(self, day: datetime.date) -> bool:
        if not any(first <= day <= last for first, last in self.ranges):
            self._load(day, day + datetime.timedelta(days=_WINDOW))
        if day in self.table:
            return self.table[day]
        return library_says_working(day)


def add_working_days(start: datetime.date, n: int, *, days: WorkingDays | None = None) -> datetime.date:
    """The n-th working day after ``start`` (``start`` itself is not counted; n=0 gives ``start``).

    E.g. a 20-working-day decision limit (行政许可法 art. 42) on an application accepted on
    ``start`` ends on ``add_working_days(start, 20)``. ``days`` shares the override lookups of a batch.
    """
    if n < 0:
        raise ValueError("n must be zero or positive")
    days = days or WorkingDays()
    day = start
    remaining = n
    while remaining:
        day += datetime.timedelta(days=1)
        if days.working(day):
            remaining -= 1
    return day


def working_days_between(a: datetime.date, b: datetime.date, *, days: WorkingDays | None = None) -> int:
    """The number of working days d with a < d <= b (negative when b is before a)."""
    if b < a:
        return -working_days_between(b, a, days=days)
    days = days or WorkingDays()
    count = 0
    day = a
    while day < b:
        day += datetime.timedelta(days=1)
        if days.working(day):
            count += 1
    return count


# ---- coverage (期限暂定) ---------------------------------------------------------------------


def confirmed_years() -> set[int]:
    """The years an administrator confirmed complete (one query)."""
    return set(CalendarYear.objects.values_list("year", flat=True))


def uncovered_years(first_year: int, last_year: int, *, confirmed: Iterable[int] | None = None) -> list[int]:
    """The years from ``first_year`` to ``last_year`` whose holidays are not known: neither the
    package covers them nor is a :class:`CalendarYear` row there. ``confirmed`` saves the query
    when the caller checks many spans (the inbox reads it once per page)."""
    known = set(confirmed) if confirmed is not None else None
    result: list[int] = []
    for year in range(first_year, last_year + 1):
        if covered_by_library(datetime.date(year, 1, 1)):
            continue
        if known is None:
            known = confirmed_years()
        if year not in known:
            result.append(year)
    return result


# ---- calendar listeners (docs/decisions/0011) --------------------------------------------------


class CalendarListener(Protocol):
    """Called inside the transaction of a calendar change with the changed span of days; returns
    how many running clocks it recomputed. Must be bounded by the span and batched."""

    def __call__(self, *, by: Actor, first: datetime.date, last: datetime.date) -> int: ...


_LISTENERS: dict[str, CalendarListener] = {}


def register_calendar_listener(name: str, listener: CalendarListener | Callable[..., int]) -> None:
    """Register (or replace) the listener of an app that keeps clocks, from its ``AppConfig.ready()``."""
    _LISTENERS[name] = listener  # type: ignore[assignment]


def calendar_listeners() -> list[tuple[str, CalendarListener]]:
    """The registered listeners, in name order (deterministic)."""
    return sorted(_LISTENERS.items())
