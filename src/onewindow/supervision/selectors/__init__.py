"""Reads of supervision, always scoped to the requesting user (ARCHITECTURE rule 1).

- 双告知 tasks: the queue of the user's own departments (我的待办), the 认领 pool, the overdue list
  per department, one task with its timeline; notices for staff and for the entity's agents.
- The officer roster and :func:`officers_available`, the pool the next issue's draws (双随机,
  DOMAIN.md R4.1) pick inspectors from, leaving out officers with a standing conflict (回避,
  行政处罚法 art. 43).
- Statistics: notices received against answered per department and in total (issue #11 part 6),
  and the figures of the platform's home page, counted from the rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound
from onewindow.core.models import Department

from .. import permissions as perms
from .. import workflow
from ..choices import OPEN_STATUSES, TaskStatus
from ..models import DualNotice, DualNoticeTask, DualNoticeTaskEvent, LicenceRule, Officer, OfficerConflict

TASK_RELATED = ("notice", "department")


# ---- 双告知 tasks ---------------------------------------------------------------------------------


def task_queue_for(
    user: Any, *, status: str = "", overdue: bool = False, department_id: Any = None, today: datetime.date | None = None
) -> QuerySet[DualNoticeTask]:
    """我的待办: the tasks of the user's own departments (one of them with ``department_id``),
    open ones first, soonest deadline first; ``overdue`` keeps the open ones past their due date."""
    ids = perms.department_ids(user, perms.TASK_ROLES)
    if department_id not in (None, ""):
        ids &= {as_id(department_id)}
    qs = DualNoticeTask.objects.filter(department_id__in=ids).select_related(*TASK_RELATED)
    if status in TaskStatus.values:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate())
    # Open tasks first (what the department still owes), each group by deadline.
    answered_last = Case(When(status=TaskStatus.ANSWERED, then=Value(1)), default=Value(0))
    return qs.order_by(answered_last, "due_date", "id")


def pool_for(user: Any) -> QuerySet[DualNoticeTask]:
    """认领池: tasks no department is clearly competent for, oldest first (supervision staff)."""
    return (
        perms.task_queryset_for(user)
        .filter(status=TaskStatus.POOL)
        .select_related(*TASK_RELATED)
        .order_by("notified_on", "id")
    )


def task_get_for(user: Any, task_id: Any) -> DualNoticeTask:
    """One task the user may see; 404 ``dual_notice_task_not_found`` otherwise (no existence leak)."""
    task = (
        perms.task_queryset_for(user)
        .select_related(*TASK_RELATED, "received_by", "answered_by", "claimed_by")
        .filter(pk=as_id(task_id))
        .first()
    )
    if task is None:
        raise NotFound(_("找不到该双告知任务。"), code="dual_notice_task_not_found")
    return task


def task_events_for(user: Any, task: DualNoticeTask) -> list[DualNoticeTaskEvent]:
    """The task's timeline, oldest first (the task was already checked visible)."""
    return list(DualNoticeTaskEvent.objects.filter(task=task).select_related("department").order_by("id"))


def task_actions_for(user: Any, task: DualNoticeTask) -> list[str]:
    """The actions the user may take on the task now (buttons of the page, ``actions`` in the API)."""
    kinds = perms.actor_kinds(user, task)
    return [a for a in workflow.actions_from(task.status) if kinds & workflow.ACTORS[a]]


def claim_departments_for(user: Any) -> list[Department]:
    """The departments the user may claim pool tasks for."""
    return list(
        Department.objects.filter(pk__in=perms.department_ids(user, perms.CLAIM_ROLES)).order_by("sort_order", "id")
    )


def task_departments_for(user: Any) -> list[Department]:
    """The departments whose queue the user works in."""
    return list(
        Department.objects.filter(pk__in=perms.department_ids(user, perms.TASK_ROLES)).order_by("sort_order", "id")
    )


@dataclass(frozen=True)
class OverdueRow:
    department: Department
    open_overdue: int
    answered_late: int


def overdue_by_department(user: Any, *, today: datetime.date | None = None) -> list[OverdueRow]:
    """超期统计: per department, the open tasks past their due date and the answers given late
    (supervision staff see every department: the list is how departments are held to account)."""
    if not perms.is_supervision_staff(user):
        return []
    today = today or timezone.localdate()
    rows = (
        DualNoticeTask.objects.filter(department__isnull=False)
        .values("department_id")
        .annotate(
            open_overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
            answered_late=Count("id", filter=Q(answered_late=True)),
        )
        .filter(Q(open_overdue__gt=0) | Q(answered_late__gt=0))
    )
    counts = {r["department_id"]: r for r in rows}
    departments = Department.objects.filter(pk__in=counts).order_by("sort_order", "id")
    return sorted(
        (OverdueRow(d, counts[d.pk]["open_overdue"], counts[d.pk]["answered_late"]) for d in departments),
        key=lambda r: (-r.open_overdue, -r.answered_late, r.department.sort_order),
    )


def overdue_tasks_for(user: Any, department_id: Any, *, today: datetime.date | None = None) -> QuerySet[DualNoticeTask]:
    """The open overdue tasks of one department (visible to supervision staff)."""
    return (
        perms.task_queryset_for(user)
        .filter(
            department_id=as_id(department_id), status__in=OPEN_STATUSES, due_date__lt=today or timezone.localdate()
        )
        .select_related(*TASK_RELATED)
        .order_by("due_date", "id")
    )


