"""Rosters in the database (issue #15 part 3): a roster breaking a duty rule is refused with
nothing written; publishing writes the duties and the appointment capacities; a clerk sees only
their own shifts; anyone but the center's manager is refused with nothing written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.testing import UserFactory
from onewindow.centers.models import AppointmentSlot, WindowDuty
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.staffing.choices import RosterSource, RosterStatus
from onewindow.staffing.models import Assignment, ClerkTerms, Leave, Roster, Shift, StaffingPolicy
from onewindow.staffing.plans import ShiftPlan, SlotNeed
from onewindow.staffing.rostering import propose, violations
from onewindow.staffing.selectors import roster as selectors
from onewindow.staffing.services import roster as services
from onewindow.staffing.testing import (
    StaffingWorld,
    qualify,
    staffing_world,  # noqa: F401
)
from onewindow.training.models import Attendance, Course, TrainingSession

pytestmark = pytest.mark.django_db
H = 3600


def t(hh: int, mm: int = 0) -> int:
    return hh * H + mm * 60


@pytest.fixture
def sw(staffing_world: StaffingWorld) -> StaffingWorld:  # noqa: F811
    c = staffing_world.clerks
    qualify(staffing_world, c[0], "A", "C")
    qualify(staffing_world, c[1], "B")
    qualify(staffing_world, c[2], "A", "B", "C")
    return staffing_world


def ids(sw: StaffingWorld, *prefixes: str) -> frozenset[int]:
    return frozenset(sw.categories[p].pk for p in prefixes)


def morning(sw: StaffingWorld, clerk: int = 0, day: int = 0, window: int = 1, cats: str = "A") -> ShiftPlan:
    """08:30–12:00 at ``window`` serving ``cats``."""
    return ShiftPlan(user_id=sw.clerks[clerk].pk, date=sw.day(day), start=t(8, 30), end=t(12),
                     assignments=((sw.windows[window].pk, ids(sw, *cats), t(8, 30), t(12)),))


def counts() -> tuple[int, ...]:
    return (Roster.objects.count(), Shift.objects.count(), Assignment.objects.count(), WindowDuty.objects.count(),
            AuditEntry.objects.count(), StaffingPolicy.objects.count(), Leave.objects.count(),
            ClerkTerms.objects.count())


def refused(call: Any, code: str, status: int) -> DomainError:
    before = counts()
    with pytest.raises(DomainError) as info:
        call()
    assert (info.value.code, info.value.status) == (code, status)
    assert counts() == before
    return info.value


def test_clerks_are_qualified_by_what_they_served_and_were_trained_on(sw: StaffingWorld) -> None:
    clerks = {c.user_id: c for c in selectors.clerks_of(sw.center.pk, sw.week_start)}
    assert set(clerks) == {u.pk for u in sw.clerks}  # the manager is not rostered
    assert clerks[sw.clerks[0].pk].qualified == ids(sw, "A", "C")
    assert clerks[sw.clerks[3].pk].qualified == frozenset()
    item = sw.w.cw.item
    sw.categories["B"].items.set([item])
    course = Course.objects.create(center=sw.center, title="社保业务",
                                   created_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC))
    course.items.set([item])
    start = datetime.datetime(2026, 2, 10, 6, tzinfo=datetime.UTC)
    held = TrainingSession.objects.create(course=course, center=sw.center, starts_at=start,
                                          ends_at=start + datetime.timedelta(hours=2), place="三楼", trainer="王老师",
                                          status="recorded")
    Attendance.objects.create(session=held, clerk=sw.clerks[3], status="present")
    Attendance.objects.create(session=held, clerk=sw.clerks[0], status="absent")
    clerks = {c.user_id: c for c in selectors.clerks_of(sw.center.pk, sw.week_start)}
    assert clerks[sw.clerks[3].pk].qualified == ids(sw, "B")
    assert clerks[sw.clerks[0].pk].qualified == ids(sw, "A", "C")


def test_rules_for_the_week(sw: StaffingWorld) -> None:
    services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk, starts=sw.day(1),
                       ends=sw.day(2), kind="annual", note="")
    services.terms_set(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[3].pk, part_time=True,
                       max_minutes_per_day=240, max_days_per_week=3)
    rules = selectors.rules_for(sw.center.pk, sw.week_start)
    assert (rules.shift_min, rules.shift_max, rules.break_after, rules.break_minutes) == (180, 480, 270, 45)
    assert rules.opening == {sw.day(d): (t(8, 30), t(17)) for d in range(5)}
    assert rules.leave == {sw.clerks[1].pk: frozenset({sw.day(1), sw.day(2)})}
    part = rules.clerks[sw.clerks[3].pk]
    assert (part.part_time, part.max_minutes_per_day, part.max_days_per_week) == (True, 240, 3)
    assert rules.windows is not None and rules.windows[sw.windows[2].pk] == ids(sw, "B")


def test_create_writes_shifts_and_assignments(sw: StaffingWorld) -> None:
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw), morning(sw, clerk=1, window=2, cats="B")])
    assert (roster.status, roster.source, roster.created_by) == (RosterStatus.DRAFT, RosterSource.MANUAL, sw.manager)
    assert selectors.shift_plans(roster.pk) == [morning(sw), morning(sw, clerk=1, window=2, cats="B")]
    assert AuditEntry.objects.filter(action="staffing.roster.create").count() == 1
    spans = selectors.roster_spans(roster.pk)
    assert [(s.window_id, s.start, s.end, s.clerk_id) for s in spans[sw.day(0)]] == [
        (sw.windows[1].pk, t(8, 30), t(12), sw.clerks[0].pk), (sw.windows[2].pk, t(8, 30), t(12), sw.clerks[1].pk)]


def test_create_with_a_broken_rule_writes_nothing(sw: StaffingWorld) -> None:
    unqualified = morning(sw, clerk=1, window=3, cats="A")  # clerk 2 serves only B
    too_long = ShiftPlan(user_id=sw.clerks[2].pk, date=sw.day(1), start=t(8, 30), end=t(17))
    error = refused(lambda: services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                                   shifts=[morning(sw), unqualified, too_long]),
                    "staffing_roster_rule", 422)
    assert [(v["code"], v["user_id"], v["date"]) for v in error.as_dict()["violations"]] == [
        ("not_qualified", sw.clerks[1].pk, "2026-03-02"), ("shift_too_long", sw.clerks[2].pk, "2026-03-03"),
        ("break_missing", sw.clerks[2].pk, "2026-03-03"), ("over_daily_hours", sw.clerks[2].pk, "2026-03-03")]
    assert "班次超过8小时" in str(error.message)
    saturday = ShiftPlan(user_id=sw.clerks[0].pk, date=sw.day(5), start=t(9), end=t(12))
    refused(lambda: services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                           shifts=[saturday]), "staffing_roster_rule", 422)
    next_week = morning(sw, day=7)
    error = refused(lambda: services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                                   shifts=[next_week]), "staffing_roster_rule", 422)
    # the next week's Monday is outside this week, and so outside its opening too
    assert [v.code for v in error.violations] == ["outside_week", "outside_opening"]  # type: ignore[attr-defined]
    refused(lambda: services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.day(1), shifts=[]),
            "staffing_week_invalid", 422)
    other_window = ShiftPlan(user_id=sw.clerks[0].pk, date=sw.day(0), start=t(9), end=t(12),
                             assignments=((10**9, ids(sw, "A"), t(9), t(10)),))
    refused(lambda: services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                           shifts=[other_window]), "staffing_roster_rule", 422)


def test_a_proposal_is_accepted_as_a_roster(sw: StaffingWorld) -> None:
    needs = [SlotNeed(date=sw.day(d), slot=s, windows=2,
                      by_window={sw.windows[1].pk: ids(sw, "A"), sw.windows[2].pk: ids(sw, "B")})
             for d in range(5) for s in range(17, 34)]
    rules = selectors.rules_for(sw.center.pk, sw.week_start)
    result = propose(needs, selectors.clerks_of(sw.center.pk, sw.week_start), rules,
                     fairness=selectors.fairness_of(sw.center.pk, sw.week_start))
    assert violations(result.shifts, rules) == [] and result.shifts
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=result.shifts, source="proposal")
    assert len(selectors.shift_plans(roster.pk)) == len(result.shifts)


def test_publish_writes_duties_and_capacities(sw: StaffingWorld) -> None:
    a, b = sw.categories["A"], sw.categories["B"]
    nine = AppointmentSlot.objects.create(center=sw.center, category=a, date=sw.day(0), starts=datetime.time(9),
                                          ends=datetime.time(10), capacity=20)
    afternoon = AppointmentSlot.objects.create(center=sw.center, category=a, date=sw.day(0),
                                               starts=datetime.time(14), ends=datetime.time(15), capacity=20, booked=2)
    b_nine = AppointmentSlot.objects.create(center=sw.center, category=b, date=sw.day(0), starts=datetime.time(9),
                                            ends=datetime.time(10), capacity=1)
    # a duty written by hand on Tuesday for window 1 is replaced: the published roster is the day's plan
    WindowDuty.objects.create(window=sw.windows[1], user=sw.clerks[2], date=sw.day(1))
    first = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                   shifts=[morning(sw)])
    services.roster_publish(by=sw.manager, roster_id=first.pk)
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw), morning(sw, clerk=1, window=2, cats="B"),
                                            morning(sw, day=1)])
    services.roster_publish(by=sw.manager, roster_id=roster.pk)
    first.refresh_from_db()
    roster.refresh_from_db()
    assert (first.status, roster.status, roster.published_by) == (RosterStatus.WITHDRAWN, RosterStatus.PUBLISHED,
                                                                 sw.manager)
    duties = set(WindowDuty.objects.values_list("window__number", "user_id", "date"))
    assert duties == {(1, sw.clerks[0].pk, sw.day(0)), (2, sw.clerks[1].pk, sw.day(0)),
                      (1, sw.clerks[0].pk, sw.day(1))}
    nine.refresh_from_db()
    afternoon.refresh_from_db()
    b_nine.refresh_from_db()
    # 3600 s of window 1 on A / 10 min × 0.5 = 3; nothing planned at 14:00: what is booked (2)
    assert (nine.capacity, afternoon.capacity) == (3, 2)
    assert b_nine.capacity == 3  # B takes 8 minutes: floor(3600 / 480 × 0.5) = floor(3.75)
    entry = AuditEntry.objects.filter(action="staffing.roster.publish").order_by("-pk").first()
    assert entry is not None and entry.after is not None
    assert (entry.after["duties"], entry.after["duties_skipped"]) == (3, [])
    refused(lambda: services.shift_save(by=sw.manager, roster_id=roster.pk, user_id=sw.clerks[2].pk,
                                        date=sw.day(2), starts=datetime.time(9), ends=datetime.time(12)),
            "staffing_roster_published", 409)
    refused(lambda: services.roster_publish(by=sw.manager, roster_id=roster.pk), "staffing_roster_published", 409)


def test_publish_refuses_a_roster_broken_since_by_leave(sw: StaffingWorld) -> None:
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw)])
    services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[0].pk, starts=sw.day(0),
                       ends=sw.day(0), kind="sick")
    error = refused(lambda: services.roster_publish(by=sw.manager, roster_id=roster.pk), "staffing_roster_rule", 422)
    assert [v.code for v in error.violations] == ["on_leave"]  # type: ignore[attr-defined]
    roster.refresh_from_db()
    assert roster.status == RosterStatus.DRAFT


def test_shift_save_and_delete_on_a_draft(sw: StaffingWorld) -> None:
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw)])
    shift = services.shift_save(by=sw.manager, roster_id=roster.pk, user_id=sw.clerks[1].pk, date=sw.day(0),
                                starts=datetime.time(9), ends=datetime.time(12),
                                assignments=[(sw.windows[2].pk, [sw.categories["B"].pk], t(9), t(12))])
    assert (shift.starts, shift.ends) == (datetime.time(9), datetime.time(12))
    # window 1 is clerk 1's all morning
    refused(lambda: services.shift_save(by=sw.manager, roster_id=roster.pk, user_id=sw.clerks[2].pk,
                                        date=sw.day(0), starts=datetime.time(9), ends=datetime.time(12),
                                        assignments=[(sw.windows[1].pk, [sw.categories["A"].pk], t(9), t(12))]),
            "staffing_roster_rule", 422)
    refused(lambda: services.shift_save(by=sw.manager, roster_id=roster.pk, user_id=sw.clerks[1].pk,
                                        date=sw.day(0), starts=datetime.time(13), ends=datetime.time(16)),
            "staffing_roster_rule", 422)
    changed = services.shift_save(by=sw.manager, roster_id=roster.pk, shift_id=shift.pk, user_id=sw.clerks[1].pk,
                                  date=sw.day(0), starts=datetime.time(13), ends=datetime.time(16))
    assert Shift.objects.filter(roster=roster).count() == 2 and changed.starts == datetime.time(13)
    services.shift_delete(by=sw.manager, shift_id=changed.pk)
    assert list(Shift.objects.filter(roster=roster).values_list("user_id", flat=True)) == [sw.clerks[0].pk]


def test_a_clerk_sees_only_their_own_published_shifts(sw: StaffingWorld) -> None:
    draft = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                   shifts=[morning(sw), morning(sw, clerk=1, window=2, cats="B")])
    assert list(selectors.my_shifts(sw.clerks[0], sw.day(0), sw.day(6))) == []
    services.roster_publish(by=sw.manager, roster_id=draft.pk)
    mine = list(selectors.my_shifts(sw.clerks[0], sw.day(0), sw.day(6)))
    assert [(s.user_id, s.date) for s in mine] == [(sw.clerks[0].pk, sw.day(0))]
    assert [(a.window.number, [c.prefix for c in a.categories.all()]) for a in mine[0].assignments.all()] == [
        (1, ["A"])]
    assert list(selectors.my_shifts(sw.outsider, sw.day(0), sw.day(6))) == []
    assert selectors.roster_for(sw.manager, draft.pk) == draft
    for viewer in (sw.clerks[0], sw.other_manager, sw.outsider):
        assert selectors.roster_for(viewer, draft.pk) is None
        assert list(selectors.rosters_of(viewer, sw.center.pk)) == []
    assert selectors.roster_for(sw.manager, "x") is None


def test_anyone_but_the_manager_is_refused_with_nothing_written(sw: StaffingWorld) -> None:
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw)])
    stranger = UserFactory.create(username="s_stranger")
    for by in (sw.clerks[0], sw.other_manager, sw.outsider, stranger):
        refused(lambda by=by: services.roster_create(by=by, center_id=sw.center.pk, week_start=sw.week_start,
                                                      shifts=[]), "staffing_center_not_found", 404)
        refused(lambda by=by: services.roster_publish(by=by, roster_id=roster.pk), "staffing_roster_not_found", 404)
        refused(lambda by=by: services.policy_update(by=by, center_id=sw.center.pk, target_minutes=10),
                "staffing_center_not_found", 404)
        refused(lambda by=by: services.leave_add(by=by, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                                 starts=sw.day(0), ends=sw.day(0)), "staffing_center_not_found", 404)
        refused(lambda by=by: services.terms_set(by=by, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                                 part_time=True, max_minutes_per_day=240, max_days_per_week=3),
                "staffing_center_not_found", 404)
        refused(lambda by=by: services.shift_delete(by=by, shift_id=Shift.objects.get(roster=roster).pk),
                "staffing_shift_not_found", 404)
    leave = services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk, starts=sw.day(0),
                               ends=sw.day(0))
    refused(lambda: services.leave_remove(by=sw.other_manager, leave_id=leave.pk), "staffing_leave_not_found", 404)
    services.leave_remove(by=sw.manager, leave_id=leave.pk)
    assert not Leave.objects.exists()


def test_policy_update_checks_every_value(sw: StaffingWorld) -> None:
    error = refused(lambda: services.policy_update(by=sw.manager, center_id=sw.center.pk, target_share=1.0,
                                                   shrinkage=0.6, target_minutes=0, shift_min_minutes=500),
                    "staffing_policy_invalid", 422)
    assert sorted(error.fields) == ["shrinkage", "target_minutes", "target_share"]
    error = refused(lambda: services.policy_update(by=sw.manager, center_id=sw.center.pk, shift_min_minutes=500),
                    "staffing_policy_invalid", 422)
    assert list(error.fields) == ["shift_min_minutes"]
    refused(lambda: services.policy_update(by=sw.manager, center_id=sw.center.pk, center=1),
            "staffing_policy_invalid", 422)
    refused(lambda: services.policy_update(by=sw.manager, center_id=sw.center.pk, target_share=True),
            "staffing_policy_invalid", 422)
    assert selectors.policy_of(sw.center.pk).pk is None  # the defaults, unsaved
    row = services.policy_update(by=sw.manager, center_id=sw.center.pk, target_kind="mean_wait", target_minutes=10,
                                 shift_min_minutes=120)
    row.refresh_from_db()
    assert (row.target_kind, row.target_minutes, row.shift_min_minutes, row.shift_max_minutes) == (
        "mean_wait", 10, 120, 480)
    assert selectors.rules_for(sw.center.pk, sw.week_start).shift_min == 120


def test_terms_and_leave_are_checked(sw: StaffingWorld) -> None:
    refused(lambda: services.terms_set(by=sw.manager, center_id=sw.center.pk, user_id=sw.manager.pk,
                                       part_time=True, max_minutes_per_day=240, max_days_per_week=3),
            "staffing_clerk_invalid", 422)
    refused(lambda: services.terms_set(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                       part_time=True, max_minutes_per_day=240, max_days_per_week=8),
            "staffing_terms_invalid", 422)
    refused(lambda: services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                       starts=sw.day(2), ends=sw.day(1)), "staffing_leave_invalid", 422)
    refused(lambda: services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                       starts=sw.day(1), ends=sw.day(1), kind="holiday"), "staffing_leave_invalid", 422)
    refused(lambda: services.leave_add(by=sw.manager, center_id=sw.center.pk, user_id=sw.clerks[1].pk,
                                       starts=sw.day(1), ends=sw.day(1), note="a\x00b"), "text_invalid", 422)


def test_current_plan_is_the_duties_less_a_staggered_lunch(sw: StaffingWorld) -> None:
    WindowDuty.objects.create(window=sw.windows[1], user=sw.clerks[0], date=sw.day(0))
    WindowDuty.objects.create(window=sw.windows[2], user=sw.clerks[1], date=sw.day(0))
    WindowDuty.objects.create(window=sw.windows[1], user=sw.clerks[0], date=sw.day(5))  # Saturday: closed
    plan = selectors.current_plan(sw.center.pk, [sw.day(d) for d in range(7)])
    assert list(plan) == [sw.day(0)]
    w1, w2 = sw.windows[1].pk, sw.windows[2].pk
    assert [(s.window_id, s.start, s.end, s.clerk_id) for s in plan[sw.day(0)]] == [
        (w1, t(8, 30), t(11, 30), sw.clerks[0].pk), (w2, t(8, 30), t(12, 15), sw.clerks[1].pk),
        (w1, t(12, 15), t(17), sw.clerks[0].pk), (w2, t(13), t(17), sw.clerks[1].pk)]
    assert plan[sw.day(0)][0].category_ids == ids(sw, "A", "C")


def test_my_shifts_reads_in_constant_queries(sw: StaffingWorld, django_assert_num_queries: Any) -> None:
    roster = services.roster_create(by=sw.manager, center_id=sw.center.pk, week_start=sw.week_start,
                                    shifts=[morning(sw, day=d) for d in range(5)])
    services.roster_publish(by=sw.manager, roster_id=roster.pk)
    clerk = type(sw.clerks[0]).objects.get(pk=sw.clerks[0].pk)
    with django_assert_num_queries(3):  # shifts (with roster and person), assignments, their categories
        shifts = list(selectors.my_shifts(clerk, sw.day(0), sw.day(6)))
        labels = [[(a.window.number, [c.prefix for c in a.categories.all()]) for a in s.assignments.all()]
                  for s in shifts]
    assert labels == [[(1, ["A"])]] * 5
