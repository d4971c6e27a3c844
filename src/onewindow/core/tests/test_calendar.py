"""Working-day arithmetic (行政许可法 art. 82): known dates, overrides, fallback years, properties."""

from __future__ import annotations

import datetime

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.core.calendar import add_working_days, covered_by_library, is_working_day, working_days_between
from onewindow.core.models import CalendarDay

D = datetime.date
pytestmark = pytest.mark.django_db
db_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
dates = st.dates(min_value=D(2002, 1, 1), max_value=D(2029, 12, 31))


@pytest.mark.parametrize("day", [D(2024, 10, d) for d in range(1, 8)])
def test_national_day_2024_is_a_holiday(day):
    assert is_working_day(day) is False


@pytest.mark.parametrize("day", [D(2024, 9, 29), D(2024, 10, 12)])
def test_adjusted_workdays_2024_are_working_days(day):
    assert day.weekday() >= 5
    assert is_working_day(day) is True


def test_known_additions_and_counts():
    assert add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 8)
    assert add_working_days(D(2024, 9, 27), 1) == D(2024, 9, 29)
    assert add_working_days(D(2024, 9, 30), 5) == D(2024, 10, 12)
    assert add_working_days(D(2024, 9, 30), 0) == D(2024, 9, 30)
    assert working_days_between(D(2024, 9, 30), D(2024, 10, 12)) == 5
    assert working_days_between(D(2024, 10, 12), D(2024, 9, 30)) == -5
    assert working_days_between(D(2024, 10, 1), D(2024, 10, 1)) == 0
    # 20 working days from acceptance on Monday 2024-09-23 (art. 42), across the National Day week:
    # 24-27 Sep, Sun 29, 30 Sep, 8-11 Oct, Sat 12, 14-18 Oct, 21-24 Oct.
    assert add_working_days(D(2024, 9, 23), 20) == D(2024, 10, 24)


def test_negative_n_is_refused():
    with pytest.raises(ValueError, match="zero or positive"):
        add_working_days(D(2024, 1, 1), -1)


def test_years_outside_the_library_fall_back_to_weekdays():
    assert covered_by_library(D(2026, 12, 31)) is True
    assert covered_by_library(D(2027, 1, 1)) is False
    assert is_working_day(D(2027, 10, 1)) is True  # a Friday, unknown to the package
    assert is_working_day(D(2027, 10, 2)) is False  # a Saturday
    assert add_working_days(D(2027, 10, 1), 1) == D(2027, 10, 4)


def test_table_overrides_the_library_and_covers_later_years():
    CalendarDay.objects.create(date=D(2027, 10, 1), is_working_day=False, name="国庆节")
    CalendarDay.objects.create(date=D(2027, 10, 9), is_working_day=True, name="国庆节调休上班")
    CalendarDay.objects.create(date=D(2024, 10, 8), is_working_day=False, name="测试")
    assert is_working_day(D(2027, 10, 1)) is False
    assert is_working_day(D(2027, 10, 9)) is True
    assert add_working_days(D(2027, 9, 30), 1) == D(2027, 10, 4)
    assert working_days_between(D(2027, 10, 3), D(2027, 10, 10)) == 6
    assert add_working_days(D(2024, 9, 30), 1) == D(2024, 10, 9)


def test_addition_reads_overrides_in_few_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        assert add_working_days(D(2027, 1, 1), 200) == D(2027, 10, 8)


@db_settings
@given(start=dates, n=st.integers(min_value=0, max_value=60))
def test_add_then_count_gives_n(start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert (end - start).days >= n
    if n:
        assert is_working_day(end)
        assert working_days_between(start, end - datetime.timedelta(days=1)) == n - 1


@db_settings
@given(start=dates, a=st.integers(min_value=0, max_value=40), b=st.integers(min_value=0, max_value=40))
def test_addition_is_monotonic(start, a, b):
    low, high = sorted((a, b))
    if low == high:
        assert add_working_days(start, low) == add_working_days(start, high)
    else:
        assert add_working_days(start, low) < add_working_days(start, high)


@db_settings
@given(a=dates, b=dates, c=dates)
def test_counting_is_additive(a, b, c):
    assert working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)


@db_settings
@given(day=dates)
def test_weekends_of_non_adjusted_weeks_are_never_working(day):
    if day.weekday() < 5:
        return
    if D(2004, 1, 1) <= day <= D(2026, 12, 31) and day in chinese_calendar.workdays:
        assert is_working_day(day) is True
    else:
        assert is_working_day(day) is False


@db_settings
@given(day=dates)
def test_statutory_holidays_are_never_working(day):
    if D(2004, 1, 1) <= day <= D(2026, 12, 31) and day in chinese_calendar.holidays:
        assert is_working_day(day) is False
