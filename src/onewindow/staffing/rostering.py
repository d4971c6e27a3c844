"""Rosters as plain values (issue #15 part 3): the duty rules a week's shifts must keep, and the
proposal that turns each slot's window need into shifts and window assignments. No queries: the
selectors read the policy, terms, leave, qualifications and opening hours into ``Rules`` and
``Clerk`` values; the services validate with ``violations`` before writing anything.

The rules (each a setting per center, ``StaffingPolicy``/``ClerkTerms``/``Leave``; none is a
published figure): a shift lasts ``shift_min``..``shift_max`` minutes (its break included); a shift
longer than ``break_after`` minutes has a break of at least ``break_minutes`` placed so that no
stretch of work is longer than ``break_after``; a clerk works at most ``max_minutes_per_day``
minutes (the break not counted; a part-time clerk has fewer) on at most ``max_days_per_week`` days
of a week, one shift a day, never on leave, and only inside the center's opening; an assignment
puts the clerk at a window inside the shift and outside its break, serving only categories the
clerk is qualified for (served before or trained on) and the window serves; a window has one clerk
at a time and a clerk one window at a time.

Times are seconds from local midnight (``plans``); rule lengths are minutes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from .plans import SLOT_SECONDS, SLOTS_PER_DAY, ShiftPlan, SlotNeed

GRID = 900  # a break starts on a quarter hour where it can
Piece = tuple[int, frozenset[int], int, int]  # an assignment: window id, category ids, start, end

VIOLATION_CODES = (
    "shift_too_short", "shift_too_long", "break_missing", "break_outside", "over_daily_hours",
    "over_weekly_days", "on_leave", "two_shifts_one_day", "outside_opening", "not_qualified",
    "assignment_outside_shift", "window_double_booked", "clerk_two_windows", "not_staff", "window_invalid",
)


@dataclass(frozen=True)
class Clerk:
    """A clerk who may be rostered: ``qualified`` the category ids they may serve."""

    user_id: int
    name: str = ""
    qualified: frozenset[int] = frozenset()
    part_time: bool = False
    max_minutes_per_day: int = 480
    max_days_per_week: int = 5


@dataclass
class Rules:
    """The duty rules of a center for a week (minutes), its clerks by user id, each clerk's leave
    dates, the opening (start, end seconds) of each date it opens, and — when given — the
    categories each window may serve (window id → category ids; a window not listed is refused)."""

    shift_min: int = 180
    shift_max: int = 480
    break_after: int = 270
    break_minutes: int = 45
    clerks: dict[int, Clerk] = field(default_factory=dict)
    leave: dict[int, frozenset[datetime.date]] = field(default_factory=dict)
    opening: dict[datetime.date, tuple[int, int]] = field(default_factory=dict)
    windows: dict[int, frozenset[int]] | None = None


@dataclass(frozen=True)
class Violation:
    """One broken duty rule: a stable ``code`` (``VIOLATION_CODES``), the clerk, the date, and
    the message for people."""

    code: str
    user_id: int
    date: datetime.date
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "user_id": self.user_id, "date": self.date.isoformat(), "message": self.message}


@dataclass
class RosterResult:
    """A proposal's shifts and the slots left short: (date, slot, windows missing)."""

    shifts: list[ShiftPlan]
    shortfalls: list[tuple[datetime.date, int, int]]


def rules_from(policy: Any, clerks: Iterable[Clerk], leave: Mapping[int, Iterable[datetime.date]],
               opening: Mapping[datetime.date, tuple[int, int]],
               windows: Mapping[int, Iterable[int]] | None = None) -> Rules:
    """``Rules`` from a ``StaffingPolicy`` (or anything with its ``*_minutes`` fields)."""
    return Rules(shift_min=int(policy.shift_min_minutes), shift_max=int(policy.shift_max_minutes),
                 break_after=int(policy.break_after_minutes), break_minutes=int(policy.break_minutes),
                 clerks={c.user_id: c for c in clerks},
                 leave={uid: frozenset(days) for uid, days in leave.items()},
                 opening=dict(opening),
                 windows=None if windows is None else {w: frozenset(c) for w, c in windows.items()})


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def _overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def worked_seconds(shift: ShiftPlan) -> int:
    """The shift's working time: its length less its break."""
    pause = (shift.break_end - shift.break_start) if shift.break_start is not None and shift.break_end is not None \
        else 0
    return shift.end - shift.start - max(0, pause)


