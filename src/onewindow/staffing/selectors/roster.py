"""Reads of rosters (issue #15 part 3): a center's policy, clerks and duty rules for a week, the
rosters its manager sees, each clerk's own shifts ("each clerk sees their own roster"), and the
plans the simulation compares (the current duty plan, a roster) as spans.

Scoping: ``my_shifts`` is the viewer's own; ``roster_for``/``rosters_of`` the center's manager only
(anyone else gets None or nothing, so pages answer 404). ``policy_of``, ``clerks_of``,
``rules_for``, ``current_plan``, ``roster_spans`` and ``shift_plans`` are not scoped: their callers
(the services, the proposal build, the simulation) check who may act first.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from onewindow.analytics import permissions
from onewindow.analytics.selectors.skills import clerk_categories
from onewindow.centers import permissions as center_perms
from onewindow.centers.facts import duties_of
from onewindow.centers.hours import hours_on
from onewindow.centers.models import Center, CenterStaff, TicketCategory, Window
from onewindow.centers.selectors import user_name
from onewindow.core.actors import Actor
from onewindow.training.choices import AttendanceStatus, SessionStatus
from onewindow.training.models import Attendance

from ..choices import RosterStatus
from ..models import Assignment, ClerkTerms, Leave, Roster, Shift, StaffingPolicy
from ..plans import ShiftPlan, Span
from ..rostering import Clerk, Rules, rules_from

SKILL_DAYS = 365  # a category served in the last 12 months qualifies
LUNCH_MINUTES = 45  # the demo history's lunch: two groups, 11:30 and 12:15 (centers.demo.history.staffed)
LUNCH_STARTS = (11 * 3600 + 1800, 12 * 3600 + 900)
FAIRNESS_WEEKS = 4


def _seconds(t: datetime.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _time(seconds: int) -> datetime.time:
    seconds = max(0, min(seconds, 24 * 3600 - 1))
    return datetime.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def week_days(week_start: datetime.date) -> list[datetime.date]:
    return [week_start + datetime.timedelta(days=n) for n in range(7)]


def policy_of(center_id: int) -> StaffingPolicy:
    """The center's target and duty rules: its row, or an unsaved one with the ``STAFFING_*`` defaults."""
    row = StaffingPolicy.objects.filter(center_id=center_id).first()
    if row is not None:
        return row
    return StaffingPolicy(center_id=center_id, target_share=settings.STAFFING_TARGET_SHARE,
                          target_minutes=settings.STAFFING_TARGET_MINUTES, shrinkage=settings.STAFFING_SHRINKAGE,
                          shift_min_minutes=settings.STAFFING_SHIFT_MIN_MINUTES,
                          shift_max_minutes=settings.STAFFING_SHIFT_MAX_MINUTES,
                          break_after_minutes=settings.STAFFING_BREAK_AFTER_MINUTES,
                          break_minutes=settings.STAFFING_BREAK_MINUTES)


def trained_categories(center_id: int, user_ids: Iterable[int], on: datetime.date) -> dict[int, set[int]]:
    """clerk id → categories of the center one of whose items the clerk was trained on: present at a
    held session (held or attendance recorded) of a course covering the item, in the 12 months before ``on``."""
    since = on - datetime.timedelta(days=SKILL_DAYS)
    rows = (Attendance.objects.filter(clerk_id__in=list(user_ids), status=AttendanceStatus.PRESENT,
                                      session__center_id=center_id,
                                      session__status__in=[SessionStatus.HELD, SessionStatus.RECORDED],
                                      session__starts_at__date__gte=since, session__starts_at__date__lt=on)
            .values_list("clerk_id", "session__course__items").distinct())
    items_of: dict[int, set[int]] = defaultdict(set)
    for clerk_id, item_id in rows:
        if item_id is not None:
            items_of[clerk_id].add(item_id)
    if not items_of:
        return {}
    category_items: dict[int, set[int]] = defaultdict(set)
    for category_id, item_id in TicketCategory.objects.filter(center_id=center_id, items__isnull=False) \
            .values_list("pk", "items"):
        category_items[category_id].add(item_id)
    return {uid: {c for c, its in category_items.items() if its & items} for uid, items in items_of.items()}


