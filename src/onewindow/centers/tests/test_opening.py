"""Special openings replace the weekday's hours for one date, on working and non-working days."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from onewindow.centers import hours
from onewindow.centers.models import SpecialOpening
from onewindow.centers.services.opening import special_opening_set
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import DomainError

SUNDAY = datetime.date(2026, 3, 1)
MONDAY = datetime.date(2026, 3, 2)


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_open_a_sunday_and_close_a_monday(center_world: CenterWorld) -> None:
    w = center_world
    assert not hours.accepts_tickets(w.center, _at(SUNDAY, 10))
    special_opening_set(by=w.manager, center_code=w.center.code, day=SUNDAY, opens=datetime.time(9),
                        closes=datetime.time(12), last_ticket=datetime.time(11, 30), reason="周日便民服务")
    assert hours.accepts_tickets(w.center, _at(SUNDAY, 10))
    assert not hours.accepts_tickets(w.center, _at(SUNDAY, 11, 45))
    assert hours.accepts_tickets(w.center, _at(MONDAY, 10))
    special_opening_set(by=w.manager, center_code=w.center.code, day=MONDAY, closed=True, reason="停电")
    assert not hours.accepts_tickets(w.center, _at(MONDAY, 10))


def test_refusals(center_world: CenterWorld) -> None:
    w = center_world
    with pytest.raises(DomainError) as excinfo:
        special_opening_set(by=w.clerk, center_code=w.center.code, day=SUNDAY, closed=True)
    assert excinfo.value.code == "not_center_manager"
    with pytest.raises(DomainError) as excinfo:
        special_opening_set(by=w.manager, center_code=w.center.code, day=SUNDAY, opens=datetime.time(12),
                            closes=datetime.time(9), last_ticket=datetime.time(10))
    assert excinfo.value.code == "hours_invalid"
    with pytest.raises(DomainError) as excinfo:
        special_opening_set(by=w.manager, center_code="NOPE", day=SUNDAY, closed=True)
    assert excinfo.value.code == "center_not_found"
    assert not SpecialOpening.objects.exists()


def test_command_opens_today_around_the_clock(center_world: CenterWorld) -> None:
    out = io.StringIO()
    call_command("centers_open_day", center_world.center.code, "--date", "2026-03-01", stdout=out)
    assert out.getvalue().strip() == f"{center_world.center.code} on 2026-03-01: open 00:00-23:59"
    assert hours.accepts_tickets(center_world.center, _at(SUNDAY, 23, 30))
