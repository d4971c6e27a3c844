"""Deadlines follow the calendar (issue #10 part 1; 行政许可法 arts. 32, 42, 45, 82).

The packaged holiday calendar stops at 2026, so a clock running into 2027 counts New Year's Day
and the Spring Festival as working days until an administrator enters them. Entering them (in the
admin, a service or a command) recomputes every running clock whose span contains the changed
days — an event on each case, an audit entry — and never moves a date already told to the
applicant earlier; a promised date that moves later is sent by SMS once.
"""

from __future__ import annotations

import datetime

import pytest

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus, ClockKind
from onewindow.cases.models import Case, CaseClock, CaseEvent
from onewindow.cases.services import common
from onewindow.cases.testing import CaseWorld
from onewindow.core import services as core_services
from onewindow.core.models import AuditEntry, CalendarDay
from onewindow.notifications.models import Message

D = datetime.date
pytestmark = pytest.mark.django_db
RECALCULATED = "deadline_recalculated"
PROVISIONAL_2027 = "期限暂定：尚无 2027 年节假日安排"


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime.date]:
    day = {"today": D(2026, 12, 21)}  # a Monday; 10 working days later runs into 2027
    monkeypatch.setattr(common, "today", lambda: day["today"])
    return day


def _accepted(world: CaseWorld, on_day: dict[str, datetime.date], day: datetime.date) -> Case:
    on_day["today"] = day
    case = world.submitted(contact_phone="13800138000")
    return services.case_accept(by=world.p.clerk, case_id=case.pk)


def _decision(case: Case) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=ClockKind.DECISION, stopped_on__isnull=True)


def _recalculated(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case, action=RECALCULATED).order_by("id"))


def _sms(case: Case) -> list[Message]:
    return list(Message.objects.filter(subject_type="case", subject_id=str(case.pk), channel="sms",
                                       event="case_deadline_postponed"))