def clerks_of(center_id: int, week_start: datetime.date | Sequence[datetime.date]) -> list[Clerk]:
    """The center's valid, active clerks (managers are not rostered) with their terms (default:
    full time, ``STAFFING_SHIFT_MAX_MINUTES`` a day, 5 days a week) and qualifications: the
    categories they served in the 12 months before the week (``TicketHourFact``) and those they
    were trained on (training attendance). ``week_start`` may also be the week's dates."""
    if not isinstance(week_start, datetime.date):
        week_start = min(week_start)
    staff = list(CenterStaff.objects.filter(center_id=center_id, valid=True, is_manager=False,
                                            user__is_active=True).values_list("user_id", flat=True))
    users = {u.pk: u for u in get_user_model().objects.select_related("person").filter(pk__in=staff)}
    terms = {t.user_id: t for t in ClerkTerms.objects.filter(center_id=center_id, user_id__in=staff)}
    served = clerk_categories(center_id=center_id, start=week_start - datetime.timedelta(days=SKILL_DAYS),
                              end=week_start - datetime.timedelta(days=1))
    trained = trained_categories(center_id, staff, week_start)
    active = set(TicketCategory.objects.filter(center_id=center_id, is_active=True).values_list("pk", flat=True))
    out = []
    for uid in sorted(users):
        term = terms.get(uid)
        qualified = frozenset((set(served.get(uid, {})) | trained.get(uid, set())) & active)
        out.append(Clerk(user_id=uid, name=user_name(users[uid]), qualified=qualified,
                         part_time=bool(term and term.part_time),
                         max_minutes_per_day=term.max_minutes_per_day if term else settings.STAFFING_SHIFT_MAX_MINUTES,
                         max_days_per_week=term.max_days_per_week if term else 5))
    return out


def leave_of(center_id: int, days: list[datetime.date]) -> dict[int, set[datetime.date]]:
    """clerk id → the given days they are on leave (请假) at the center."""
    out: dict[int, set[datetime.date]] = defaultdict(set)
    if not days:
        return {}
    for uid, starts, ends in Leave.objects.filter(center_id=center_id, starts__lte=max(days), ends__gte=min(days)) \
            .values_list("user_id", "starts", "ends"):
        out[uid].update(d for d in days if starts <= d <= ends)
    return dict(out)


def opening_of(center_id: int, days: Iterable[datetime.date]) -> dict[datetime.date, tuple[int, int]]:
    """date → (opens, closes) in seconds of each day the center opens (first period's start to the
    last's end; the core calendar and special openings decide, as for tickets)."""
    center = Center.objects.get(pk=center_id)
    out = {}
    for day in days:
        periods = [p for p in hours_on(center, day) if p.opens is not None and p.closes is not None]
        if periods:
            out[day] = (min(_seconds(p.opens) for p in periods if p.opens is not None),
                        max(_seconds(p.closes) for p in periods if p.closes is not None))
    return out


def windows_of(center_id: int) -> dict[int, frozenset[int]]:
    """window id → the category ids it may serve."""
    ids = Window.objects.filter(center_id=center_id).values_list("pk", flat=True)
    out: dict[int, set[int]] = {w: set() for w in ids}
    for window_id, category_id in Window.categories.through.objects.filter(window__center_id=center_id) \
            .values_list("window_id", "ticketcategory_id"):
        out[window_id].add(category_id)
    return {w: frozenset(c) for w, c in out.items()}


def rules_for(center_id: int, week_start: datetime.date) -> Rules:
    """The duty rules of the center's week: its policy, clerks, leave, opening and windows."""
    days = week_days(week_start)
    clerks = clerks_of(center_id, week_start)
    return rules_from(policy_of(center_id), clerks, leave_of(center_id, days), opening_of(center_id, days),
                      windows_of(center_id))


def fairness_of(center_id: int, week_start: datetime.date, weeks: int = FAIRNESS_WEEKS) -> dict[int, int]:
    """clerk id → minutes worked in the published rosters of the ``weeks`` weeks before (fair rotation)."""
    out: dict[int, int] = defaultdict(int)
    shifts = Shift.objects.filter(roster__center_id=center_id, roster__status=RosterStatus.PUBLISHED,
                                  date__gte=week_start - datetime.timedelta(weeks=weeks), date__lt=week_start)
    for uid, starts, ends, bs, be in shifts.values_list("user_id", "starts", "ends", "break_starts", "break_ends"):
        pause = _seconds(be) - _seconds(bs) if bs is not None and be is not None else 0
        out[uid] += (_seconds(ends) - _seconds(starts) - pause) // 60
    return dict(out)


def _with_assignments(qs: QuerySet[Shift]) -> QuerySet[Shift]:
    return qs.select_related("user__person", "roster").prefetch_related(
        Prefetch("assignments", queryset=Assignment.objects.select_related("window").prefetch_related("categories")))


