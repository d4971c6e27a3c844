"""Clocks follow the working-day calendar (行政许可法 art. 82; issue #10).

Actor: whoever changed the calendar (a system administrator in the admin, an operator's command),
through ``core.services.calendar_days_set`` / ``calendar_day_delete`` / ``calendar_recompute``,
which call :func:`clocks_recompute` as the cases app's *calendar listener* in their transaction
(registered in ``CasesConfig.ready()``; docs/decisions/0011).

Rule: a running clock counted in working days whose span — after its start day, up to its due
date — contains a changed day is recomputed from its start, limit, extensions and the days of its
closed art. 45 suspensions, counted on the new calendar. Bounded: only those clocks are read, by
the running-clock index; batched: ``BATCH`` cases at a time, their rows locked case first, the
calendar overrides read once per batch, the rows written with one statement per table. For each
case whose clock moved, one timeline event ``deadline_recalculated`` and one audit entry. The
internal target (``due_date``) takes the new date; the date told to the applicant
(``promised_due_date``) only moves later — an added adjusted workday (调休) shortens the target,
never the promise — and when it does move later the applicant gets an SMS and in-app message
(``case_deadline_postponed``) and the event is public.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record_many
from onewindow.core.calendar import WorkingDays

from .. import deadlines
from ..choices import CaseAction, ClockKind
from ..models import Case, CaseClock, CaseEvent, ClockSuspension
from . import common

BATCH = 500
#: Clocks whose date the applicant was told (the receipt and the notices of art. 42): when their
#: promise moves later the applicant gets a message. The correction-notice and delivery clocks
#: bind the agency alone.
TOLD_KINDS = frozenset({ClockKind.DECISION})
#: How far past the latest due date of a batch the calendar is read up front (a recomputed date
#: moves past it by the holidays found); later days are read on demand.
MARGIN = datetime.timedelta(days=60)


def _affected_case_ids(first: datetime.date, last: datetime.date) -> list[int]:
    return sorted(set(CaseClock.objects.filter(stopped_on__isnull=True, unit="working", start_date__lt=last,
                                               due_date__gte=first).values_list("case_id", flat=True)))


def _suspended_days(suspensions: list[ClockSuspension], unit: str, days: WorkingDays) -> int:
    return sum(max(0, deadlines.days_between(s.start_date, s.end_date, unit, days=days))
               for s in suspensions if s.end_date is not None)


def _recompute_clock(clock: CaseClock, suspensions: list[ClockSuspension], days: WorkingDays,
                     today: datetime.date) -> dict[str, Any] | None:
    """Recompute one clock in memory; the change (for the event) or None when nothing moved."""
    suspended = _suspended_days(suspensions, clock.unit, days)
    due = deadlines.due_date(start=clock.start_date, limit_days=clock.limit_days, extended_days=clock.extended_days,
                             suspended_days=suspended, unit=clock.unit, days=days)
    if (due, suspended) == (clock.due_date, clock.suspended_days):
        return None
    previous_due, previous_promise = clock.due_date, clock.promised_due_date or clock.due_date
    open_since = next((s.start_date for s in suspensions if s.end_date is None), None)
    clock.due_date, clock.suspended_days = due, suspended
    clock.promised_due_date = deadlines.promise(previous_promise, due)
    clock.level = deadlines.level_on(today=today, start=clock.start_date, limit_days=clock.limit_days,
                                     extended_days=clock.extended_days, suspended_days=suspended, due=due,
                                     unit=clock.unit, open_suspension_since=open_since)
    return {"kind": clock.kind, "due_date": due.isoformat(), "previous_due_date": previous_due.isoformat(),
            "promised_due_date": clock.promised_due_date.isoformat(),
            "postponed": clock.promised_due_date > previous_promise}


def _update_grouped(model: Any, rows: list[tuple[int, tuple[tuple[str, Any], ...]]]) -> None:
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for pk, values in rows:
        groups.setdefault(values, []).append(pk)
    for values, pks in groups.items():
        model.objects.filter(pk__in=pks).update(**dict(values))


def _actor(by: Actor) -> tuple[User | None, str, str]:
    """The event actor, its label and audit role, read once for the whole recomputation."""
    user = None if is_system(by) else account_perms.as_user(by)
    if user is None:
        return None, str(_("系统")), ""
    label = user.person.name if user.person else user.get_username()
    return user, label[:100], account_perms.primary_role(user)


def _recompute_batch(case_ids: list[int], *, by: Actor, first: datetime.date, last: datetime.date,
                     today: datetime.date) -> int:
    """One batch in a constant number of statements (locks, reads, one UPDATE per table, one INSERT
    of events and one of audit entries), plus the outbox rows of the cases whose promise moved."""
    cases = {c.pk: c for c in Case.objects.select_for_update(of=("self",))
             .select_related("owner", "applicant_person").filter(pk__in=case_ids).order_by("pk")}
    clocks = list(CaseClock.objects.select_for_update().filter(case_id__in=case_ids, stopped_on__isnull=True)
                  .order_by("case_id", "pk"))
    suspensions: dict[int, list[ClockSuspension]] = {}
    for suspension in ClockSuspension.objects.filter(clock__in=[c.pk for c in clocks]).order_by("pk"):
        suspensions.setdefault(suspension.clock_id, []).append(suspension)
    days = WorkingDays(min(c.start_date for c in clocks), max(c.due_date for c in clocks) + MARGIN) if clocks \
        else WorkingDays()
    by_case: dict[int, list[CaseClock]] = {}
    for clock in clocks:
        by_case.setdefault(clock.case_id, []).append(clock)
    user, label, role = _actor(by)
    moved_clocks: list[CaseClock] = []
    moved_cases: list[tuple[Case, dict[str, Any], bool]] = []
    for case_id, running in by_case.items():
        case = cases[case_id]
        changes: list[dict[str, Any]] = []
        for clock in running:
            if clock.unit != "working" or not (clock.start_date < last and clock.due_date >= first):
                continue
            change = _recompute_clock(clock, suspensions.get(clock.pk, []), days, today)
            if change is not None:
                moved_clocks.append(clock)
                changes.append(change)
        if not changes:
            continue
        running.sort(key=lambda c: (c.due_date, c.pk))
        case.due_date = running[0].due_date
        case.deadline_level = max((c.level for c in running), key=lambda lvl: deadlines.LEVEL_RANK[lvl])
        postponed = [c for c in changes if c["postponed"] and c["kind"] in TOLD_KINDS]
        main = postponed[0] if postponed else changes[0]
        data = {k: v for k, v in main.items() if k != "postponed"}
        data["calendar"] = [first.isoformat(), last.isoformat()]
        moved_cases.append((case, data, bool(postponed)))
    if not moved_cases:
        return 0
    # One UPDATE per distinct set of new values: clocks started on the same day move alike, so a
    # batch is a handful of statements (Django's bulk_update builds a CASE per row, far slower).
    now = timezone.now()
    _update_grouped(CaseClock, [(c.pk, (("due_date", c.due_date), ("suspended_days", c.suspended_days),
                                        ("promised_due_date", c.promised_due_date), ("level", c.level)))
                                for c in moved_clocks])
    _update_grouped(Case, [(c.pk, (("due_date", c.due_date), ("deadline_level", c.deadline_level),
                                   ("updated_at", now))) for c, _data, _p in moved_cases])
    CaseEvent.objects.bulk_create([
        CaseEvent(case=case, action=CaseAction.RECALCULATE, from_status=case.status, to_status=case.status,
                  actor=user, actor_label=label, department_id=case.handling_department_id, data=data, public=told)
        for case, data, told in moved_cases])
    audit_record_many(actor=by if user is not None or is_system(by) else common.SYSTEM,
                      action=f"cases.{CaseAction.RECALCULATE}",
                      role=role, entries=[(case, {"status": case.status}, {"status": case.status, **data})
                                          for case, data, _postponed in moved_cases])
    for case, data, told in moved_cases:
        if told:
            common.notify(case, "case_deadline_postponed", due_date=data["promised_due_date"])
    return len(moved_clocks)


def clocks_recompute(*, by: Actor, first: datetime.date, last: datetime.date) -> int:
    """The cases app's calendar listener: recompute the running working-day clocks whose span
    contains a day of ``first``..``last`` (see the module docstring); returns how many moved.
    Runs inside the calendar change's transaction, so the calendar and the deadlines never disagree."""
    common.require_atomic()
    today = common.today()
    case_ids = _affected_case_ids(first, last)
    moved = 0
    for start in range(0, len(case_ids), BATCH):
        moved += _recompute_batch(case_ids[start:start + BATCH], by=by, first=first, last=last, today=today)
    return moved
