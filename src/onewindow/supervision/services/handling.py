"""The departments' steps on a 双告知 task (DOMAIN.md R5.1 steps 3–4): claim, receive, answer.

Actors (``workflow.ACTORS``): the task's own department receives (签收) and answers (反馈); a
regulator or department admin claims (认领) a pool task for their department. Each service, in
one transaction: lock the task, guard (404 invisible, 403 not this actor, 409 wrong status),
check the input (422), mutate, append the event and the audit entry. A refusal writes nothing.
An answer after the due date is accepted and marked late (逾期反馈, issue #11 "bad input").
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, PermissionDenied
from onewindow.core.models import Department

from .. import deadlines, rules
from .. import permissions as perms
from ..choices import Answer, TaskAction, TaskStatus
from ..models import DualNoticeTask
from . import common

NOTE_MAX = 500


def _claim_department(by: Any, department_id: Any | None) -> int:
    """The department a claim is made for: the one named (it must be the claimer's), or the
    claimer's only department; 422 when the claimer has several and named none."""
    mine = perms.department_ids(by, perms.CLAIM_ROLES)
    if department_id is not None and department_id != "":
        wanted = as_id(department_id)
        if wanted not in mine:
            raise PermissionDenied(_("您只能为本部门认领双告知任务。"), code="dual_notice_department_forbidden")
        return wanted
    if len(mine) != 1:
        raise DomainError(
            _("您在多个部门任职，请选择为哪个部门认领。"),
            code="dual_notice_department_required",
            status=422,
            fields={"department_id": [_("请选择部门。")]},
        )
    return next(iter(mine))


def dual_notice_task_claim(*, by: Any, task_id: Any, department_id: Any | None = None) -> DualNoticeTask:
    """认领: a department takes a task of the pool (no clear competent department) as its own;
    the task is then received by it and due on the same date. Only a department whose area covers
    the entity's registration (the same-level department, DOMAIN.md R5.1 step 3) may claim it."""
    with transaction.atomic():
        task = common.lock_task(task_id)
        common.guard(task, TaskAction.CLAIM, by)
        department = _claim_department(by, department_id)
        body = Department.objects.select_related("region").get(pk=department)
        if not rules.area_covers(body.region.code, body.level, task.notice.region_code):
            raise PermissionDenied(_("该市场主体不在本部门辖区内，不能认领。"), code="dual_notice_claim_out_of_area")
        if DualNoticeTask.objects.filter(notice_id=task.notice_id, department_id=department).exists():
            raise Conflict(_("本部门已有该告知书的任务，无需再认领。"), code="dual_notice_department_has_task")
        user = common.actor_user(by)
        now = timezone.now()
        from_status = task.status
        task.status = TaskStatus.RECEIVED
        task.department_id = department
        task.claimed_at = task.received_at = now
        task.claimed_by = task.received_by = user
        task.updated_at = now
        task.save(
            update_fields=[
                "status",
                "department",
                "claimed_at",
                "claimed_by",
                "received_at",
                "received_by",
                "updated_at",
            ]
        )
        common.record(task, TaskAction.CLAIM, by, from_status=from_status, data={"department": department})
        return task


def dual_notice_task_receive(*, by: Any, task_id: Any) -> DualNoticeTask:
    """签收: the department acknowledges the task pushed to it."""
    with transaction.atomic():
        task = common.lock_task(task_id)
        common.guard(task, TaskAction.RECEIVE, by)
        now = timezone.now()
        from_status = task.status
        task.status = TaskStatus.RECEIVED
        task.received_at = now
        task.received_by = common.actor_user(by)
        task.updated_at = now
        task.save(update_fields=["status", "received_at", "received_by", "updated_at"])
        common.record(task, TaskAction.RECEIVE, by, from_status=from_status)
        return task


def dual_notice_task_answer(*, by: Any, task_id: Any, answer: str, note: str = "") -> DualNoticeTask:
    """反馈: the department says what it found (licence applied for or issued, on-site check done,
    no licence needed, entity not found). After the due date the answer is still taken, and
    marked late (answered_late) for the overdue statistics."""
    with transaction.atomic():
        task = common.lock_task(task_id)
        common.guard(task, TaskAction.ANSWER, by)
        if answer not in Answer.values:
            raise DomainError(
                _("请选择反馈结果。"),
                code="dual_notice_answer_invalid",
                status=422,
                fields={"answer": [_("请从给定选项中选择。")]},
            )
        note = (note or "").strip()
        if len(note) > NOTE_MAX:
            raise DomainError(
                _("反馈说明不能超过 %(n)s 个字。") % {"n": NOTE_MAX},
                code="dual_notice_note_too_long",
                status=422,
                fields={"note": [_("内容过长。")]},
            )
        now = timezone.now()
        late = deadlines.is_late(common.today(), task.due_date)
        from_status = task.status
        task.status = TaskStatus.ANSWERED
        task.answer = answer
        task.answer_note = note
        task.answered_at = now
        task.answered_by = common.actor_user(by)
        task.answered_late = late
        task.updated_at = now
        task.save(
            update_fields=[
                "status",
                "answer",
                "answer_note",
                "answered_at",
                "answered_by",
                "answered_late",
                "updated_at",
            ]
        )
        common.record(
            task,
            TaskAction.ANSWER,
            by,
            from_status=from_status,
            note=note,
            data={"answer": answer, "late": late, "due_date": task.due_date.isoformat()},
        )
        return task
