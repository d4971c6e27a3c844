"""Writes of rosters (issue #15 part 3): the center's policy (target and duty rules), each clerk's
terms and leave, rosters with their shifts and window assignments, and publishing a roster.

Actor: the center's manager (``permissions.can_manage``; a system admin manages every center; the
system actor — the demo, a job — may write drafts); anyone else gets 404 as if the center did not
exist. Every shift is checked with ``rostering.violations`` against the week's rules before a row
is written: any broken rule refuses the whole write with 422 ``staffing_roster_rule`` listing each
(code, clerk, date). Each write is one transaction with its audit entry; a refusal writes nothing.

Publishing (发布) makes the roster the week's one published roster (the previous one becomes
withdrawn), writes each clerk's first window of each day as the day's duty (``WindowDuty``, the day's plan
replaced whole through ``centers.services.windows.duties_replace``: the window terminals read it) and sets each
appointment slot's capacity from the windows planned (``appointment_slot_save``), so bookings
never exceed what the roster can serve ("Appointment capacity per slot follows the roster").
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onewindow.centers.models import AppointmentSlot, Center, CenterStaff, TicketCategory
from onewindow.centers.services.setup import appointment_slot_save
from onewindow.centers.services.windows import duties_replace
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError, NotFound
from onewindow.core.normalize import has_invalid_characters

from .. import permissions
from ..choices import LeaveKind, RosterSource, RosterStatus, TargetKind
from ..models import Assignment, ClerkTerms, Leave, Proposal, Roster, Shift, StaffingPolicy
from ..plans import ShiftPlan
from ..rostering import Violation, clock, violations
from ..selectors import roster as selectors

MAX_SHIFTS = 2000  # a week of a large center is a few hundred
DAY_SECONDS = 24 * 3600
POLICY_FIELDS = ("target_kind", "target_share", "target_minutes", "shrinkage", "shift_min_minutes",
                 "shift_max_minutes", "break_after_minutes", "break_minutes")


class RosterRuleError(DomainError):
    """A roster that breaks duty rules (422 ``staffing_roster_rule``): ``violations`` each with its
    code, clerk and date; ``fields["shifts"]`` the same as sentences."""

    status = 422
    code = "staffing_roster_rule"

    def __init__(self, found: Sequence[Violation]) -> None:
        lines = [f"{v.date.isoformat()} #{v.user_id}：{v.message}" for v in found]
        shown = "；".join(lines[:5]) + ("……" if len(lines) > 5 else "")
        super().__init__(gettext("排班不符合规则：%(list)s") % {"list": shown}, fields={"shifts": list(lines)})
        self.violations = list(found)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "violations": [v.as_dict() for v in self.violations]}


def _invalid(field: str, message: Any, code: str) -> DomainError:
    return DomainError(_("提交的排班信息不正确。"), code=code, status=422, fields={field: [message]})


def _pk(value: Any) -> int | None:
    raw = str(getattr(value, "pk", value) if value is not None else "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _guard(by: Actor, center_id: Any) -> int:
    """The center's id for its manager (or the system actor); 404 for anyone else."""
    pk = _pk(center_id)
    if pk is not None and is_system(by) and Center.objects.filter(pk=pk).exists():
        return pk
    return permissions.require_manager(by, center_id)


def _user(by: Actor) -> Any:
    return None if is_system(by) else permissions.center_perms.user_of(by)


def _clerk(center_id: int, user_id: Any) -> int:
    """A valid, active clerk (not manager) of the center, else 422 ``staffing_clerk_invalid``."""
    uid = _pk(user_id)
    if uid is None or not CenterStaff.objects.filter(center_id=center_id, user_id=uid, valid=True, is_manager=False,
                                                     user__is_active=True).exists():
        raise _invalid("user_id", _("请选择本中心的工作人员。"), "staffing_clerk_invalid")
    return uid


# --- policy, terms, leave ----------------------------------------------------------------------


def _number(value: Any, *, integer: bool) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not float(value).is_integer()):
        return None
    if not math.isfinite(float(value)):
        return None
    return value


