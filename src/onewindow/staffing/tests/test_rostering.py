"""The duty rules and the roster proposal as plain values (issue #15 part 3; no database).

Each violation code on a hand-made shift; hypothesis: for arbitrary needs, clerks (some part-time,
some on leave, some unqualified) and rules, the proposal breaks no rule and every needed slot is
either covered or listed as a shortfall.
"""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from onewindow.staffing.plans import SLOT_SECONDS, ShiftPlan, SlotNeed
from onewindow.staffing.rostering import (
    Clerk,
    Rules,
    propose,
    rules_from,
    shortfalls_of,
    violations,
    worked_seconds,
)

MON = datetime.date(2026, 3, 2)
H = 3600
A, B, C = 1, 2, 3


def t(hh: int, mm: int = 0) -> int:
    return hh * H + mm * 60


def world(**changes: object) -> Rules:
    clerks = {1: Clerk(1, "甲", frozenset({A, B, C})), 2: Clerk(2, "乙", frozenset({A})),
              3: Clerk(3, "丙", frozenset({B}), part_time=True, max_minutes_per_day=240, max_days_per_week=3)}
    rules = Rules(shift_min=180, shift_max=480, break_after=270, break_minutes=45, clerks=clerks,
                  leave={2: frozenset({MON})},
                  opening={MON + datetime.timedelta(days=d): (t(8, 30), t(17)) for d in range(5)},
                  windows={10: frozenset({A, C}), 20: frozenset({B}), 30: frozenset({A, B, C})})
    for key, value in changes.items():
        setattr(rules, key, value)
    return rules


def shift(user: int = 1, date: datetime.date = MON, start: int = t(9), end: int = t(12), **kw: object) -> ShiftPlan:
    return ShiftPlan(user_id=user, date=date, start=start, end=end, **kw)  # type: ignore[arg-type]


def codes(shifts: list[ShiftPlan], rules: Rules | None = None) -> list[tuple[str, int, datetime.date]]:
    return [(v.code, v.user_id, v.date) for v in violations(shifts, rules or world())]


def test_a_good_shift_breaks_no_rule() -> None:
    good = shift(start=t(8, 30), end=t(16, 30), break_start=t(12), break_end=t(12, 45),
                 assignments=((10, frozenset({A}), t(8, 30), t(12)), (30, frozenset({B, C}), t(12, 45), t(16, 30))))
    assert codes([good]) == []
    assert worked_seconds(good) == 8 * H - 45 * 60


def test_shift_length_bounds() -> None:
    assert codes([shift(start=t(9), end=t(11, 59))]) == [("shift_too_short", 1, MON)]
    long_one = shift(start=t(8, 30), end=t(16, 31), break_start=t(12), break_end=t(12, 45))
    assert codes([long_one], world(opening={MON: (t(8), t(18))})) == [("shift_too_long", 1, MON)]
    msg = violations([long_one], world(opening={MON: (t(8), t(18))}))[0].message
    assert msg == "班次超过8小时"


def test_break_missing_short_misplaced_and_outside() -> None:
    assert codes([shift(start=t(8, 30), end=t(14, 0))]) == [("break_missing", 1, MON)]
    assert codes([shift(start=t(8, 30), end=t(16), break_start=t(12), break_end=t(12, 30))]) == [
        ("break_missing", 1, MON)]
    # 45 minutes, but 5 hours of work before it
    assert codes([shift(start=t(8, 30), end=t(16, 30), break_start=t(13, 30), break_end=t(14, 15))]) == [
        ("break_missing", 1, MON)]
    # exactly 270 minutes needs no break
    assert codes([shift(start=t(8, 30), end=t(13, 0))]) == []
    assert codes([shift(start=t(9), end=t(12), break_start=t(8), break_end=t(8, 45))]) == [("break_outside", 1, MON)]
    assert codes([shift(start=t(9), end=t(12), break_start=t(10))]) == [("break_outside", 1, MON)]


def test_daily_and_weekly_limits() -> None:
    # the part-timer's 4 hours
    assert codes([shift(user=3, start=t(9), end=t(13, 30))]) == [("over_daily_hours", 3, MON)]
    assert codes([shift(user=3, start=t(9), end=t(13))]) == []
    days = [shift(user=3, date=MON + datetime.timedelta(days=d)) for d in range(4)]
    assert codes(days) == [("over_weekly_days", 3, MON + datetime.timedelta(days=3))]
    assert codes(days[:3]) == []


def test_leave_second_shift_opening_and_staff() -> None:
    assert codes([shift(user=2)]) == [("on_leave", 2, MON)]
    assert codes([shift(), shift(start=t(13), end=t(16))]) == [("two_shifts_one_day", 1, MON)]
    assert codes([shift(start=t(8), end=t(11))]) == [("outside_opening", 1, MON)]
    saturday = MON + datetime.timedelta(days=5)
    assert codes([shift(date=saturday)]) == [("outside_opening", 1, saturday)]
    assert codes([shift(user=99)]) == [("not_staff", 99, MON)]