def violations(shifts: Sequence[ShiftPlan], rules: Rules) -> list[Violation]:
    """Every duty rule the shifts break (issue #15 part 3: "respecting the duty rules"), in shift order."""
    out: list[Violation] = []

    def add(code: str, shift: ShiftPlan, message: str) -> None:
        out.append(Violation(code, shift.user_id, shift.date, message))

    for shift in shifts:
        _check_shift(shift, rules, add)
    _check_together(shifts, rules, add)
    return out


def _check_shift(shift: ShiftPlan, rules: Rules, add: Any) -> None:
    length = shift.end - shift.start
    clerk = rules.clerks.get(shift.user_id)
    if clerk is None:
        add("not_staff", shift, _("不是本中心可排班的工作人员"))
    if length < rules.shift_min * 60:
        add("shift_too_short", shift, _("班次不足%(h)s小时") % {"h": _hours(rules.shift_min)})
    if length > rules.shift_max * 60:
        add("shift_too_long", shift, _("班次超过%(h)s小时") % {"h": _hours(rules.shift_max)})
    bs, be = shift.break_start, shift.break_end
    has_break = bs is not None or be is not None
    if has_break and (bs is None or be is None or not shift.start < bs < be < shift.end):
        add("break_outside", shift, _("休息时间须在班次之内"))
        bs = be = None
    if length > rules.break_after * 60:
        longest = length if bs is None or be is None else max(bs - shift.start, shift.end - be)
        if bs is None or be is None or be - bs < rules.break_minutes * 60 or longest > rules.break_after * 60:
            add("break_missing", shift,
                _("班次超过%(h)s小时须安排不少于%(m)d分钟的休息，且连续工作不超过%(h)s小时")
                % {"h": _hours(rules.break_after), "m": rules.break_minutes})
    if clerk is not None and worked_seconds(shift) > clerk.max_minutes_per_day * 60:
        add("over_daily_hours", shift, _("当日工作时间超过%(h)s小时") % {"h": _hours(clerk.max_minutes_per_day)})
    if shift.date in rules.leave.get(shift.user_id, frozenset()):
        add("on_leave", shift, _("该工作人员当日请假"))
    opening = rules.opening.get(shift.date)
    if opening is None:
        add("outside_opening", shift, _("中心当日不开放"))
    elif shift.start < opening[0] or shift.end > opening[1]:
        add("outside_opening", shift,
            _("班次超出开放时间%(a)s–%(b)s") % {"a": clock(opening[0]), "b": clock(opening[1])})
    for window_id, categories, start, end in shift.assignments:
        if end <= start or start < shift.start or end > shift.end or (
                shift.break_start is not None and shift.break_end is not None
                and _overlaps(start, end, shift.break_start, shift.break_end)):
            add("assignment_outside_shift", shift,
                _("%(a)s–%(b)s的窗口分派不在班次内或与休息重叠") % {"a": clock(start), "b": clock(end)})
        if not categories or (rules.windows is not None
                              and (window_id not in rules.windows or not categories <= rules.windows[window_id])):
            add("window_invalid", shift, _("窗口不属于本中心或不受理所分派的类别"))
        if clerk is not None and not categories <= clerk.qualified:
            add("not_qualified", shift, _("该工作人员未具备所分派类别的受理资格"))


def _check_together(shifts: Sequence[ShiftPlan], rules: Rules, add: Any) -> None:
    seen: set[tuple[int, datetime.date]] = set()
    days: dict[tuple[int, int, int], list[ShiftPlan]] = defaultdict(list)
    for shift in shifts:
        key = (shift.user_id, shift.date)
        if key in seen:
            add("two_shifts_one_day", shift, _("同一天只能排一个班次"))
            continue
        seen.add(key)
        iso = shift.date.isocalendar()
        days[(shift.user_id, iso[0], iso[1])].append(shift)
    for (uid, _y, _w), week in days.items():
        clerk = rules.clerks.get(uid)
        if clerk is not None and len(week) > clerk.max_days_per_week:
            ordered = sorted(week, key=lambda s: s.date)
            add("over_weekly_days", ordered[clerk.max_days_per_week],
                _("每周工作不超过%(n)d天") % {"n": clerk.max_days_per_week})
    by_day: dict[datetime.date, list[tuple[int, int, int, ShiftPlan]]] = defaultdict(list)
    for shift in shifts:
        for window_id, _cats, start, end in shift.assignments:
            by_day[shift.date].append((start, end, window_id, shift))
    for items in by_day.values():
        items.sort(key=lambda t: (t[0], t[1]))
        for i, (s0, e0, w0, sh0) in enumerate(items):
            for s1, e1, w1, sh1 in items[i + 1:]:
                if s1 >= e0:
                    break
                if sh1.user_id == sh0.user_id:
                    add("clerk_two_windows", sh1, _("同一时间只能在一个窗口"))
                elif w1 == w0:
                    add("window_double_booked", sh1,
                        _("%(a)s–%(b)s该窗口已有其他工作人员") % {"a": clock(max(s0, s1)), "b": clock(min(e0, e1))})


