"""The system check that warns when next year's holidays are missing from the calendar."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from onewindow.core import checks
from onewindow.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def test_no_warning_before_november() -> None:
    assert checks.next_year_uncovered(datetime.date(2026, 10, 31)) is None


def test_warns_in_november_when_neither_library_nor_table_covers_next_year() -> None:
    with mock.patch("onewindow.core.calendar.covered_by_library", return_value=False):
        assert checks.next_year_uncovered(datetime.date(2026, 11, 27)) == 2027
        with mock.patch("onewindow.core.checks.timezone.localdate", return_value=datetime.date(2026, 11, 27)):
            [warning] = checks.calendar_covers_next_year()
    assert warning.id == "onewindow.W001"
    assert "2027" in warning.msg


def test_a_confirmed_year_or_library_coverage_silences_it() -> None:
    """A year counts as covered once confirmed complete (CalendarYear, decision 0011); a single
    holiday row does not, since the notice has more days to enter."""
    with mock.patch("onewindow.core.calendar.covered_by_library", return_value=True):
        assert checks.next_year_uncovered(datetime.date(2026, 12, 1)) is None
    CalendarDay.objects.create(date=datetime.date(2027, 1, 1), is_working_day=False, name="元旦")
    with mock.patch("onewindow.core.calendar.covered_by_library", return_value=False):
        assert checks.next_year_uncovered(datetime.date(2026, 12, 1)) == 2027
    CalendarYear.objects.create(year=2027, note="国务院办公厅关于2027年部分节假日安排的通知")
    with mock.patch("onewindow.core.calendar.covered_by_library", return_value=False):
        assert checks.next_year_uncovered(datetime.date(2026, 12, 1)) is None
