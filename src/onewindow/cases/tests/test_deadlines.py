"""Clocks in working days (行政许可法 arts. 32, 42, 45, 82): due dates, suspension, extension,
warnings and the deemed acceptance — on dates of March 2026, which has no public holiday."""

from __future__ import annotations

import datetime

import pytest

from onewindow.cases import deadlines, services
from onewindow.cases.choices import CaseStatus, ClockKind, ClockLevel, SuspensionBasis
from onewindow.cases.models import Case, CaseClock, CaseEvent, ClockExtension
from onewindow.cases.services import common
from onewindow.cases.testing import CaseWorld
from onewindow.core.errors import Conflict
from onewindow.notifications.models import Message

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime.date]:
    day = {"today": D(2026, 3, 2)}  # a Monday
    monkeypatch.setattr(common, "today", lambda: day["today"])
    return day


def _clock(case: Case, kind: str) -> CaseClock:
    return CaseClock.objects.get(case=case, kind=kind, stopped_on__isnull=True)


def test_level_arithmetic() -> None:
    args = {"start": D(2026, 3, 2), "limit_days": 10, "extended_days": 0, "suspended_days": 0,
            "due": D(2026, 3, 16), "unit": "working"}
    assert deadlines.due_date(start=D(2026, 3, 2), limit_days=10, extended_days=0, suspended_days=0,
                              unit="working") == D(2026, 3, 16)
    assert deadlines.level_on(today=D(2026, 3, 11), **args) == ClockLevel.GREEN  # 7 of 10 days
    assert deadlines.level_on(today=D(2026, 3, 12), **args) == ClockLevel.YELLOW  # 8 of 10 = 80 %
    assert deadlines.level_on(today=D(2026, 3, 16), **args) == ClockLevel.YELLOW  # the last day
    assert deadlines.level_on(today=D(2026, 3, 17), **args) == ClockLevel.RED
    # An open suspension freezes the clock at its start, even past the due date.
    assert deadlines.level_on(today=D(2026, 3, 20), open_suspension_since=D(2026, 3, 5), **args) == ClockLevel.GREEN
    assert deadlines.due_date(start=D(2026, 3, 2), limit_days=5, extended_days=0, suspended_days=0,
                              unit="natural") == D(2026, 3, 7)


def test_decision_limit_defaults() -> None:
    class V:
        promised_limit: int | None = None
        promised_unit = "working"
        promised_note = ""
        statutory_limit: int | None = None
        statutory_unit = "working"
        statutory_note = ""

    version = V()
    assert deadlines.decision_limit(version) == deadlines.Limit(20, "working", deadlines.BASIS_DECISION)
    version.statutory_limit = 15
    assert deadlines.decision_limit(version).days == 15
    version.promised_limit = 7
    assert deadlines.decision_limit(version).days == 7


def test_accept_suspend_resume_extend(case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    case = case_world.submitted()
    correction = CaseClock.objects.get(case=case, kind=ClockKind.CORRECTION)
    assert (correction.start_date, correction.limit_days, correction.due_date) == (D(2026, 3, 2), 5, D(2026, 3, 9))
    services.case_accept(by=p.clerk, case_id=case.pk)
    correction.refresh_from_db()
    assert correction.stopped_on == D(2026, 3, 2)
    clock = _clock(case, ClockKind.DECISION)
    assert (clock.start_date, clock.limit_days, clock.due_date) == (D(2026, 3, 2), 10, D(2026, 3, 16))
    services.case_start_review(by=p.reviewer, case_id=case.pk)
    on_day["today"] = D(2026, 3, 5)
    services.case_suspend(by=p.reviewer, case_id=case.pk, basis=SuspensionBasis.EXPERT_REVIEW, reason="专家评审")
    on_day["today"] = D(2026, 3, 10)
    case = services.case_resume(by=p.reviewer, case_id=case.pk)
    clock.refresh_from_db()
    assert (clock.suspended_days, clock.due_date) == (3, D(2026, 3, 19))  # 6, 9, 10 March not counted
    assert case.due_date == D(2026, 3, 19)
    services.case_extend(by=p.manager, case_id=case.pk, reason="需要现场核查", days=10)
    clock.refresh_from_db()
    assert (clock.extended_days, clock.due_date) == (10, D(2026, 4, 2))
    assert ClockExtension.objects.get(clock=clock).approved_by == p.manager
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Conflict) as excinfo:
        services.case_extend(by=p.manager, case_id=case.pk, reason="再次延长", days=1)
    assert excinfo.value.code == "extension_exceeds_limit"
    clock.refresh_from_db()
    assert (clock.extended_days, clock.due_date) == (10, D(2026, 4, 2))
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_reviewer_cannot_extend(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    with pytest.raises(Exception) as excinfo:
        services.case_extend(by=case_world.p.reviewer, case_id=case.pk, reason="x")
    assert getattr(excinfo.value, "code", "") == "case_action_forbidden"
    assert not ClockExtension.objects.exists()


def test_deemed_accepted_after_five_working_days(case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    case = case_world.submitted()
    # On the fifth working day the notice may still be given: yellow (≥ 80 %), not yet deemed accepted.
    assert services.deadlines_check(today=D(2026, 3, 9)) == {"deemed_accepted": 0, "raised": 1}
    result = services.deadlines_check(today=D(2026, 3, 10))
    assert result["deemed_accepted"] == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    event = CaseEvent.objects.filter(case=case).last()
    assert event is not None and event.action == "deem_accepted" and event.actor is None
    assert event.data["accepted_on"] == "2026-03-02"  # counted from the day of receipt (art. 32(4))
    assert _clock(case, ClockKind.DECISION).start_date == D(2026, 3, 2)


def test_warnings_rise_and_notify_handler_and_head(case_world: CaseWorld, on_day: dict[str, datetime.date]) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)  # accepted 2 March, due 16 March (10 days)
    before = Message.objects.filter(event__startswith="deadline_").count()
    assert services.deadlines_check(today=D(2026, 3, 11))["raised"] == 0
    assert services.deadlines_check(today=D(2026, 3, 12))["raised"] == 1
    case.refresh_from_db()
    assert case.deadline_level == ClockLevel.YELLOW
    warned = Message.objects.filter(event="deadline_warning", subject_id=str(case.pk))
    assert sorted(m.user_id for m in warned) == sorted([p.reviewer.pk, p.manager.pk])
    assert services.deadlines_check(today=D(2026, 3, 12))["raised"] == 0  # no repeat
    assert services.deadlines_check(today=D(2026, 3, 17))["raised"] == 1
    case.refresh_from_db()
    assert case.deadline_level == ClockLevel.RED
    assert Message.objects.filter(event="deadline_overdue", subject_id=str(case.pk)).count() == 2
    assert Message.objects.filter(event__startswith="deadline_").count() == before + 4