def policy_update(*, by: Actor, center_id: Any, **fields: Any) -> StaffingPolicy:
    """The manager sets the center's service target, shrinkage and duty rules. Each value is checked
    (share in (0, 1); target minutes 1..240; shrinkage in [0, 0.6); shift lengths 30..720 with
    min ≤ max; break after 30..720; break 0..240 and shorter than the longest shift); any wrong
    value refuses all with 422 ``staffing_policy_invalid`` naming the fields."""
    unknown = sorted(set(fields) - set(POLICY_FIELDS))
    if unknown:
        raise DomainError(_("调配规则不正确。"), code="staffing_policy_invalid", status=422,
                          fields={unknown[0]: [_("该项不能修改。")]})
    with transaction.atomic():
        pk = _guard(by, center_id)
        row = StaffingPolicy.objects.select_for_update().filter(center_id=pk).first() or selectors.policy_of(pk)
        before = {name: getattr(row, name) for name in POLICY_FIELDS}
        merged = {**before, **fields}
        errors = _policy_errors(merged)
        if errors:
            raise DomainError(_("调配规则不正确。"), code="staffing_policy_invalid", status=422, fields=errors)
        for name in POLICY_FIELDS:
            setattr(row, name, merged[name])
        row.updated_by = _user(by)
        row.save()
        audit_record(actor=by, action="staffing.policy.update", target=row, before=before,
                     after={name: merged[name] for name in POLICY_FIELDS})
    return row


def _policy_errors(v: dict[str, Any]) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    if v["target_kind"] not in TargetKind.values:
        errors["target_kind"] = [_("请选择有效的服务目标类型。")]
    share = _number(v["target_share"], integer=False)
    if share is None or not 0 < share < 1:
        errors["target_share"] = [_("比例须大于0且小于1。")]
    checks = (("target_minutes", 1, 240), ("shift_min_minutes", 30, 720), ("shift_max_minutes", 30, 720),
              ("break_after_minutes", 30, 720), ("break_minutes", 0, 240))
    for name, low, high in checks:
        n = _number(v[name], integer=True)
        if n is None or not low <= n <= high:
            errors[name] = [_("须为%(low)s到%(high)s之间的整数（分钟）。") % {"low": low, "high": high}]
    shrinkage = _number(v["shrinkage"], integer=False)
    if shrinkage is None or not 0 <= shrinkage < 0.6:
        errors["shrinkage"] = [_("折损率须不小于0且小于0.6。")]
    if not errors and v["shift_min_minutes"] > v["shift_max_minutes"]:
        errors["shift_min_minutes"] = [_("班次最短不能超过班次最长。")]
    if not errors and v["break_minutes"] >= v["shift_max_minutes"]:
        errors["break_minutes"] = [_("休息时长须短于班次最长。")]
    return errors


def terms_set(*, by: Actor, center_id: Any, user_id: Any, part_time: bool, max_minutes_per_day: Any,
              max_days_per_week: Any) -> ClerkTerms:
    """The manager sets a clerk's terms (用工): part-time or not, minutes a day (30..720), days a week (1..7)."""
    with transaction.atomic():
        pk = _guard(by, center_id)
        uid = _clerk(pk, user_id)
        minutes, days = _number(max_minutes_per_day, integer=True), _number(max_days_per_week, integer=True)
        if minutes is None or not 30 <= minutes <= 720:
            raise _invalid("max_minutes_per_day", _("须为30到720之间的整数（分钟）。"), "staffing_terms_invalid")
        if days is None or not 1 <= days <= 7:
            raise _invalid("max_days_per_week", _("须为1到7之间的整数。"), "staffing_terms_invalid")
        row, _created = ClerkTerms.objects.select_for_update().get_or_create(center_id=pk, user_id=uid)
        before = {"part_time": row.part_time, "max_minutes_per_day": row.max_minutes_per_day,
                  "max_days_per_week": row.max_days_per_week}
        row.part_time, row.max_minutes_per_day, row.max_days_per_week = bool(part_time), int(minutes), int(days)
        row.save()
        audit_record(actor=by, action="staffing.terms.set", target=row, before=before,
                     after={"part_time": row.part_time, "max_minutes_per_day": row.max_minutes_per_day,
                            "max_days_per_week": row.max_days_per_week})
    return row