def test_assignment_rules() -> None:
    assert codes([shift(user=2, date=MON + datetime.timedelta(days=1),
                        assignments=((20, frozenset({B}), t(9), t(10)),))]) == [
        ("not_qualified", 2, MON + datetime.timedelta(days=1))]
    assert codes([shift(assignments=((10, frozenset({A}), t(11), t(12, 30)),))]) == [
        ("assignment_outside_shift", 1, MON)]
    in_break = shift(start=t(8, 30), end=t(16, 30), break_start=t(12), break_end=t(12, 45),
                     assignments=((10, frozenset({A}), t(11), t(12, 30)),))
    assert codes([in_break]) == [("assignment_outside_shift", 1, MON)]
    assert codes([shift(assignments=((20, frozenset({A}), t(9), t(10)),))]) == [("window_invalid", 1, MON)]
    assert codes([shift(assignments=((99, frozenset({A}), t(9), t(10)),))]) == [("window_invalid", 1, MON)]
    double = [shift(assignments=((20, frozenset({B}), t(9), t(10)),)),
              shift(user=3, start=t(9, 30), end=t(12, 30), assignments=((20, frozenset({B}), t(9, 30), t(11)),))]
    assert codes(double) == [("window_double_booked", 3, MON)]
    assert codes([shift(assignments=((10, frozenset({A}), t(9), t(10)), (30, frozenset({A}), t(9, 30), t(11))))]) == [
        ("clerk_two_windows", 1, MON)]
    # back to back is fine
    assert codes([shift(assignments=((10, frozenset({A}), t(9), t(10)), (30, frozenset({A}), t(10), t(11))))]) == []


def test_rules_from_a_policy() -> None:
    class Policy:
        shift_min_minutes, shift_max_minutes, break_after_minutes, break_minutes = 120, 300, 240, 30

    rules = rules_from(Policy(), [Clerk(5, qualified=frozenset({A}))], {5: [MON]}, {MON: (t(9), t(17))},
                       {1: [A]})
    assert (rules.shift_min, rules.shift_max, rules.break_after, rules.break_minutes) == (120, 300, 240, 30)
    assert rules.clerks[5].qualified == frozenset({A}) and rules.leave == {5: frozenset({MON})}
    assert rules.windows == {1: frozenset({A})}


def need(date: datetime.date, slot: int, by_window: dict[int, frozenset[int]]) -> SlotNeed:
    return SlotNeed(date=date, slot=slot, windows=len(by_window), by_window=by_window)


def test_propose_covers_a_day_with_staggered_breaks() -> None:
    day = MON + datetime.timedelta(days=1)
    clerks = [Clerk(u, qualified=frozenset({A, B, C})) for u in (1, 2, 3, 4)]
    rules = world(clerks={c.user_id: c for c in clerks}, leave={})
    needs = [need(day, s, {10: frozenset({A}), 20: frozenset({B})}) for s in range(17, 34)]
    result = propose(needs, clerks, rules, fairness={})
    assert violations(result.shifts, rules) == []
    assert result.shortfalls == []
    assert all(s.date == day for s in result.shifts)
    breaks = [(s.break_start, s.break_end) for s in result.shifts if s.break_start is not None]
    for s in result.shifts:
        assert t(8, 30) <= s.start < s.end <= t(17)
    # no two breaks at the same time when all four clerks are needed to cover them
    assert len(breaks) == len(set(breaks))


def test_propose_prefers_the_clerk_who_worked_least() -> None:
    clerks = [Clerk(u, qualified=frozenset({A})) for u in (1, 2)]
    rules = world(clerks={c.user_id: c for c in clerks}, leave={})
    needs = [need(MON, s, {10: frozenset({A})}) for s in range(18, 24)]
    assert [s.user_id for s in propose(needs, clerks, rules, fairness={1: 600, 2: 60}).shifts] == [2]
    assert [s.user_id for s in propose(needs, clerks, rules, fairness={1: 60, 2: 600}).shifts] == [1]