# ---- notices (告知申请人) --------------------------------------------------------------------------


def notice_get_for(user: Any, notice_id: Any) -> DualNotice:
    """One notice: supervision staff, or an agent of the entity it was sent to; 404 otherwise."""
    notice = perms.notice_queryset_for(user).select_related("organization").filter(pk=as_id(notice_id)).first()
    if notice is None:
        raise NotFound(_("找不到该双告知书。"), code="dual_notice_not_found")
    return notice


def notice_list_for_entity(user: Any) -> QuerySet[DualNotice]:
    """The notices of the organizations the user acts for (the entity's own view), newest first."""
    return DualNotice.objects.filter(organization_id__in=perms.entity_organization_ids(user)).order_by(
        "-notified_on", "-id"
    )


def notice_tasks(notice: DualNotice) -> list[DualNoticeTask]:
    return list(notice.tasks.select_related("department").order_by("department_id", "id"))


# ---- officers (执法人员名录库) ---------------------------------------------------------------------


def officer_list_for(
    user: Any, *, department_id: Any = None, active_on: datetime.date | None = None, specialty: str = ""
) -> QuerySet[Officer]:
    """The roster (shared by supervising departments), optionally of one department, of officers
    active on a day, or with a specialty; with their department, specialties and areas."""
    qs = perms.officer_queryset_for(user).select_related("department").prefetch_related("specialties", "areas")
    if department_id not in (None, ""):
        qs = qs.filter(department_id=as_id(department_id))
    if active_on is not None:
        qs = qs.filter(active_from__lte=active_on).filter(Q(active_to__isnull=True) | Q(active_to__gte=active_on))
    if specialty:
        qs = qs.filter(specialties__specialty=specialty)
    return qs.order_by("department__sort_order", "department_id", "certificate_number")


def officer_get_for(user: Any, officer_id: Any) -> Officer:
    officer = (
        perms.officer_queryset_for(user)
        .select_related("department", "user")
        .prefetch_related("specialties", "areas")
        .filter(pk=as_id(officer_id))
        .first()
    )
    if officer is None:
        raise NotFound(_("找不到该执法人员。"), code="officer_not_found")
    return officer


def officer_conflicts_for(user: Any, officer: Officer) -> list[OfficerConflict]:
    return list(OfficerConflict.objects.filter(officer=officer).select_related("organization").order_by("-declared_at"))


def officers_available(
    department: Department | int,
    on_date: datetime.date,
    exclude_organization_ids: Iterable[int] = (),
    *,
    specialty: str = "",
) -> QuerySet[Officer]:
    """执法检查人员名录库 for a draw (DOMAIN.md R4.1): the department's officers active on
    ``on_date``, without those who declared a standing conflict (回避, 行政处罚法 art. 43) with any of
    the entities ``exclude_organization_ids``; optionally with a specialty. Not scoped to a user:
    the draw service (next issue) calls it for the department running the draw."""
    department_id = department.pk if isinstance(department, Department) else int(department)
    qs = Officer.objects.filter(department_id=department_id, active_from__lte=on_date).filter(
        Q(active_to__isnull=True) | Q(active_to__gte=on_date)
    )
    excluded = list(exclude_organization_ids)
    if excluded:
        conflicts = OfficerConflict.objects.filter(
            officer=OuterRef("pk"), organization_id__in=excluded, withdrawn_at__isnull=True
        )
        qs = qs.exclude(Exists(conflicts))
    if specialty:
        qs = qs.filter(specialties__specialty=specialty)
    return qs.order_by("certificate_number")


# ---- rules ------------------------------------------------------------------------------------


def rule_list_for(user: Any) -> QuerySet[LicenceRule]:
    """The 双告知 mapping table: readable by supervision staff (what they will be told of)."""
    if not perms.is_supervision_staff(user):
        return LicenceRule.objects.none()
    return LicenceRule.objects.select_related("department", "item").order_by("sort_order", "id")


def rule_get_for(user: Any, rule_id: Any) -> LicenceRule:
    rule = rule_list_for(user).filter(pk=as_id(rule_id)).first()
    if rule is None:
        raise NotFound(_("找不到该双告知规则。"), code="licence_rule_not_found")
    return rule


def may_manage_rules(user: Any) -> bool:
    return perms.may_manage_rules(user)


def is_system_admin(user: Any) -> bool:
    return account_perms.is_system_admin(user)


from .statistics import (  # noqa: E402
    DepartmentFigures,
    DualNoticeStatistics,
    PlatformFigures,
    dual_notice_statistics,
    platform_figures,
    pooled_record_counts,
)

__all__ = [
    "DepartmentFigures",
    "DualNoticeStatistics",
    "OverdueRow",
    "PlatformFigures",
    "claim_departments_for",
    "dual_notice_statistics",
    "is_system_admin",
    "may_manage_rules",
    "notice_get_for",
    "notice_list_for_entity",
    "notice_tasks",
    "officer_conflicts_for",
    "officer_get_for",
    "officer_list_for",
    "officers_available",
    "overdue_by_department",
    "overdue_tasks_for",
    "platform_figures",
    "pool_for",
    "pooled_record_counts",
    "rule_get_for",
    "rule_list_for",
    "task_actions_for",
    "task_departments_for",
    "task_events_for",
    "task_get_for",
    "task_queue_for",
]