def leave_add(*, by: Actor, center_id: Any, user_id: Any, starts: Any, ends: Any, kind: Any = LeaveKind.ANNUAL,
              note: Any = "") -> Leave:
    """The manager records a clerk's leave (请假) from ``starts`` to ``ends`` (inclusive, at most a year)."""
    with transaction.atomic():
        pk = _guard(by, center_id)
        uid = _clerk(pk, user_id)
        if not isinstance(starts, datetime.date) or isinstance(starts, datetime.datetime):
            raise _invalid("starts", _("请填写有效的日期。"), "staffing_leave_invalid")
        if not isinstance(ends, datetime.date) or isinstance(ends, datetime.datetime) or ends < starts:
            raise _invalid("ends", _("结束日期不能早于开始日期。"), "staffing_leave_invalid")
        if (ends - starts).days > 366:
            raise _invalid("ends", _("一次请假不超过一年。"), "staffing_leave_invalid")
        if kind not in LeaveKind.values:
            raise _invalid("kind", _("请选择有效的请假类别。"), "staffing_leave_invalid")
        text = str(note or "").strip()
        if len(text) > 200:
            raise _invalid("note", _("内容过长。"), "staffing_leave_invalid")
        if has_invalid_characters(text):
            raise _invalid("note", _("包含无效字符"), "text_invalid")
        row = Leave.objects.create(center_id=pk, user_id=uid, starts=starts, ends=ends, kind=kind, note=text,
                                   created_by=_user(by))
        audit_record(actor=by, action="staffing.leave.add", target=row,
                     after={"user": uid, "starts": starts.isoformat(), "ends": ends.isoformat(), "kind": kind})
    return row


def leave_remove(*, by: Actor, leave_id: Any) -> None:
    """The manager removes a leave record of the center (404 for anyone else or an unknown id)."""
    with transaction.atomic():
        pk = _pk(leave_id)
        row = Leave.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
        if row is None:
            raise NotFound(_("找不到该请假记录。"), code="staffing_leave_not_found")
        try:
            _guard(by, row.center_id)
        except NotFound:
            raise NotFound(_("找不到该请假记录。"), code="staffing_leave_not_found") from None
        audit_record(actor=by, action="staffing.leave.remove", target=row,
                     before={"user": row.user_id, "starts": row.starts.isoformat(), "ends": row.ends.isoformat(),
                             "kind": row.kind})
        row.delete()


# --- rosters -----------------------------------------------------------------------------------


