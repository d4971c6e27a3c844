"""The periodic deadline check (时限预警): raises clock levels, notifies, and applies art. 32(4).

Actor: the scheduler (``cases.deadlines_check`` every 10 minutes). For each running clock:
- a correction clock that ran out while the case still waits for acceptance makes the case
  deemed accepted from the day of receipt (行政许可法 art. 32(4));
- a clock reaching 80 % of its limit turns yellow, one past its due date red; when the level
  rises, the handler and the department admins of the body concerned get an in-app message.
Levels only rise here (an extension or a resumed suspension lowers them in the services).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.core.errors import DomainError
from onewindow.notifications.services import message_enqueue

from .. import deadlines
from ..choices import CaseStatus, ClockKind, ClockLevel
from ..models import Case, CaseClock
from . import common
from .handling import case_deem_accepted


def _recipients(case: Case, clock: CaseClock) -> list[User]:
    department = case.handling_department if clock.kind == ClockKind.DECISION else case.receiving_department
    admin_ids = set(StaffRole.objects.filter(valid=True, role=StaffRoleKind.DEPARTMENT_ADMIN,
                                             department=department).values_list("user_id", flat=True))
    if case.handler_id:
        admin_ids.add(case.handler_id)
    return list(User.objects.filter(pk__in=admin_ids, is_active=True).order_by("pk"))


def _raise_level(clock_id: int, today: datetime.date) -> bool:
    with transaction.atomic():
        # The case row first, then its clock: the order of every case service and of the calendar
        # recomputation (decision 0011), so the check never deadlocks with them.
        case_id = CaseClock.objects.filter(pk=clock_id).values_list("case_id", flat=True).first()
        if case_id is None:
            return False
        case = Case.objects.select_for_update().select_related("handling_department", "receiving_department").get(
            pk=case_id)
        clock = CaseClock.objects.select_for_update().filter(pk=clock_id, stopped_on__isnull=True).first()
        if clock is None:
            return False
        open_suspension = clock.suspensions.filter(end_date__isnull=True).first()
        level = deadlines.level_on(today=today, start=clock.start_date, limit_days=clock.limit_days,
                                   extended_days=clock.extended_days, suspended_days=clock.suspended_days,
                                   due=clock.due_date, unit=clock.unit,
                                   open_suspension_since=open_suspension.start_date if open_suspension else None)
        if deadlines.LEVEL_RANK[level] <= deadlines.LEVEL_RANK[clock.level]:
            return False
        clock.level = level
        clock.save(update_fields=["level"])
        common.refresh_due(case)
        case.save(update_fields=["deadline_level", "due_date", "updated_at"])
        event = "deadline_overdue" if level == ClockLevel.RED else "deadline_warning"
        for user in _recipients(case, clock):
            message_enqueue(event=event, user=user, subject_type="case", subject_id=str(case.pk),
                            context={"number": case.number or "", "item": case.title,
                                     "due_date": clock.due_date.isoformat(),
                                     "status": str(ClockKind(clock.kind).label), "url": f"/cases/staff/{case.pk}/"})
        return True


def deadlines_check(*, today: datetime.date | None = None) -> dict[str, Any]:
    """Run the check once; returns counts ``{"deemed_accepted": n, "raised": n}``."""
    today = today or timezone.localdate()
    deemed = 0
    late_correction = (CaseClock.objects.filter(kind=ClockKind.CORRECTION, stopped_on__isnull=True, due_date__lt=today,
                                                case__status__in=[CaseStatus.SUBMITTED, CaseStatus.PRE_REVIEW])
                       .values_list("case_id", flat=True))
    for case_id in list(late_correction):
        try:
            case_deem_accepted(case_id=case_id)
            deemed += 1
        except DomainError:  # acted on meanwhile by staff: nothing to do
            continue
    raised = 0
    candidates = (CaseClock.objects.filter(stopped_on__isnull=True).exclude(level=ClockLevel.RED)
                  .values_list("pk", flat=True).order_by("pk"))
    for clock_id in list(candidates):
        raised += _raise_level(clock_id, today)
    return {"deemed_accepted": deemed, "raised": raised}
