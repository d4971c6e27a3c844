"""Reminders fed by 好差评 (提醒管理, issue #14 part 6): bad-rating follow-ups due.

Each follow-up not yet closed (差评回访, 国办发〔2019〕51号: 调查核实、督促整改、反馈) reminds the
staff who must handle it — the department admins and center managers covering the rated body, as
the follow-up's own messages do (services._remind) — due at the end of its due date. It resolves
when the follow-up is closed. Run by the scheduler (``ratings.reminders_sync``, ratings/schedules.py)
and once by the demo; idempotent.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from onewindow.accounts.models import User
from onewindow.accounts.permissions import has_role_in_scope
from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.services import ReminderWant, reminders_sync

from . import permissions
from .choices import FollowUpStatus
from .models import FollowUp

DUE_TIME = datetime.time(18, 0)


def followup_wants() -> list[ReminderWant]:
    """The follow-up reminders that should exist now (see the module docstring)."""
    followups = (FollowUp.objects.exclude(status=FollowUpStatus.CLOSED).filter(department__isnull=False)
                 .select_related("rating", "department").order_by("due_date", "pk"))
    handlers = list(User.objects.filter(staff_roles__valid=True, is_active=True,
                                        staff_roles__role__in=permissions.HANDLER_ROLES).distinct().order_by("pk"))
    by_department: dict[int, list[User]] = {}
    wants: list[ReminderWant] = []
    for followup in followups:
        department = followup.department
        assert department is not None
        if department.pk not in by_department:
            by_department[department.pk] = [u for u in handlers
                                            if has_role_in_scope(u, permissions.HANDLER_ROLES, department=department)]
        rating = followup.rating
        for user in by_department[department.pk]:
            wants.append(ReminderWant(
                user=user, source_key=f"followup:{followup.pk}",
                title=_("差评回访：%(subject)s %(number)s") % {
                    "subject": rating.get_subject_type_display(), "number": rating.subject_id},
                detail=_("%(department)s，状态：%(status)s，办结期限 %(date)s。") % {
                    "department": department.name, "status": FollowUpStatus(followup.status).label,
                    "date": followup.due_date.isoformat()},
                link=f"/ratings/followups/{followup.pk}/",
                due_at=timezone.make_aware(datetime.datetime.combine(followup.due_date, DUE_TIME))))
    return wants


def ratings_reminders_feed() -> dict[str, int]:
    """One run of the follow-up feed."""
    return reminders_sync(kind=ReminderKind.FOLLOWUP, key_prefix="followup:", wanted=followup_wants())


@task()
def ratings_reminders_sync() -> dict[str, int]:
    """The periodic run of the follow-up feed (ratings/schedules.py)."""
    return ratings_reminders_feed()