def _seconds(value: Any, field: str) -> int:
    if isinstance(value, datetime.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < DAY_SECONDS:
        return value
    raise _invalid(field, _("请填写有效的时间。"), "staffing_shift_invalid")


def _time(seconds: int) -> datetime.time:
    return datetime.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _checked(plan: Any) -> ShiftPlan:
    """A shift as entered, with its values' types checked (the rules are checked by ``violations``)."""
    if not isinstance(plan, ShiftPlan) or _pk(plan.user_id) is None or not isinstance(plan.date, datetime.date) \
            or isinstance(plan.date, datetime.datetime):
        raise _invalid("shifts", _("班次内容不正确。"), "staffing_shift_invalid")
    for name in ("start", "end", "break_start", "break_end"):
        value = getattr(plan, name)
        if value is not None:
            _seconds(value, name)
    if not isinstance(plan.assignments, tuple) or len(plan.assignments) > 48:
        raise _invalid("assignments", _("窗口分派不正确。"), "staffing_shift_invalid")
    for piece in plan.assignments:
        if not (isinstance(piece, tuple) and len(piece) == 4 and _pk(piece[0]) is not None
                and isinstance(piece[1], frozenset) and all(_pk(c) is not None for c in piece[1])):
            raise _invalid("assignments", _("窗口分派不正确。"), "staffing_shift_invalid")
        _seconds(piece[2], "assignments")
        _seconds(piece[3], "assignments")
    return plan


def _week_violations(plans: Iterable[ShiftPlan], week_start: datetime.date) -> list[Violation]:
    last = week_start + datetime.timedelta(days=6)
    return [Violation("outside_week", p.user_id, p.date, gettext("班次日期不在本周（%(a)s至%(b)s）")
                      % {"a": week_start.isoformat(), "b": last.isoformat()})
            for p in plans if not week_start <= p.date <= last]


def _validate(center_id: int, week_start: datetime.date, plans: Sequence[ShiftPlan],
              unchanged: Sequence[ShiftPlan] = ()) -> None:
    """Refuse with every broken rule of ``plans`` together with ``unchanged`` (the roster's other
    shifts, whose own faults — e.g. a leave recorded since — are not this write's)."""
    rules = selectors.rules_for(center_id, week_start)
    found = _week_violations(plans, week_start) + violations([*unchanged, *plans], rules)
    if unchanged:
        before = [(v.code, v.user_id, v.date) for v in violations(list(unchanged), rules)]
        for key in before:
            match = next((v for v in found if (v.code, v.user_id, v.date) == key), None)
            if match is not None:
                found.remove(match)
    if found:
        raise RosterRuleError(found)


def _write_shifts(roster: Roster, plans: Sequence[ShiftPlan]) -> list[Shift]:
    rows = Shift.objects.bulk_create([
        Shift(roster=roster, user_id=p.user_id, date=p.date, starts=_time(p.start), ends=_time(p.end),
              break_starts=None if p.break_start is None else _time(p.break_start),
              break_ends=None if p.break_end is None else _time(p.break_end)) for p in plans])
    pieces = []
    for row, p in zip(rows, plans, strict=True):
        for window_id, cats, start, end in p.assignments:
            pieces.append((Assignment(shift=row, window_id=window_id, starts=_time(start), ends=_time(end)), cats))
    made = Assignment.objects.bulk_create([a for a, _c in pieces])
    through = Assignment.categories.through
    through.objects.bulk_create([through(assignment_id=a.pk, ticketcategory_id=c)
                                 for a, (_a, cats) in zip(made, pieces, strict=True) for c in sorted(cats)])
    return rows


def _week(week_start: Any) -> datetime.date:
    if not isinstance(week_start, datetime.date) or isinstance(week_start, datetime.datetime) \
            or week_start.weekday() != 0:
        raise DomainError(_("周起始日须为星期一。"), code="staffing_week_invalid", status=422,
                          fields={"week_start": [_("请选择星期一。")]})
    return week_start


def roster_create(*, by: Actor, center_id: Any, week_start: datetime.date, shifts: Sequence[ShiftPlan],
                  source: str = RosterSource.MANUAL, proposal: Proposal | None = None,
                  proposal_id: Any = None) -> Roster:
    """A draft roster of the center's week (``week_start`` a Monday) from shifts (a proposal's or
    entered by hand). All shifts are checked first; any broken rule refuses with 422
    ``staffing_roster_rule`` and nothing is written."""
    with transaction.atomic():
        pk = _guard(by, center_id)
        week = _week(week_start)
        if source not in RosterSource.values:
            raise _invalid("source", _("来源不正确。"), "staffing_roster_invalid")
        if len(shifts) > MAX_SHIFTS:
            raise _invalid("shifts", _("班次过多。"), "staffing_roster_invalid")
        plans = [_checked(p) for p in shifts]
        linked = proposal.pk if proposal is not None else _pk(proposal_id) if proposal_id is not None else None
        if linked is not None and not Proposal.objects.filter(pk=linked, center_id=pk).exists():
            raise _invalid("proposal", _("找不到该排班建议。"), "staffing_roster_invalid")
        _validate(pk, week, plans)
        roster = Roster.objects.create(center_id=pk, week_start=week, source=source, proposal_id=linked,
                                       created_by=_user(by), created_at=timezone.now())
        _write_shifts(roster, plans)
        audit_record(actor=by, action="staffing.roster.create", target=roster,
                     after={"week_start": week.isoformat(), "source": source, "shifts": len(plans),
                            "proposal": linked})
    return roster


def _locked_roster(by: Actor, roster_id: Any) -> Roster:
    pk = _pk(roster_id)
    roster = Roster.objects.select_for_update().filter(pk=pk).first() if pk is not None else None
    if roster is None:
        raise NotFound(_("找不到该排班表。"), code="staffing_roster_not_found")
    try:
        _guard(by, roster.center_id)
    except NotFound:
        raise NotFound(_("找不到该排班表。"), code="staffing_roster_not_found") from None
    return roster


def _draft(roster: Roster) -> None:
    if roster.status == RosterStatus.PUBLISHED:
        raise Conflict(_("排班表已发布，不能修改；请另编排班表。"), code="staffing_roster_published")
    if roster.status != RosterStatus.DRAFT:
        raise Conflict(_("排班表已撤销，不能修改。"), code="staffing_roster_withdrawn")


def shift_save(*, by: Actor, roster_id: Any, user_id: Any, date: datetime.date, starts: Any, ends: Any,
               break_starts: Any = None, break_ends: Any = None,
               assignments: Iterable[tuple[Any, Iterable[Any], Any, Any]] = (), shift_id: Any = None) -> Shift:
    """Add a shift to a draft roster, or change one (``shift_id``): times as ``datetime.time`` or
    seconds of the day, ``assignments`` (window id, category ids, start, end). Checked with the
    roster's other shifts; a published roster refuses 409 ``staffing_roster_published``."""
    with transaction.atomic():
        roster = _locked_roster(by, roster_id)
        _draft(roster)
        existing = None
        if shift_id is not None:
            existing = Shift.objects.filter(pk=_pk(shift_id) or 0, roster=roster).first()
            if existing is None:
                raise NotFound(_("找不到该班次。"), code="staffing_shift_not_found")
        try:
            pieces = tuple((int(w), frozenset(int(c) for c in cats), _seconds(a, "assignments"),
                            _seconds(b, "assignments")) for w, cats, a, b in assignments)
        except (TypeError, ValueError):
            raise _invalid("assignments", _("窗口分派不正确。"), "staffing_shift_invalid") from None
        plan = _checked(ShiftPlan(
            user_id=_pk(user_id) or 0, date=date, start=_seconds(starts, "starts"), end=_seconds(ends, "ends"),
            break_start=None if break_starts is None else _seconds(break_starts, "break_starts"),
            break_end=None if break_ends is None else _seconds(break_ends, "break_ends"), assignments=pieces))
        others = [p for s, p in ((s, selectors.plan_of(s)) for s in selectors.roster_shifts(roster.pk))
                  if existing is None or s.pk != existing.pk]
        _validate(roster.center_id, roster.week_start, [plan], others)
        before = None
        if existing is not None:
            before = {"user": existing.user_id, "date": existing.date.isoformat(),
                      "starts": existing.starts.isoformat(), "ends": existing.ends.isoformat()}
            existing.delete()
        (row,) = _write_shifts(roster, [plan])
        audit_record(actor=by, action="staffing.shift.save", target=roster, before=before,
                     after={"shift": row.pk, "user": plan.user_id, "date": plan.date.isoformat(),
                            "starts": clock(plan.start), "ends": clock(plan.end),
                            "assignments": [[w, sorted(c), clock(a), clock(b)] for w, c, a, b in pieces]})
    return row


def shift_delete(*, by: Actor, shift_id: Any) -> None:
    """Remove a shift of a draft roster (409 ``staffing_roster_published`` once published)."""
    with transaction.atomic():
        pk = _pk(shift_id)
        shift = Shift.objects.filter(pk=pk).first() if pk is not None else None
        if shift is None:
            raise NotFound(_("找不到该班次。"), code="staffing_shift_not_found")
        try:
            roster = _locked_roster(by, shift.roster_id)
        except NotFound:
            raise NotFound(_("找不到该班次。"), code="staffing_shift_not_found") from None
        _draft(roster)
        audit_record(actor=by, action="staffing.shift.delete", target=roster,
                     before={"shift": shift.pk, "user": shift.user_id, "date": shift.date.isoformat()})
        shift.delete()


def roster_publish(*, by: Actor, roster_id: Any) -> Roster:
    """Publish a draft roster: checked again against today's rules (leave may have been recorded
    since), the week's previously published roster withdrawn, each clerk's first window of each
    day written as the day's duty plan (replacing that day's plan whole), and each appointment
    slot's capacity set from the windows planned."""
    with transaction.atomic():
        roster = _locked_roster(by, roster_id)
        _draft(roster)
        plans = selectors.shift_plans(roster.pk)
        _validate(roster.center_id, roster.week_start, plans)
        previous = list(Roster.objects.select_for_update().filter(
            center_id=roster.center_id, week_start=roster.week_start, status=RosterStatus.PUBLISHED))
        for old in previous:
            old.status = RosterStatus.WITHDRAWN
            old.save(update_fields=["status"])
        roster.status, roster.published_by, roster.published_at = RosterStatus.PUBLISHED, _user(by), timezone.now()
        roster.save(update_fields=["status", "published_by", "published_at"])
        written, skipped = _write_duties(by, roster, plans)
        capacities = _set_capacities(by, roster, plans)
        audit_record(actor=by, action="staffing.roster.publish", target=roster,
                     after={"withdrawn": [r.pk for r in previous], "duties": written, "duties_skipped": skipped,
                            "slots": capacities})
    return roster


def _write_duties(by: Actor, roster: Roster, plans: Sequence[ShiftPlan]) -> tuple[int, list[list[Any]]]:
    """Each day of the roster that has shifts gets its duty plan replaced whole
    (``centers.services.duties_replace``): each clerk at the first window of their day not already
    taken by an earlier shift (a window has one duty a day); a clerk whose windows are all taken
    is skipped (returned, for the audit entry). A day without shifts keeps its plan."""
    by_day: dict[datetime.date, list[ShiftPlan]] = {}
    for plan in plans:
        if plan.assignments:
            by_day.setdefault(plan.date, []).append(plan)
    written, skipped = 0, []
    for day in sorted(by_day):
        taken: set[int] = set()
        duties: list[tuple[int, int]] = []
        for plan in sorted(by_day[day], key=lambda p: (p.start, p.user_id)):
            window_id = next((a[0] for a in sorted(plan.assignments, key=lambda a: a[2]) if a[0] not in taken), None)
            if window_id is None:
                skipped.append([day.isoformat(), plan.assignments[0][0], plan.user_id])
                continue
            taken.add(window_id)
            duties.append((window_id, plan.user_id))
        duties_replace(by=by, center_id=roster.center_id, day=day, duties=duties)
        written += len(duties)
    return written, skipped


def bookable_share() -> float:
    """The share of planned window time that appointments may take (STAFFING_BOOKABLE_SHARE, 0.5)."""
    return float(getattr(settings, "STAFFING_BOOKABLE_SHARE", 0.5))


def slot_capacity(seconds_planned: int, service_minutes: int, share: float) -> int:
    """Bookings one appointment slot can take: the window time planned for its category in the
    slot over the category's planned service time, times the bookable share, rounded down."""
    return math.floor(seconds_planned / (max(1, service_minutes) * 60) * share)


def _set_capacities(by: Actor, roster: Roster, plans: Sequence[ShiftPlan]) -> int:
    days = [roster.week_start + datetime.timedelta(days=d) for d in range(7)]
    service = dict(TicketCategory.objects.filter(center_id=roster.center_id).values_list("pk", "service_minutes"))
    share, changed = bookable_share(), 0
    for slot in AppointmentSlot.objects.filter(center_id=roster.center_id, date__in=days).order_by("pk"):
        a, b = _seconds(slot.starts, "starts"), _seconds(slot.ends, "ends")
        planned = sum(max(0, min(b, end) - max(a, start))
                      for p in plans if p.date == slot.date
                      for _w, cats, start, end in p.assignments if slot.category_id in cats)
        capacity = max(slot.booked, slot_capacity(planned, service.get(slot.category_id, 8), share))
        if capacity != slot.capacity:
            appointment_slot_save(by=by, center_id=roster.center_id, slot_id=slot.pk, capacity=capacity)
            changed += 1
    return changed
