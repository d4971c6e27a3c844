"""The 双告知 answer clock: N working days after the notice (configurable, DOMAIN.md R5.1).

DOMAIN.md R5.1 gives no time limit for the departments' feedback (step 4 is Henan practice; the
national source is unconfirmed), so ``SUPERVISION_DUAL_NOTICE_DAYS`` sets it, 5 working days by
default, and ``SUPERVISION_DUAL_NOTICE_REMIND_DAYS`` how many working days before the deadline
the department is reminded (1 by default). Days are counted as every clock of the platform is
(行政许可法 art. 82 by analogy; ``core.calendar``): the day of the notice is day 0.
"""

from __future__ import annotations

import datetime

from django.conf import settings

from onewindow.core.calendar import WorkingDays, add_working_days

DEFAULT_ANSWER_DAYS = 5
DEFAULT_REMIND_DAYS = 1


def answer_days() -> int:
    """The working days a department has to answer a 双告知 task (setting, default 5)."""
    return max(1, int(getattr(settings, "SUPERVISION_DUAL_NOTICE_DAYS", DEFAULT_ANSWER_DAYS)))


def remind_days() -> int:
    """How many working days before the deadline the reminder goes out (setting, default 1)."""
    return max(0, int(getattr(settings, "SUPERVISION_DUAL_NOTICE_REMIND_DAYS", DEFAULT_REMIND_DAYS)))


def due_date(notified_on: datetime.date, limit_days: int, *, days: WorkingDays | None = None) -> datetime.date:
    """The last day of the answer period: the ``limit_days``-th working day after the notice."""
    return add_working_days(notified_on, limit_days, days=days)


def reminder_horizon(today: datetime.date, *, days: WorkingDays | None = None) -> datetime.date:
    """Tasks due on or before this day (and not before today) are reminded today."""
    return add_working_days(today, remind_days(), days=days)


def is_late(today: datetime.date, due: datetime.date) -> bool:
    """An answer given after the due date is late (accepted, marked 逾期反馈)."""
    return today > due