def test_propose_rotates_early_and_late_shifts_and_keeps_part_timers_short() -> None:
    clerks = [Clerk(1, qualified=frozenset({A})), Clerk(2, qualified=frozenset({A})),
              Clerk(3, qualified=frozenset({B}), part_time=True, max_minutes_per_day=180)]
    rules = world(clerks={c.user_id: c for c in clerks}, leave={}, shift_max=270)
    days = [MON, MON + datetime.timedelta(days=1), MON + datetime.timedelta(days=2)]
    needs = [need(d, s, {10: frozenset({A}), 20: frozenset({B})}) for d in days for s in range(17, 34)]
    result = propose(needs, clerks, rules, fairness={})
    assert violations(result.shifts, rules) == []
    early = [min((s for s in result.shifts if s.date == d and s.user_id != 3), key=lambda s: s.start).user_id
             for d in days]
    assert early == [1, 2, 1]
    assert all(worked_seconds(s) <= 180 * 60 for s in result.shifts if s.user_id == 3)
    # A is covered all day by the two; B needs 8.5 hours a day and the part-timer gives 3: the rest is short
    part = {(sh.date, slot) for sh in result.shifts if sh.user_id == 3 for p in sh.assignments
            for slot in range(p[2] // SLOT_SECONDS, p[3] // SLOT_SECONDS)}
    assert len(part) == 3 * 6
    assert result.shortfalls == [(d, s, 1) for d in days for s in range(17, 34) if (d, s) not in part]


def test_propose_reports_what_nobody_may_serve() -> None:
    clerks = [Clerk(1, qualified=frozenset({A})), Clerk(2, qualified=frozenset({A, B}))]
    rules = world(clerks={c.user_id: c for c in clerks}, leave={2: frozenset({MON})})
    needs = [need(MON, s, {10: frozenset({A}), 20: frozenset({B})}) for s in range(18, 24)]
    result = propose(needs, clerks, rules, fairness={})
    assert [s.user_id for s in result.shifts] == [1]
    assert result.shortfalls == [(MON, s, 1) for s in range(18, 24)]
    # a slot before the opening can never be covered
    early = propose([need(MON, 10, {10: frozenset({A})})], clerks, rules, fairness={})
    assert early.shifts == [] and early.shortfalls == [(MON, 10, 1)]


def test_propose_over_covers_a_short_need() -> None:
    clerks = [Clerk(1, qualified=frozenset({A}))]
    rules = world(clerks={1: clerks[0]}, leave={})
    result = propose([need(MON, 33, {10: frozenset({A})})], clerks, rules, fairness={})
    (only,) = result.shifts
    assert only.end - only.start == 180 * 60 and only.end == t(17)
    assert result.shortfalls == []


def subsets(cats: frozenset[int]) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.sampled_from(sorted(cats)), min_size=1)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[SlotNeed], list[Clerk], Rules, dict[int, int]]:
    shift_min = draw(st.sampled_from([60, 120, 180, 240]))
    shift_max = draw(st.integers(min_value=shift_min, max_value=600))
    break_after = draw(st.sampled_from([120, 240, 270, 300]))
    break_minutes = draw(st.sampled_from([15, 30, 45, 60]))
    clerks = []
    for uid in range(1, draw(st.integers(min_value=0, max_value=6)) + 1):
        part = draw(st.booleans())
        clerks.append(Clerk(uid, qualified=draw(st.frozensets(st.sampled_from([A, B, C]), max_size=3)),
                            part_time=part,
                            max_minutes_per_day=draw(st.sampled_from([120, 240, 300])) if part else 480,
                            max_days_per_week=draw(st.integers(min_value=1, max_value=5))))
    days = [MON + datetime.timedelta(days=d) for d in range(draw(st.integers(min_value=1, max_value=7)))]
    opening = {}
    for day in days:
        if draw(st.integers(0, 5)) == 0:
            continue
        opens = draw(st.integers(min_value=t(7), max_value=t(10)))
        opening[day] = (opens, opens + draw(st.integers(min_value=H, max_value=10 * H)))
    leave = {c.user_id: frozenset(d for d in days if draw(st.integers(0, 4)) == 0) for c in clerks}
    windows = {10: frozenset({A, C}), 20: frozenset({B}), 30: frozenset({A, B, C})}
    needs = []
    for day in days:
        for slot in sorted(draw(st.sets(st.integers(min_value=12, max_value=40), max_size=20))):
            chosen = draw(st.lists(st.sampled_from(sorted(windows)), unique=True, min_size=1, max_size=3))
            needs.append(need(day, slot, {w: draw(subsets(windows[w])) for w in chosen}))
    rules = Rules(shift_min=shift_min, shift_max=shift_max, break_after=break_after, break_minutes=break_minutes,
                  clerks={c.user_id: c for c in clerks}, leave=leave, opening=opening,
                  windows=windows if draw(st.booleans()) else None)
    fairness = {c.user_id: draw(st.integers(0, 3000)) for c in clerks}
    return needs, clerks, rules, fairness


Scenario = tuple[list[SlotNeed], list[Clerk], Rules, dict[int, int]]


@given(scenarios())
def test_a_proposal_always_keeps_the_duty_rules(case: Scenario) -> None:
    needs, clerks, rules, fairness = case
    result = propose(needs, clerks, rules, fairness=fairness)
    assert violations(result.shifts, rules) == []
    # every needed slot is covered or listed as a shortfall, with the windows it misses
    assert result.shortfalls == shortfalls_of(needs, result.shifts, rules)
    short = {(d, s) for d, s, _n in result.shortfalls}
    for n in needs:
        if (n.date, n.slot) in short:
            continue
        opening = rules.opening[n.date]
        a, b = max(n.slot * SLOT_SECONDS, opening[0]), min((n.slot + 1) * SLOT_SECONDS, opening[1])
        for window, cats in n.by_window.items():
            assert any(w == window and cats <= c and s <= a and b <= e
                       for sh in result.shifts if sh.date == n.date for w, c, s, e in sh.assignments)