# --- the proposal -----------------------------------------------------------------------------


def _slot_span(slot: int, opening: tuple[int, int]) -> tuple[int, int]:
    """A slot's part inside the opening (empty when start ≥ end)."""
    return max(slot * SLOT_SECONDS, opening[0]), min((slot + 1) * SLOT_SECONDS, opening[1])


def _covers(shift: ShiftPlan, window_id: int, categories: frozenset[int], span: tuple[int, int]) -> bool:
    return any(w == window_id and categories <= cats and s <= span[0] and span[1] <= e
               for w, cats, s, e in shift.assignments)


def shortfalls_of(needs: Sequence[SlotNeed], shifts: Sequence[ShiftPlan],
                  rules: Rules) -> list[tuple[datetime.date, int, int]]:
    """(date, slot, windows missing) of each slot whose needed windows the shifts do not all cover."""
    by_day: dict[datetime.date, list[ShiftPlan]] = defaultdict(list)
    for shift in shifts:
        by_day[shift.date].append(shift)
    out = []
    for need in sorted(needs, key=lambda n: (n.date, n.slot)):
        opening = rules.opening.get(need.date)
        span = _slot_span(need.slot, opening) if opening else (0, 0)
        missing = 0
        for window_id, categories in need.by_window.items():
            if span[0] >= span[1] or not any(_covers(s, window_id, categories, span) for s in by_day[need.date]):
                missing += 1
        if missing:
            out.append((need.date, need.slot, missing))
    return out


@dataclass
class _Day:
    date: datetime.date
    opening: tuple[int, int]
    need: dict[int, dict[int, frozenset[int]]]  # slot → window → categories
    taken: dict[int, dict[int, int]]  # slot → window → clerk
    breaks: dict[int, int]  # slot → clerks on break


