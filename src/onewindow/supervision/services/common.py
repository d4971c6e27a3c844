"""The recipe every supervision service follows (ARCHITECTURE rule 3): lock the row, check the
guard, mutate, append a timeline event and an audit entry, queue messages in the same transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import User
from onewindow.core.actors import SYSTEM, is_system
from onewindow.core.audit import audit_record
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, NotFound, PermissionDenied

from .. import permissions as perms
from .. import workflow
from ..choices import TaskAction, TaskStatus
from ..models import DualNoticeTask, DualNoticeTaskEvent

__all__ = ["SYSTEM", "actor_user", "guard", "lock_task", "record", "require_atomic", "today"]


def today() -> datetime.date:
    return timezone.localdate()


def require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("supervision services run inside transaction.atomic()")


def actor_user(by: Any) -> User | None:
    """The acting login, or None for the system actor."""
    return None if is_system(by) else account_perms.as_user(by)


def actor_label(user: User | None) -> str:
    if user is None:
        return str(_("系统"))
    return (user.get_full_name() or user.get_username())[:100]


def lock_task(task_id: Any) -> DualNoticeTask:
    """The task row, locked for the rest of the transaction; 404 for an unknown id."""
    task = (
        DualNoticeTask.objects.select_for_update(of=("self",))
        .select_related("notice", "department")
        .filter(pk=as_id(task_id))
        .first()
    )
    if task is None:
        raise NotFound(_("找不到该双告知任务。"), code="dual_notice_task_not_found")
    return task


def guard(task: DualNoticeTask, action: str, by: Any) -> set[str]:
    """Refuse an action the actor or the status does not allow (nothing is written); the kinds.

    A user who may not see the task at all gets 404 (no existence leak); one who sees it but may
    not act gets 403 (e.g. another department answering); a legal actor in the wrong status 409.
    """
    kinds = perms.actor_kinds(by, task)
    if not kinds and not perms.task_queryset_for(by).filter(pk=task.pk).exists():
        raise NotFound(_("找不到该双告知任务。"), code="dual_notice_task_not_found")
    if not kinds & workflow.ACTORS[action]:
        raise PermissionDenied(
            _("您无权对该双告知任务执行“%(action)s”。") % {"action": TaskAction(action).label},
            code="dual_notice_action_forbidden",
        )
    if not workflow.allowed(task.status, action):
        raise Conflict(
            _("该任务当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": TaskStatus(task.status).label, "action": TaskAction(action).label},
            code="dual_notice_illegal_transition",
        )
    return kinds


def record(
    task: DualNoticeTask,
    action: str,
    by: Any,
    *,
    from_status: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
    audit: bool = True,
) -> DualNoticeTaskEvent:
    """Append the timeline event and (unless ``audit`` is False) the audit entry of one step."""
    user = actor_user(by)
    event = DualNoticeTaskEvent.objects.create(
        task=task,
        action=action,
        from_status=from_status,
        to_status=task.status,
        actor=user,
        actor_label=actor_label(user),
        department=task.department,
        note=note[:500],
        data=data or {},
        created_at=at or timezone.now(),
    )
    if audit:
        audit_record(
            actor=by,
            action=f"supervision.dual_notice_task.{action}",
            target=task,
            before={"status": from_status},
            after={"status": task.status, **(data or {})},
            role=account_perms.primary_role(user) if user is not None else "",
        )
    return event