def test_entering_2027_holidays_moves_the_clocks_that_span_them(case_world: CaseWorld,
                                                                 on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    new_year = _accepted(case_world, on_day, D(2026, 12, 21))  # 10 working days: due Fri 2027-01-04
    festival = _accepted(case_world, on_day, D(2027, 1, 25))  # due Mon 2027-02-08
    done_before = _accepted(case_world, on_day, D(2026, 12, 1))  # due 2026-12-15: not in the span
    assert [_decision(c).due_date for c in (new_year, festival, done_before)] == [
        D(2027, 1, 4), D(2027, 2, 8), D(2026, 12, 15)]
    audits = AuditEntry.objects.count()

    core_services.calendar_day_set(by=p.admin, date=D(2027, 1, 1), is_working_day=False, name="元旦",
                                   note="国务院办公厅关于2027年部分节假日安排的通知")

    clock = _decision(new_year)
    assert (clock.due_date, clock.promised_due_date) == (D(2027, 1, 5), D(2027, 1, 5))
    assert Case.objects.get(pk=new_year.pk).due_date == D(2027, 1, 5)
    assert _decision(festival).due_date == D(2027, 2, 8)
    assert _decision(done_before).due_date == D(2026, 12, 15)
    [event] = _recalculated(new_year)
    assert event.public is True and event.actor == p.admin
    assert event.data == {"kind": "decision", "due_date": "2027-01-05", "previous_due_date": "2027-01-04",
                          "promised_due_date": "2027-01-05", "calendar": ["2027-01-01", "2027-01-01"]}
    assert _recalculated(festival) == [] and _recalculated(done_before) == []
    day_audit = AuditEntry.objects.get(action="calendar.day_set")
    assert day_audit.after == {"first": "2027-01-01", "last": "2027-01-01", "is_working_day": False,
                               "name": "元旦", "note": "国务院办公厅关于2027年部分节假日安排的通知",
                               "clocks_recomputed": 1}
    assert AuditEntry.objects.filter(action=f"cases.{RECALCULATED}", target_id=str(new_year.pk)).count() == 1
    assert AuditEntry.objects.count() == audits + 2
    [sms] = _sms(new_year)
    assert "2027-01-05" in sms.text
    assert _sms(festival) == [] and _sms(done_before) == []

    # The Spring Festival week in one change: one event per case, the clock jumps the whole week.
    core_services.calendar_days_set(by=p.admin, first=D(2027, 2, 6), last=D(2027, 2, 12), is_working_day=False,
                                    name="春节")
    assert CalendarDay.objects.filter(date__range=(D(2027, 2, 6), D(2027, 2, 12))).count() == 7
    assert _decision(festival).due_date == D(2027, 2, 15)
    assert len(_recalculated(festival)) == 1 and len(_sms(festival)) == 1
    assert len(_recalculated(new_year)) == 1 and len(_sms(new_year)) == 1


def test_an_added_adjusted_workday_shortens_the_internal_target_not_the_promise(
        case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    case = _accepted(case_world, on_day, D(2026, 12, 21))  # due 2027-01-04, told in the receipt
    core_services.calendar_day_set(by=case_world.p.admin, date=D(2027, 1, 2), is_working_day=True,
                                   name="调休上班")
    clock = _decision(case)
    assert (clock.due_date, clock.promised_due_date) == (D(2027, 1, 2), D(2027, 1, 4))
    assert Case.objects.get(pk=case.pk).due_date == D(2027, 1, 2)  # the staff inbox works to the target
    [event] = _recalculated(case)
    assert event.public is False  # the applicant's date did not change
    assert _sms(case) == []
    page = case_world.p.client("citizen").get(f"/cases/{case.pk}/").content.decode()
    assert "2027-01-04" in page and "2027-01-02" not in page
    mine = case_world.p.client("citizen").get("/cases/mine/").content.decode()
    assert "2027-01-04" in mine and "2027-01-02" not in mine
    staff = case_world.p.client("clerk").get(f"/cases/staff/{case.pk}/").content.decode()
    assert "已告知申请人 2027-01-04" in staff
    api = case_world.p.client("citizen").get(f"/api/v1/cases/{case.pk}").json()
    [decision] = [c for c in api["clocks"] if c["kind"] == "decision"]
    assert (decision["due_date"], decision["promised_due_date"]) == ("2027-01-02", "2027-01-04")


def test_a_promised_date_moving_later_sends_exactly_one_sms(case_world: CaseWorld,
                                                             on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    case = _accepted(case_world, on_day, D(2026, 12, 21))
    core_services.calendar_day_set(by=p.admin, date=D(2027, 1, 1), is_working_day=False, name="元旦")
    assert len(_sms(case)) == 1
    # The holiday entered by mistake is removed: the target comes back, the promise stays, no SMS.
    core_services.calendar_day_delete(by=p.admin, date=D(2027, 1, 1))
    clock = _decision(case)
    assert (clock.due_date, clock.promised_due_date) == (D(2027, 1, 4), D(2027, 1, 5))
    assert len(_sms(case)) == 1
    assert AuditEntry.objects.filter(action="calendar.day_delete").count() == 1
    assert len(_recalculated(case)) == 2
    # Setting a day to what it already is changes nothing: no entry, no event, no message.
    audits, messages = AuditEntry.objects.count(), Message.objects.count()
    core_services.calendar_day_set(by=p.admin, date=D(2027, 1, 9), is_working_day=False, name="周六")
    core_services.calendar_day_set(by=p.admin, date=D(2027, 1, 9), is_working_day=False, name="周六")
    assert AuditEntry.objects.count() == audits + 1 and Message.objects.count() == messages
    assert len(_recalculated(case)) == 2


def test_a_clock_running_into_an_uncovered_year_is_flagged_until_the_year_is_confirmed(
        case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    into_2027 = _accepted(case_world, on_day, D(2026, 12, 21))
    within_2026 = _accepted(case_world, on_day, D(2026, 12, 1))
    inbox = p.client("clerk").get("/cases/staff/").content.decode()
    assert inbox.count(PROVISIONAL_2027) == 1
    assert f'data-case="{into_2027.pk}"' in inbox and f'data-case="{within_2026.pk}"' in inbox
    assert PROVISIONAL_2027 in p.client("clerk").get(f"/cases/staff/{into_2027.pk}/").content.decode()
    assert PROVISIONAL_2027 not in p.client("clerk").get(f"/cases/staff/{within_2026.pk}/").content.decode()
    assert PROVISIONAL_2027 in p.client("citizen").get(f"/cases/{into_2027.pk}/").content.decode()
    # A holiday row alone does not make the year complete: the notice may have more days.
    core_services.calendar_day_set(by=p.admin, date=D(2027, 1, 1), is_working_day=False, name="元旦")
    assert PROVISIONAL_2027 in p.client("clerk").get("/cases/staff/").content.decode()
    core_services.calendar_year_confirm(by=p.admin, year=2027, note="国办发明电〔2026〕XX号")
    assert AuditEntry.objects.filter(action="calendar.year_confirm").count() == 1
    assert PROVISIONAL_2027 not in p.client("clerk").get("/cases/staff/").content.decode()
    assert PROVISIONAL_2027 not in p.client("clerk").get(f"/cases/staff/{into_2027.pk}/").content.decode()
    assert PROVISIONAL_2027 not in p.client("citizen").get(f"/cases/{into_2027.pk}/").content.decode()


def test_the_correction_round_shows_the_paused_deadline_and_the_days_used(
        case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    on_day["today"] = D(2026, 3, 2)
    case = case_world.submitted()  # the correction-notice clock: 5 working days, due 2026-03-09
    on_day["today"] = D(2026, 3, 4)
    services.case_request_correction(by=p.clerk, case_id=case.pk, items=[{"name": "居民身份证", "reason": "不清晰"}])
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CORRECTION
    paused = "补正期间期限暂停：暂停前到期日 2026-03-09，已用 2 个工作日（共 5 个）"
    assert paused in p.client("clerk").get(f"/cases/staff/{case.pk}/").content.decode()
    assert paused in p.client("citizen").get(f"/cases/{case.pk}/").content.decode()


def test_the_recompute_command_moves_clocks_after_the_packaged_calendar_changed(
        case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    from django.core.management import call_command

    case = _accepted(case_world, on_day, D(2026, 12, 21))
    # What a chinesecalendar release covering 2027 would say, seen through a row nobody recomputed.
    CalendarDay.objects.create(date=D(2027, 1, 1), is_working_day=False, name="元旦")
    assert _decision(case).due_date == D(2027, 1, 4)
    call_command("core_calendar_recompute", "--year", "2027")
    assert (_decision(case).due_date, _decision(case).promised_due_date) == (D(2027, 1, 5), D(2027, 1, 5))
    assert len(_recalculated(case)) == 1 and len(_sms(case)) == 1
    entry = AuditEntry.objects.get(action="calendar.recompute")
    assert entry.after == {"first": "2027-01-01", "last": "2027-12-31", "clocks_recomputed": 1}
