"""Opening hours on the core calendar: when a center issues tickets and takes bookings."""

from __future__ import annotations

import datetime

from onewindow.core.calendar import is_working_day

from .models import Center, OpeningHours, SpecialOpening


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


def accepts_tickets(center: Center, moment: datetime.datetime) -> bool:
    """Whether a ticket may be taken at ``moment`` (local time): inside a period, before its last ticket."""
    day, time = moment.date(), moment.time()
    return any(h.opens is not None and h.last_ticket is not None and h.opens <= time <= h.last_ticket
               for h in hours_on(center, day))
