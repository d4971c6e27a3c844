"""Reminders of 双告知 deadlines (到期提醒, 超期提醒): the periodic sweep.

Actor: the scheduler (``supervision.dual_notice_reminders``, hourly; ``schedules.py``). Each run:

- a task of a department, not yet answered, due within ``SUPERVISION_DUAL_NOTICE_REMIND_DAYS``
  working days (one by default: the working day before the deadline, and the deadline itself)
  and not reminded yet, is reminded once;
- a task past its due date and not answered is reported overdue once.

Who is told: the department's admins (部门管理员) and the person who received the task, by
in-app message through the notifications outbox (events ``dual_notice_deadline_warning`` and
``dual_notice_overdue``: the notice number, the entity's name and credit code, the licences and
the deadline; :func:`task_context`). Each task is handled in its own transaction
(lock, re-check, message, mark, event, audit), so a task answered meanwhile is skipped.
Bounded: at most ``limit`` tasks of each kind per run, oldest deadline first.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.core.actors import system_actor
from onewindow.notifications.services import message_enqueue

from .. import deadlines
from ..choices import OPEN_STATUSES, TaskAction, TaskStatus
from ..models import DualNoticeTask
from . import common

ACTOR = system_actor("supervision.dual_notice_reminders")
LIMIT = 500


def recipients(task: DualNoticeTask) -> list[User]:
    """The department's admins and the task's receiver (active logins, in id order)."""
    ids: set[int] = set()
    if task.department_id is not None:
        ids |= set(
            StaffRole.objects.filter(
                valid=True, role=StaffRoleKind.DEPARTMENT_ADMIN, department_id=task.department_id
            ).values_list("user_id", flat=True)
        )
    if task.received_by_id:
        ids.add(task.received_by_id)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def task_context(task: DualNoticeTask) -> dict[str, Any]:
    """What a message about one task says: the notice number, the entity (name and credit code as
    registered), the task's licences, its deadline and status, and the task's page."""
    notice = task.notice
    return {
        "number": notice.number,
        "entity": notice.entity_name,
        "credit_code": notice.credit_code,
        "licences": "、".join(task.licences),
        "due_date": task.due_date.isoformat(),
        "status": str(TaskStatus(task.status).label),
        "url": f"/supervision/tasks/{task.pk}/",
    }


def _notify(task_id: int, *, overdue: bool, today: datetime.date) -> bool:
    field = "overdue_notified_at" if overdue else "reminded_at"
    with transaction.atomic():
        task = common.lock_task(task_id)
        if task.status == TaskStatus.ANSWERED or task.department_id is None or getattr(task, field) is not None:
            return False
        if overdue and not task.due_date < today:
            return False
        users = recipients(task)
        event = "dual_notice_overdue" if overdue else "dual_notice_deadline_warning"
        context = task_context(task)
        for user in users:
            message_enqueue(
                event=event, user=user, subject_type="dual_notice_task", subject_id=str(task.pk), context=context
            )
        setattr(task, field, timezone.now())
        task.save(update_fields=[field])
        common.record(
            task,
            TaskAction.OVERDUE if overdue else TaskAction.REMIND,
            ACTOR,
            from_status=task.status,
            data={"due_date": task.due_date.isoformat(), "recipients": [u.pk for u in users]},
        )
        return True


def dual_notice_reminders_send(*, today: datetime.date | None = None, limit: int = LIMIT) -> dict[str, Any]:
    """Run the sweep once; returns ``{"reminded": n, "overdue": n}``."""
    today = today or timezone.localdate()
    horizon = deadlines.reminder_horizon(today)
    open_tasks = DualNoticeTask.objects.filter(status__in=OPEN_STATUSES, department__isnull=False)
    soon = list(
        open_tasks.filter(reminded_at__isnull=True, due_date__gte=today, due_date__lte=horizon)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    late = list(
        open_tasks.filter(overdue_notified_at__isnull=True, due_date__lt=today)
        .order_by("due_date", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    reminded = sum(_notify(pk, overdue=False, today=today) for pk in soon)
    overdue = sum(_notify(pk, overdue=True, today=today) for pk in late)
    return {"reminded": reminded, "overdue": overdue}
