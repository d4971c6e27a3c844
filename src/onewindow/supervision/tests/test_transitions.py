"""Every (status, action) pair of the 双告知 task through the real services: a legal pair moves the
task to its target; an illegal one is refused (409 dual_notice_illegal_transition) with nothing
changed — same status and department, no event, no audit entry, no message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message
from onewindow.supervision import services, workflow
from onewindow.supervision.choices import Answer, TaskStatus
from onewindow.supervision.models import DualNoticeTask, DualNoticeTaskEvent
from onewindow.supervision.testing import CHEMICAL_SCOPE, FOOD_SCOPE, SupervisionWorld


def in_status(world: SupervisionWorld, status: str) -> DualNoticeTask:
    """A fresh task brought to ``status`` through the services (pool tasks come from a chemicals
    notice, the others from a catering notice of the regulator's department)."""
    org = world.organization(f"上海{status}测试有限公司")
    notice = world.register(CHEMICAL_SCOPE if status == TaskStatus.POOL else FOOD_SCOPE, organization=org)
    assert notice is not None
    task = notice.tasks.get()
    if status in (TaskStatus.RECEIVED, TaskStatus.ANSWERED):
        task = services.dual_notice_task_receive(by=world.regulator, task_id=task.pk)
    if status == TaskStatus.ANSWERED:
        task = services.dual_notice_task_answer(by=world.regulator, task_id=task.pk, answer=Answer.INSPECTED)
    assert task.status == status
    return task


def call(world: SupervisionWorld, action: str, task: DualNoticeTask) -> DualNoticeTask:
    calls: dict[str, Callable[[], Any]] = {
        "claim": lambda: services.dual_notice_task_claim(by=world.culture_regulator, task_id=task.pk),
        "receive": lambda: services.dual_notice_task_receive(by=world.regulator, task_id=task.pk),
        "answer": lambda: services.dual_notice_task_answer(
            by=world.regulator, task_id=task.pk, answer=Answer.NOT_NEEDED
        ),
    }
    result: DualNoticeTask = calls[action]()
    return result


def snapshot(task: DualNoticeTask) -> tuple[Any, ...]:
    task.refresh_from_db()
    return (
        task.status,
        task.department_id,
        task.answer,
        DualNoticeTaskEvent.objects.filter(task=task).count(),
        AuditEntry.objects.filter(target_type="supervision.dualnoticetask", target_id=str(task.pk)).count(),
        Message.objects.count(),
    )


@pytest.mark.parametrize("status", TaskStatus.values)
@pytest.mark.parametrize("action", sorted(workflow.TRANSITIONS))
def test_each_action_from_each_status(world: SupervisionWorld, status: str, action: str) -> None:
    task = in_status(world, status)
    if workflow.allowed(status, action):
        if action == "claim":
            # The claimer's department (culture) may hold the task only after claiming it.
            assert task.department_id is None
        result = call(world, action, task)
        assert result.status == workflow.target(status, action)
        last = DualNoticeTaskEvent.objects.filter(task=task).last()
        assert last is not None
        assert (last.action, last.from_status, last.to_status) == (action, status, result.status)
        assert (
            AuditEntry.objects.filter(action=f"supervision.dual_notice_task.{action}", target_id=str(task.pk)).count()
            == 1
        )
    else:
        before = snapshot(task)
        expected = ("dual_notice_illegal_transition", 409)
        if status == TaskStatus.POOL:
            # A pool task has no department yet, so nobody is its "department" actor.
            expected = ("dual_notice_action_forbidden", 403)
        with pytest.raises(DomainError) as refused:
            call(world, action, task)
        assert (refused.value.code, refused.value.status) == expected
        assert snapshot(task) == before


def test_the_table_covers_every_status() -> None:
    reachable = {t.target for t in workflow.TRANSITIONS.values()} | {TaskStatus.POOL, TaskStatus.PENDING}
    assert reachable == set(TaskStatus.values)
    assert workflow.actions_from(TaskStatus.ANSWERED) == []
    with pytest.raises(workflow.IllegalTransition):
        workflow.target(TaskStatus.ANSWERED, "answer")