def my_shifts(by: Actor, since: datetime.date, until: datetime.date) -> QuerySet[Shift]:
    """The viewer's own shifts of published rosters from ``since`` to ``until``, with assignments."""
    user = center_perms.user_of(by)
    if user is None or not getattr(user, "pk", None):
        return Shift.objects.none()
    return _with_assignments(Shift.objects.filter(user_id=user.pk, roster__status=RosterStatus.PUBLISHED,
                                                  date__gte=since, date__lte=until)).order_by("date", "starts")


def roster_for(by: Actor, roster_id: Any) -> Roster | None:
    """A roster, for its center's manager only (None otherwise, and for an unknown id)."""
    try:
        pk = int(roster_id)
    except (TypeError, ValueError):
        return None
    roster = Roster.objects.filter(pk=pk).first()
    if roster is None or not permissions.can_manage(by, roster.center_id):
        return None
    return roster


def rosters_of(by: Actor, center_id: int) -> QuerySet[Roster]:
    """The center's rosters, newest week first, for its manager (nothing for anyone else)."""
    if not permissions.can_manage(by, center_id):
        return Roster.objects.none()
    return Roster.objects.filter(center_id=center_id).order_by("-week_start", "-id")


def roster_shifts(roster_id: int) -> QuerySet[Shift]:
    """A roster's shifts with their assignments (the caller has checked access)."""
    return _with_assignments(Shift.objects.filter(roster_id=roster_id)).order_by("date", "starts", "user_id")


def plan_of(shift: Shift) -> ShiftPlan:
    return ShiftPlan(user_id=shift.user_id, date=shift.date, start=_seconds(shift.starts), end=_seconds(shift.ends),
                     break_start=None if shift.break_starts is None else _seconds(shift.break_starts),
                     break_end=None if shift.break_ends is None else _seconds(shift.break_ends),
                     assignments=tuple((a.window_id, frozenset(c.pk for c in a.categories.all()),
                                        _seconds(a.starts), _seconds(a.ends))
                                       for a in shift.assignments.all()))


def shift_plans(roster_id: int) -> list[ShiftPlan]:
    """A roster's shifts as plain values (for validation and the simulation)."""
    return [plan_of(s) for s in roster_shifts(roster_id)]


def roster_spans(roster_id: int) -> dict[datetime.date, list[Span]]:
    """A roster's assignments as spans per date (for the simulation)."""
    out: dict[datetime.date, list[Span]] = defaultdict(list)
    for plan in shift_plans(roster_id):
        for window_id, categories, start, end in plan.assignments:
            out[plan.date].append(Span(window_id, categories, start, end, plan.user_id))
    for spans in out.values():
        spans.sort(key=lambda s: (s.start, s.window_id))
    return dict(out)


def current_plan(center_id: int, days: Iterable[datetime.date]) -> dict[datetime.date, list[Span]]:
    """The existing duty plan (现行排班, ``WindowDuty``: one clerk per window per day) as spans: each
    duty's window open over the center's opening hours of the day with the window's categories,
    less a 45-minute lunch staggered in two groups (windows in number order alternately at 11:30
    and 12:15), as the demo history staffs its windows (``centers.demo.history``). A duty on a
    closed day gives nothing."""
    days = list(days)
    opening = opening_of(center_id, days)
    windows = windows_of(center_id)
    numbers = dict(Window.objects.filter(center_id=center_id).values_list("pk", "number"))
    by_day: dict[datetime.date, list[tuple[int, int]]] = defaultdict(list)
    for day, window_id, user_id in duties_of(center_id, days):
        by_day[day].append((window_id, user_id))
    out: dict[datetime.date, list[Span]] = {}
    for day in days:
        if day not in opening or not by_day.get(day):
            continue
        opens, closes = opening[day]
        spans = []
        for i, (window_id, user_id) in enumerate(sorted(by_day[day], key=lambda d: numbers.get(d[0], 0))):
            cats = windows.get(window_id, frozenset())
            lunch = LUNCH_STARTS[i % 2]
            lunch_end = lunch + LUNCH_MINUTES * 60
            if opens < lunch and lunch_end < closes:
                spans += [Span(window_id, cats, opens, lunch, user_id),
                          Span(window_id, cats, lunch_end, closes, user_id)]
            else:
                spans.append(Span(window_id, cats, opens, closes, user_id))
        out[day] = sorted(spans, key=lambda s: (s.start, s.window_id))
    return out
