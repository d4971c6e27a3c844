"""The response deadline in working hours (9:00–17:00 on working days, core.calendar)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from onewindow.core.models import CalendarDay
from onewindow.interaction.deadlines import add_working_hours, response_due

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=SH)


def test_eight_working_hours_roll_over_nights_and_weekends():
    # 2025-03-07 is a Friday; 03-10 a Monday (ordinary weeks, no holiday).
    assert add_working_hours(at(2025, 3, 5, 9), 8) == at(2025, 3, 5, 17)
    assert add_working_hours(at(2025, 3, 5, 13), 8) == at(2025, 3, 6, 13)
    assert add_working_hours(at(2025, 3, 7, 16), 8) == at(2025, 3, 10, 16)
    assert add_working_hours(at(2025, 3, 8, 10), 8) == at(2025, 3, 10, 17)  # asked on Saturday
    assert add_working_hours(at(2025, 3, 5, 20), 2) == at(2025, 3, 6, 11)  # asked in the evening
    assert add_working_hours(at(2025, 3, 5, 7), 1) == at(2025, 3, 5, 10)  # asked before opening


def test_holiday_table_and_setting(settings):
    CalendarDay.objects.create(date=datetime.date(2025, 3, 6), is_working_day=False)
    assert add_working_hours(at(2025, 3, 5, 13), 8) == at(2025, 3, 7, 13)
    settings.INTERACTION_RESPONSE_HOURS = 16
    assert response_due(at(2025, 3, 5, 9)) == at(2025, 3, 7, 17)
