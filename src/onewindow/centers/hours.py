"""Opening hours on the core calendar: when a center issues tickets and takes bookings.

The take-ticket check (:func:`accepts_tickets`) runs on every ticket a device prints, so it reads the
ticket periods of a center and day (three queries: the special opening, the calendar day, the weekly
hours) once and keeps them in the ``default`` cache (issue #17: no per-request calendar reads), keyed
by center, day and a generation that any save or delete of an OpeningHours, SpecialOpening or
CalendarDay row bumps (at once and again at commit). With a shared cache (Redis, the city profile) a
change counts at the next ticket everywhere; with each process's own memory (the embedded profile)
it counts at once in the process that made it and within PERIODS_SECONDS in the others.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from onewindow.core.calendar import is_working_day
from onewindow.core.models import CalendarDay

from .models import Center, OpeningHours, SpecialOpening

PERIODS_SECONDS = 60
GENERATION_KEY = "centers:hours:generation"


def hours_on(center: Center, day: datetime.date) -> list[OpeningHours] | list[SpecialOpening]:
    """The opening periods of ``day``: a special opening of that date first (a Saturday service
    day, extended hours, or a closing); otherwise none on non-working days (statutory holidays and
    ordinary weekends, per the core calendar); an adjusted workday on a weekend (调休) follows Monday."""
    special = SpecialOpening.objects.filter(center=center, date=day).first()
    if special is not None:
        return [] if special.closed else [special]
    if not is_working_day(day):
        return []
    weekday = day.weekday() if day.weekday() < 5 else 0
    return list(OpeningHours.objects.filter(center=center, weekday=weekday).order_by("opens"))


def ticket_periods(center: Center, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    """The (opens, last ticket) periods of ``day``, from the cache (see the module's note)."""
    generation = cache.get(GENERATION_KEY, 0)
    key = f"centers:hours:{center.pk}:{day.isoformat()}:{generation}"
    periods: list[tuple[datetime.time, datetime.time]] | None = cache.get(key)
    if periods is None:
        periods = [(h.opens, h.last_ticket) for h in hours_on(center, day)
                   if h.opens is not None and h.last_ticket is not None]
        cache.set(key, periods, PERIODS_SECONDS)
    return periods


def accepts_tickets(center: Center, moment: datetime.datetime) -> bool:
    """Whether a ticket may be taken at ``moment`` (local time): inside a period, before its last ticket."""
    day, now = moment.date(), moment.time()
    return any(opens <= now <= last for opens, last in ticket_periods(center, day))


def forget_periods(**_kwargs: Any) -> None:
    """A change of hours or of the calendar: new keys from now on, and again once it is committed (so a
    request between the change and the commit cannot keep the old periods cached)."""
    def bump() -> None:
        cache.set(GENERATION_KEY, time.time_ns(), None)

    bump()
    transaction.on_commit(bump)


for _model in (OpeningHours, SpecialOpening, CalendarDay):
    post_save.connect(forget_periods, sender=_model, dispatch_uid=f"centers.hours.{_model.__name__}.save")
    post_delete.connect(forget_periods, sender=_model, dispatch_uid=f"centers.hours.{_model.__name__}.delete")
