"""Deadline arithmetic of a case's clocks (行政许可法 arts. 32, 42, 44, 45, 82), on the core calendar.

Defaults (DOMAIN.md §2; settings may not lengthen them beyond the law):
- correction notice: 5 working days from receipt of the materials, or the application counts as
  accepted from the day they were received (art. 32(4));
- decision: the item's promised limit (承诺时限) if it sets one, else its statutory limit (法定时限),
  else 20 working days from acceptance (art. 42 ¶1); +10 with the agency head's approval;
- delivery: 10 working days from the decision (art. 44);
- periods of art. 45 (hearing, testing, expert review …) are not counted: the days of a suspension
  push the due date back.
Yellow warning at ``CASES_WARN_RATIO`` (default 80 %) of the limit, red once the due date has passed.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onewindow.core.calendar import WorkingDays, add_working_days, working_days_between

from .choices import ClockLevel

CORRECTION_DAYS = 5
DECISION_DAYS = 20
EXTENSION_DAYS = 10
DELIVERY_DAYS = 10

BASIS_CORRECTION = str(_("《行政许可法》第三十二条：五日内一次告知需要补正的全部内容"))
BASIS_DECISION = str(_("《行政许可法》第四十二条：受理之日起二十日内作出决定"))
BASIS_DELIVERY = str(_("《行政许可法》第四十四条：决定之日起十日内颁发、送达"))


def warn_ratio() -> float:
    return float(getattr(settings, "CASES_WARN_RATIO", 0.8))


def add_days(start: datetime.date, n: int, unit: str, *, days: WorkingDays | None = None) -> datetime.date:
    """The n-th day after ``start`` in ``unit`` (working days per art. 82, or natural days)."""
    if unit == "natural":
        return start + datetime.timedelta(days=n)
    return add_working_days(start, n, days=days)


def days_between(a: datetime.date, b: datetime.date, unit: str, *, days: WorkingDays | None = None) -> int:
    """Days d with a < d <= b in ``unit`` (negative when b is before a)."""
    if unit == "natural":
        return (b - a).days
    return working_days_between(a, b, days=days)


@dataclass(frozen=True)
class Limit:
    days: int
    unit: str
    basis: str


def decision_limit(version: Any) -> Limit:
    """The decision limit of an item version: its promise, else its statutory limit, else art. 42's 20."""
    if version.promised_limit is not None:
        return Limit(version.promised_limit, version.promised_unit,
                     str(_("承诺办结时限")) + (f"：{version.promised_note}" if version.promised_note else ""))
    if version.statutory_limit is not None:
        return Limit(version.statutory_limit, version.statutory_unit,
                     str(_("法定办结时限")) + (f"：{version.statutory_note}" if version.statutory_note else ""))
    return Limit(DECISION_DAYS, "working", BASIS_DECISION)


def due_date(*, start: datetime.date, limit_days: int, extended_days: int, suspended_days: int,
             unit: str, days: WorkingDays | None = None) -> datetime.date:
    """When a clock runs out: its limit plus extensions plus the days not counted, after ``start``."""
    return add_days(start, limit_days + extended_days + suspended_days, unit, days=days)


def promise(told: datetime.date | None, due: datetime.date) -> datetime.date:
    """The date told to the applicant after the internal target became ``due``: it may move later,
    never earlier (a deadline once told binds the agency; issue #10)."""
    return due if told is None or due > told else told


def level_on(*, today: datetime.date, start: datetime.date, limit_days: int, extended_days: int,
             suspended_days: int, due: datetime.date, unit: str,
             open_suspension_since: datetime.date | None = None) -> str:
    """The warning level of a running clock on ``today``.

    Red once ``today`` is after the due date (and no suspension is open); yellow once the
    counted days reach the warning ratio of the (extended) limit; green otherwise. While a
    suspension is open the clock stands still at its suspension date.
    """
    counted_until = open_suspension_since if open_suspension_since is not None else today
    if open_suspension_since is None and today > due:
        return ClockLevel.RED
    counted = days_between(start, counted_until, unit) - suspended_days
    total = limit_days + extended_days
    if total == 0:
        return ClockLevel.YELLOW if counted >= 0 else ClockLevel.GREEN
    if counted >= math.ceil(total * warn_ratio()):
        return ClockLevel.YELLOW
    return ClockLevel.GREEN


LEVEL_RANK: dict[str, int] = {ClockLevel.GREEN: 0, ClockLevel.YELLOW: 1, ClockLevel.RED: 2}
