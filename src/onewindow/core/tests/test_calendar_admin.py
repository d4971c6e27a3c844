"""The working-day calendar in the admin goes through the calendar services (issue #10 parts 1
and 2): every save and delete is audited and recomputes the running clocks it affects."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.testing import Principals
from onewindow.core import services as core_services
from onewindow.core.models import AuditEntry, CalendarDay

D = datetime.date
pytestmark = pytest.mark.django_db


def test_a_calendar_admin_save_and_delete_go_through_the_audited_service(
        principals: Principals, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_set, real_delete = core_services.calendar_day_set, core_services.calendar_day_delete

    def spy_set(**kwargs: Any) -> Any:
        calls.append("set")
        return real_set(**kwargs)

    def spy_delete(**kwargs: Any) -> Any:
        calls.append("delete")
        return real_delete(**kwargs)

    monkeypatch.setattr(core_services, "calendar_day_set", spy_set)
    monkeypatch.setattr(core_services, "calendar_day_delete", spy_delete)
    client = principals.client("admin")
    response = client.post("/admin/core/calendarday/add/", {"date": "2027-01-01", "name": "元旦", "note": "",
                                                            "_save": "1"})
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert day.is_working_day is False and day.name == "元旦"
    entry = AuditEntry.objects.get(action="calendar.day_set")
    assert entry.actor_label == principals.admin.get_username()
    assert entry.after is not None and entry.after["first"] == "2027-01-01"
    response = client.post(f"/admin/core/calendarday/{day.pk}/change/", {
        "date": "2027-01-01", "is_working_day": "on", "name": "元旦", "note": "", "_save": "1"})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=D(2027, 1, 1)).is_working_day is True
    response = client.post(f"/admin/core/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    assert calls == ["set", "set", "delete"]
    assert list(AuditEntry.objects.filter(action__startswith="calendar.").order_by("id")
                .values_list("action", flat=True)) == ["calendar.day_set", "calendar.day_set", "calendar.day_delete"]


def test_a_year_is_covered_by_the_library_or_an_explicit_confirmation(principals: Principals) -> None:
    from onewindow.core.calendar import uncovered_years

    assert uncovered_years(2026, 2028) == [2027, 2028]
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    assert uncovered_years(2026, 2028) == [2027, 2028]  # one holiday does not complete a year
    core_services.calendar_year_confirm(by=principals.admin, year=2027, note="国办发明电")
    assert uncovered_years(2026, 2028) == [2028]
    response = principals.client("admin").post("/admin/core/calendaryear/add/", {"year": "2028", "note": "x",
                                                                                 "_save": "1"})
    assert response.status_code == 302
    assert uncovered_years(2026, 2028) == []
    assert AuditEntry.objects.filter(action="calendar.year_confirm").count() == 2


def test_the_system_check_warns_until_the_year_is_confirmed(principals: Principals) -> None:
    from onewindow.core.checks import next_year_uncovered

    november = D(2026, 11, 15)
    assert next_year_uncovered(november) == 2027
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    assert next_year_uncovered(november) == 2027
    core_services.calendar_year_confirm(by=principals.admin, year=2027, note="国办发明电")
    assert next_year_uncovered(november) is None
    assert next_year_uncovered(D(2026, 10, 31)) is None  # warned only from November


def test_a_command_enters_a_holiday_period_through_the_service() -> None:
    from django.core.management import call_command

    call_command("core_calendar_set", "--first", "2027-02-06", "--last", "2027-02-12", "--holiday",
                 "--name", "春节", "--note", "国办发明电")
    assert list(CalendarDay.objects.order_by("date").values_list("date", "is_working_day", "name")) == [
        (D(2027, 2, d), False, "春节") for d in range(6, 13)]
    entry = AuditEntry.objects.get(action="calendar.day_set")
    assert (entry.actor_label, entry.channel) == ("core_calendar_set", "system")
    call_command("core_calendar_set", "--first", "2027-02-20", "--workday", "--name", "春节调休上班")
    assert CalendarDay.objects.get(date=D(2027, 2, 20)).is_working_day is True
