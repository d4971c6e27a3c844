"""Reminders fed by case handling (提醒管理, issue #14 part 6): case deadlines and expiring licences.

Run by the scheduler (``cases.reminders_sync``, cases/schedules.py) and once by the demo; each run
is idempotent (``notifications.services.reminders_sync`` upserts by user and source key and
resolves what is no longer due).

- 办件时限: a running clock of an open case that is yellow or red (deadlines.py, 行政许可法 art. 42)
  or due within ``CASES_REMINDER_WORKING_DAYS`` working days reminds the case's handler, or, with
  none assigned, the reviewers of the department the clock concerns. The source key names the
  case, the clock and the status, so the reminder resolves when the case leaves that status.
- 证照到期: a licence valid until within ``CASES_LICENCE_EXPIRY_DAYS`` days (30) reminds the
  holder's own account (the holder person's user; for an organisation, the account that applied).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.core.calendar import add_working_days
from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.services import ReminderWant, reminders_sync

from .choices import FINAL, CaseStatus, ClockKind, ClockLevel
from .models import CaseClock, Licence

#: A reminder of a date is due at the end of the office day.
DUE_TIME = datetime.time(18, 0)


def _due_at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, DUE_TIME))


def _reviewers(department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(User.objects.filter(is_active=True, staff_roles__valid=True, staff_roles__role=StaffRoleKind.REVIEWER,
                                    staff_roles__department_id=department_id).distinct().order_by("pk"))


def case_deadline_wants(*, today: datetime.date | None = None) -> list[ReminderWant]:
    """The deadline reminders that should exist today (see the module docstring)."""
    today = today or timezone.localdate()
    horizon = add_working_days(today, int(getattr(settings, "CASES_REMINDER_WORKING_DAYS", 3)))
    clocks = (CaseClock.objects.filter(stopped_on__isnull=True).exclude(case__status__in=[*FINAL, CaseStatus.DRAFT])
              .filter(Q(level__in=[ClockLevel.YELLOW, ClockLevel.RED]) | Q(due_date__lte=horizon))
              .select_related("case__handler").order_by("case_id", "pk"))
    reviewers: dict[int | None, list[User]] = {}
    wants: list[ReminderWant] = []
    for clock in clocks:
        case = clock.case
        decision = clock.kind == ClockKind.DECISION
        department_id = case.handling_department_id if decision else case.receiving_department_id
        if case.handler is not None and case.handler.is_active:
            users = [case.handler]
        else:
            if department_id not in reviewers:
                reviewers[department_id] = _reviewers(department_id)
            users = reviewers[department_id]
        overdue = clock.due_date < today
        title = (_("办件 %(number)s %(clock)s已超期") if overdue else _("办件 %(number)s %(clock)s将到期")) % {
            "number": case.number or case.query_code, "clock": ClockKind(clock.kind).label}
        for user in users:
            wants.append(ReminderWant(user=user, source_key=f"case:{case.pk}:{clock.kind}:{case.status}",
                                      title=title, detail=case.title, link=f"/cases/staff/{case.pk}/",
                                      due_at=_due_at(clock.due_date)))
    return wants


def licence_expiry_wants(*, today: datetime.date | None = None) -> list[ReminderWant]:
    """The licence expiry reminders that should exist today (see the module docstring)."""
    today = today or timezone.localdate()
    last = today + datetime.timedelta(days=int(getattr(settings, "CASES_LICENCE_EXPIRY_DAYS", 30)))
    licences = (Licence.objects.filter(valid_to__gte=today, valid_to__lte=last)
                .select_related("holder_person__user", "case__owner").order_by("pk"))
    wants: list[ReminderWant] = []
    for licence in licences:
        holder = getattr(licence.holder_person, "user", None) if licence.holder_person_id else None
        user = holder if holder is not None else licence.case.owner
        if user is None or not user.is_active or licence.valid_to is None:
            continue
        wants.append(ReminderWant(
            user=user, source_key=f"licence:{licence.pk}:{licence.valid_to.isoformat()}",
            title=_("证照“%(name)s”将于 %(date)s 到期") % {"name": licence.name, "date": licence.valid_to.isoformat()},
            detail=_("证照编号 %(number)s，请及时办理延续。") % {"number": licence.number},
            link=f"/cases/{licence.case_id}/", due_at=_due_at(licence.valid_to)))
    return wants


def cases_reminders_feed(*, today: datetime.date | None = None) -> dict[str, int]:
    """One run of both feeds; returns the counts of each."""
    deadlines = reminders_sync(kind=ReminderKind.CASE_DEADLINE, key_prefix="case:",
                               wanted=case_deadline_wants(today=today))
    licences = reminders_sync(kind=ReminderKind.LICENCE_EXPIRY, key_prefix="licence:",
                              wanted=licence_expiry_wants(today=today))
    return {"deadline_upserted": deadlines["upserted"], "deadline_resolved": deadlines["resolved"],
            "licence_upserted": licences["upserted"], "licence_resolved": licences["resolved"]}


@task()
def cases_reminders_sync() -> dict[str, int]:
    """The periodic run of the case feeds (cases/schedules.py)."""
    return cases_reminders_feed()