class _Planner:
    def __init__(self, needs: Sequence[SlotNeed], clerks: Sequence[Clerk], rules: Rules,
                 fairness: Mapping[int, int]) -> None:
        self.rules = rules
        self.clerks = [c for c in clerks if c.user_id in rules.clerks]
        self.minutes = {c.user_id: int(fairness.get(c.user_id, 0)) for c in self.clerks}
        self.early = {c.user_id: 0 for c in self.clerks}
        self.days_worked: dict[tuple[int, int, int], int] = defaultdict(int)
        self.needs = needs
        self.shifts: list[ShiftPlan] = []

    def run(self) -> list[ShiftPlan]:
        per_day: dict[datetime.date, dict[int, dict[int, frozenset[int]]]] = defaultdict(dict)
        for slot_need in needs_sorted(self.needs):
            windows = {w: frozenset(c) for w, c in slot_need.by_window.items()
                       if c and self._window_ok(w, frozenset(c))}
            if windows:
                per_day[slot_need.date].setdefault(slot_need.slot, {}).update(windows)
        for date in sorted(per_day):
            opening = self.rules.opening.get(date)
            if opening is None or opening[1] <= opening[0]:
                continue
            need = {s: w for s, w in per_day[date].items() if _slot_span(s, opening)[0] < _slot_span(s, opening)[1]}
            self._plan_day(_Day(date, opening, need, defaultdict(dict), defaultdict(int)))
        return self.shifts

    def _window_ok(self, window_id: int, categories: frozenset[int]) -> bool:
        windows = self.rules.windows
        return windows is None or (window_id in windows and categories <= windows[window_id])

    def _plan_day(self, day: _Day) -> None:
        day_shifts: dict[int, ShiftPlan] = {}
        given_up: set[tuple[int, int]] = set()
        iso = day.date.isocalendar()
        while True:
            target = self._uncovered(day, given_up)
            if target is None:
                break
            slot, window = target
            categories = day.need[slot][window]
            candidates = [c for c in self.clerks
                          if c.user_id not in day_shifts and categories <= c.qualified
                          and day.date not in self.rules.leave.get(c.user_id, frozenset())
                          and self.days_worked[(c.user_id, iso[0], iso[1])] < c.max_days_per_week]
            early = slot * SLOT_SECONDS - day.opening[0] < (day.opening[1] - day.opening[0]) // 2
            candidates.sort(key=lambda c: (self.minutes[c.user_id] // 30,
                                           self.early[c.user_id] if early else -self.early[c.user_id],
                                           len(c.qualified), c.user_id))
            shift: ShiftPlan | None = None
            for candidate in candidates:
                shift = self._shift_for(day, candidate, slot)
                if shift is not None:
                    break
            if shift is None:
                given_up.add(target)
                continue
            day_shifts[shift.user_id] = shift
            self.minutes[shift.user_id] += worked_seconds(shift) // 60
            if shift.start - day.opening[0] < (day.opening[1] - day.opening[0]) // 2:
                self.early[shift.user_id] += 1
            self.days_worked[(shift.user_id, iso[0], iso[1])] += 1
            if window not in day.taken[slot]:
                given_up.add(target)
        # What no new shift could take: lengthen a shift already made (the cheapest first).
        tried: set[tuple[int, int]] = set()
        while (target := self._uncovered(day, tried)) is not None:
            tried.add(target)
            slot, window = target
            options = []
            for uid, shift in day_shifts.items():
                clerk = self.rules.clerks[uid]
                if day.need[slot][window] <= clerk.qualified:
                    longer = self._extend(day, clerk, shift, slot)
                    if longer is not None and _served(longer) > _served(shift):
                        options.append((worked_seconds(longer) - worked_seconds(shift), self.minutes[uid], uid, longer))
            if not options:
                continue
            added, _minutes, uid, longer = min(options, key=lambda o: o[:3])
            self._release(day, day_shifts[uid])
            self._claim(day, longer)
            day_shifts[uid] = longer
            self.minutes[uid] += added // 60
        for uid, shift in day_shifts.items():
            trimmed = self._trim(shift)
            self.minutes[uid] -= (worked_seconds(shift) - (worked_seconds(trimmed) if trimmed else 0)) // 60
            if trimmed is None:
                self.days_worked[(uid, iso[0], iso[1])] -= 1
            else:
                self.shifts.append(trimmed)

    def _trim(self, shift: ShiftPlan) -> ShiftPlan | None:
        """The shift cut to its assignments (no idle start or end beyond what the shortest shift
        forces); None for a shift left with nothing to serve."""
        if not shift.assignments:
            return None
        first, last = min(a[2] for a in shift.assignments), max(a[3] for a in shift.assignments)
        shortest = self.rules.shift_min * 60
        if last - first < shortest:
            last = min(shift.end, first + shortest)
            first = max(shift.start, last - shortest)
        if (first, last) == (shift.start, shift.end):
            return shift
        trimmed = replace(shift, start=first, end=last)
        if last - first <= self.rules.break_after * 60:
            trimmed = replace(trimmed, break_start=None, break_end=None)
        problems: list[str] = []
        _check_shift(trimmed, self.rules, lambda code, _shift, _message: problems.append(code))
        return shift if problems else trimmed

    @staticmethod
    def _uncovered(day: _Day, skip: set[tuple[int, int]]) -> tuple[int, int] | None:
        return next(((s, w) for s in sorted(day.need) for w in sorted(day.need[s])
                     if w not in day.taken[s] and (s, w) not in skip), None)

    def _release(self, day: _Day, shift: ShiftPlan) -> None:
        for taken in day.taken.values():
            for window in [w for w, uid in taken.items() if uid == shift.user_id]:
                del taken[window]
        for s in self._break_slots(shift):
            day.breaks[s] -= 1

    def _claim(self, day: _Day, shift: ShiftPlan) -> None:
        for window, _cats, start, end in shift.assignments:
            for s in range(start // SLOT_SECONDS, -(-end // SLOT_SECONDS)):
                day.taken[s][window] = shift.user_id
        for s in self._break_slots(shift):
            day.breaks[s] += 1

    @staticmethod
    def _break_slots(shift: ShiftPlan) -> range:
        if shift.break_start is None or shift.break_end is None:
            return range(0)
        return range(shift.break_start // SLOT_SECONDS, (shift.break_end - 1) // SLOT_SECONDS + 1)

    def _extend(self, day: _Day, clerk: Clerk, shift: ShiftPlan, slot: int) -> ShiftPlan | None:
        """``shift`` lengthened (or its break moved) so that its clerk serves ``slot`` too, keeping
        its assignments; None when the rules allow no such shift."""
        a, b = _slot_span(slot, day.opening)
        start, end = min(shift.start, a), max(shift.end, b)
        if not self._length_ok(end - start, clerk):
            return None
        busy = [(s, e) for _w, _c, s, e in shift.assignments] + [(a, b)]
        pause = None
        if end - start > self.rules.break_after * 60:
            pause = self._place_break(day, start, end, avoid=busy)
            if pause is None:
                return None
        longer = ShiftPlan(user_id=shift.user_id, date=shift.date, start=start, end=end, break_start=pause,
                           break_end=None if pause is None else pause + self.rules.break_minutes * 60)
        saved = {s: dict(t) for s, t in day.taken.items()}
        self._release(day, shift)
        for s in self._break_slots(longer):
            day.breaks[s] += 1
        for window, _cats, s0, s1 in shift.assignments:
            for s in range(s0 // SLOT_SECONDS, -(-s1 // SLOT_SECONDS)):
                day.taken[s][window] = shift.user_id
        pieces = self._assign(day, clerk, longer, shift.assignments)
        for s in self._break_slots(longer):
            day.breaks[s] -= 1
        day.taken.clear()
        day.taken.update({s: dict(t) for s, t in saved.items()})
        for s in self._break_slots(shift):
            day.breaks[s] += 1
        return replace(longer, assignments=pieces)

    def _length_ok(self, length: int, clerk: Clerk) -> bool:
        r = self.rules
        if not r.shift_min * 60 <= length <= r.shift_max * 60 or length <= 0:
            return False
        if length > r.break_after * 60:
            pause = r.break_minutes * 60
            return (length - pause <= clerk.max_minutes_per_day * 60 and length - pause <= 2 * r.break_after * 60
                    and length - pause >= 2)
        return length <= clerk.max_minutes_per_day * 60

    def _servable(self, day: _Day, clerk: Clerk, slot: int) -> bool:
        return any(w not in day.taken[slot] and cats <= clerk.qualified for w, cats in day.need.get(slot, {}).items())

    def _shift_for(self, day: _Day, clerk: Clerk, slot: int) -> ShiftPlan | None:
        """The best feasible shift of ``clerk`` containing ``slot``: most needed slots served, then
        fewest idle ones (over-cover rather than under-cover), then the latest start."""
        first, last = day.opening[0] // SLOT_SECONDS, min(SLOTS_PER_DAY, -(-day.opening[1] // SLOT_SECONDS))
        servable = [1 if self._servable(day, clerk, s) else 0 for s in range(SLOTS_PER_DAY)]
        prefix = [0]
        for v in servable:
            prefix.append(prefix[-1] + v)
        best: tuple[tuple[int, int, int], int, int] | None = None
        for s0 in range(slot, first - 1, -1):
            for s1 in range(slot + 1, last + 1):
                start, end = max(s0 * SLOT_SECONDS, day.opening[0]), min(s1 * SLOT_SECONDS, day.opening[1])
                if not self._length_ok(end - start, clerk):
                    continue
                served = prefix[s1] - prefix[s0]
                if end - start > self.rules.break_after * 60:
                    served -= 2
                score = (served, -(s1 - s0), s0)
                if best is None or score > best[0]:
                    best = (score, start, end)
        if best is None:
            return None
        _score, start, end = best
        shift = ShiftPlan(user_id=clerk.user_id, date=day.date, start=start, end=end)
        if end - start > self.rules.break_after * 60:
            pause = self._place_break(day, start, end)
            if pause is None:
                return None
            shift = replace(shift, break_start=pause, break_end=pause + self.rules.break_minutes * 60)
            for s in self._break_slots(shift):
                day.breaks[s] += 1
        return replace(shift, assignments=self._assign(day, clerk, shift, ()))

    def _place_break(self, day: _Day, start: int, end: int,
                     avoid: Sequence[tuple[int, int]] = ()) -> int | None:
        """A break start keeping both stretches within break_after, in the slots of least need and
        fewest breaks already taken (so breaks stagger and coverage holds), nearest the middle."""
        r = self.rules
        pause, limit = r.break_minutes * 60, r.break_after * 60
        low = max(start + 1, end - pause - limit)
        high = min(start + limit, end - pause - 1)
        if low > high:
            return None
        points = {p for p in {low, high} | set(range(-(-low // GRID) * GRID, high + 1, GRID))
                  if not any(_overlaps(p, p + pause, a, b) for a, b in avoid)}
        if not points:
            return None
        middle = (start + end - pause) // 2

        def cost(at: int) -> tuple[int, int]:
            slots = range(at // SLOT_SECONDS, (at + pause - 1) // SLOT_SECONDS + 1)
            load = sum(len(day.need.get(s, {})) * 4 + day.breaks[s] * 3 - len(day.taken[s]) for s in slots)
            return load, abs(at - middle)

        return min(sorted(points), key=cost)

    def _assign(self, day: _Day, clerk: Clerk, shift: ShiftPlan, kept: Sequence[Piece]) -> tuple[Piece, ...]:
        """The shift's window assignments: ``kept`` ones, and in each other slot of the shift outside
        its break a needed window still free that the clerk may serve (the same window as before
        where it can), merged into ranges."""
        pieces: list[Piece] = list(kept)
        previous: int | None = None
        for s in range(shift.start // SLOT_SECONDS, -(-shift.end // SLOT_SECONDS)):
            a, b = _slot_span(s, day.opening)
            if a >= b or a < shift.start or b > shift.end or any(_overlaps(a, b, k[2], k[3]) for k in kept) or (
                    shift.break_start is not None and shift.break_end is not None
                    and _overlaps(a, b, shift.break_start, shift.break_end)):
                previous = None
                continue
            free = [(w, cats) for w, cats in day.need.get(s, {}).items()
                    if w not in day.taken[s] and cats <= clerk.qualified]
            if not free:
                previous = None
                continue
            free.sort(key=lambda wc: (wc[0] != previous, len(wc[1]), wc[0]))
            window, cats = free[0]
            day.taken[s][window] = clerk.user_id
            pieces.append((window, cats, a, b))
            previous = window
        merged: list[Piece] = []
        for piece in sorted(pieces, key=lambda p: p[2]):
            if merged and merged[-1][0] == piece[0] and merged[-1][1] == piece[1] and merged[-1][3] == piece[2]:
                merged[-1] = (piece[0], piece[1], merged[-1][2], piece[3])
            else:
                merged.append(piece)
        return tuple(merged)


def _served(shift: ShiftPlan) -> int:
    return sum(end - start for _w, _c, start, end in shift.assignments)


def needs_sorted(needs: Iterable[SlotNeed]) -> list[SlotNeed]:
    return sorted(needs, key=lambda n: (n.date, n.slot))


def propose(needs: Sequence[SlotNeed], clerks: Sequence[Clerk], rules: Rules, *,
            fairness: Mapping[int, int] | None = None) -> RosterResult:
    """Shifts and window assignments for the needs (issue #15 part 3): earliest uncovered window
    first, given to the qualified clerk free that day with the fewest minutes worked (``fairness``:
    minutes worked recently per clerk, plus what this proposal gives), early and late shifts in
    turn; each shift the feasible length that serves most of the need (over-covering where the
    shortest shift forces it), a break in its least-needed slot. Whatever the rules refuse is left
    out (so ``violations(result.shifts, rules) == []`` always) and uncovered slots are shortfalls."""
    shifts = _Planner(needs, clerks, rules, fairness or {}).run()
    while True:
        broken = {(v.user_id, v.date) for v in violations(shifts, rules)}
        if not broken:
            break
        shifts = [s for s in shifts if (s.user_id, s.date) not in broken]
    shifts.sort(key=lambda s: (s.date, s.start, s.user_id))
    return RosterResult(shifts=shifts, shortfalls=shortfalls_of(needs, shifts, rules))
