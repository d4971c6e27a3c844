"""双告知 end to end through market's listener registry (DOMAIN.md R5.1): a registration produces
the notice to the entity and tasks in the competent departments' queues; the 认领 pool and
claiming; refusals write nothing; a late answer is accepted and marked; a calendar change moves
open deadlines; the reminder sweep tells the department once."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.core import services as core_services
from onewindow.core.calendar import add_working_days
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message
from onewindow.supervision import selectors, services
from onewindow.supervision.choices import Answer, TaskAction
from onewindow.supervision.models import DualNotice, DualNoticeTask, DualNoticeTaskEvent
from onewindow.supervision.testing import (
    CHEMICAL_SCOPE,
    ENTERTAINMENT_SCOPE,
    FOOD_ITEM_CODE,
    FOOD_SCOPE,
    SupervisionWorld,
)


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(
            DualNoticeTask.objects.order_by("pk").values_list(
                "pk", "status", "department_id", "answer", "answered_late", "due_date"
            )
        ),
        DualNotice.objects.count(),
        DualNoticeTaskEvent.objects.count(),
        AuditEntry.objects.filter(action__startswith="supervision.dual_notice").count(),
        Message.objects.count(),
    )


def test_registration_puts_tasks_in_two_departments_queues(world: SupervisionWorld) -> None:
    today = timezone.localdate()
    notice = world.register()
    assert notice is not None
    assert notice.number == f"SGZ-{today.year}-000001"
    assert notice.entity_name == "上海静安示例科技有限公司"
    assert notice.change_kind == "registered"
    assert notice.licences == [
        {
            "rule": world.rules["food"].pk,
            "name": "食品经营许可证",
            "item_code": FOOD_ITEM_CODE,
            "guide_url": f"/catalog/items/{FOOD_ITEM_CODE}/",
            "department_id": world.department.pk,
            "department": "上海市静安区市场监督管理局",
        },
        {
            "rule": world.rules["entertainment"].pk,
            "name": "娱乐场所经营许可证",
            "item_code": "",
            "guide_url": "",
            "department_id": world.culture.pk,
            "department": "上海市静安区文化和旅游局",
        },
    ]
    due = add_working_days(today, 5)
    assert list(
        notice.tasks.order_by("department_id").values_list(
            "department_id", "status", "licences", "notified_on", "limit_days", "due_date"
        )
    ) == [
        (world.department.pk, "pending", ["食品经营许可证"], today, 5, due),
        (world.culture.pk, "pending", ["娱乐场所经营许可证"], today, 5, due),
    ]
    food = notice.tasks.get(department=world.department)
    culture = notice.tasks.get(department=world.culture)
    assert list(selectors.task_queue_for(world.regulator)) == [food]
    assert list(selectors.task_queue_for(world.data_clerk)) == [food]
    assert list(selectors.task_queue_for(world.culture_regulator)) == [culture]
    assert list(selectors.task_queue_for(world.regulator_other)) == []
    assert list(selectors.pool_for(world.regulator)) == []
    assert list(DualNoticeTaskEvent.objects.order_by("task_id").values_list("task_id", "action", "to_status")) == [
        (food.pk, "dispatch", "pending"),
        (culture.pk, "dispatch", "pending"),
    ]
    entry = AuditEntry.objects.get(action="supervision.dual_notice.dispatch")
    assert entry.actor_label == "supervision.dual_notice"
    assert entry.after == {
        "number": notice.number,
        "kind": "registered",
        "due_date": due.isoformat(),
        "departments": [world.department.pk, world.culture.pk],
        "licences": ["食品经营许可证", "娱乐场所经营许可证"],
    }


def test_industry_code_alone_finds_the_licence(world: SupervisionWorld) -> None:
    notice = world.register("软件开发", industry="H6210")
    assert notice is not None
    assert [e["name"] for e in notice.licences] == ["食品经营许可证"]
    assert list(notice.tasks.values_list("department_id", flat=True)) == [world.department.pk]


def test_unclear_department_goes_to_the_pool_and_is_claimed(world: SupervisionWorld) -> None:
    notice = world.register(CHEMICAL_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    assert (task.status, task.department_id, task.licences) == ("pool", None, ["危险化学品经营许可证"])
    assert list(selectors.pool_for(world.regulator)) == [task]
    assert list(selectors.pool_for(world.culture_regulator)) == [task]
    assert list(selectors.pool_for(world.citizen)) == []
    claimed = services.dual_notice_task_claim(by=world.regulator, task_id=task.pk)
    assert (claimed.status, claimed.department_id, claimed.claimed_by, claimed.received_by) == (
        "received",
        world.department.pk,
        world.regulator,
        world.regulator,
    )
    assert list(selectors.pool_for(world.regulator)) == []
    assert list(selectors.task_queue_for(world.regulator)) == [claimed]
    event = DualNoticeTaskEvent.objects.filter(task=task).last()
    assert event is not None
    assert (event.action, event.from_status, event.to_status, event.actor, event.department_id) == (
        "claim",
        "pool",
        "received",
        world.regulator,
        world.department.pk,
    )


def test_nothing_matched_still_goes_to_the_pool(world: SupervisionWorld) -> None:
    """DOMAIN.md R5.1 step 3: where no approval clearly applies, the data is published for 认领."""
    notice = world.register("软件开发；技术咨询")
    assert notice is not None
    assert notice.licences == []
    assert list(notice.tasks.values_list("status", "department_id", "licences")) == [("pool", None, [])]


def test_a_scope_change_notifies_only_the_new_licences(world: SupervisionWorld) -> None:
    world.register(FOOD_SCOPE)
    before = snapshot()
    assert world.register(FOOD_SCOPE + "；技术咨询", kind="scope_changed", previous_scope=FOOD_SCOPE) is None
    assert snapshot() == before
    notice = world.register(FOOD_SCOPE + "；" + ENTERTAINMENT_SCOPE, kind="scope_changed", previous_scope=FOOD_SCOPE)
    assert notice is not None
    assert notice.change_kind == "scope_changed"
    assert [e["name"] for e in notice.licences] == ["娱乐场所经营许可证"]
    assert list(notice.tasks.values_list("department_id", flat=True)) == [world.culture.pk]


def test_a_claim_for_a_department_that_already_has_the_notice_is_refused(world: SupervisionWorld) -> None:
    notice = world.register(FOOD_SCOPE + "；" + CHEMICAL_SCOPE)
    assert notice is not None
    pool = notice.tasks.get(status="pool")
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        services.dual_notice_task_claim(by=world.regulator, task_id=pool.pk)
    assert refused.value.code == "dual_notice_department_has_task"
    assert snapshot() == before
    with pytest.raises(PermissionDenied) as other:
        services.dual_notice_task_claim(by=world.regulator, task_id=pool.pk, department_id=world.culture.pk)
    assert other.value.code == "dual_notice_department_forbidden"
    assert snapshot() == before
    claimed = services.dual_notice_task_claim(by=world.culture_regulator, task_id=pool.pk)
    assert claimed.department_id == world.culture.pk


@pytest.mark.parametrize("name", ["culture_regulator", "regulator_other"])
def test_another_department_may_not_receive_or_answer(world: SupervisionWorld, name: str) -> None:
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    outsider = world.user(name)
    before = snapshot()
    with pytest.raises(PermissionDenied) as receive:
        services.dual_notice_task_receive(by=outsider, task_id=task.pk)
    assert (receive.value.code, receive.value.status) == ("dual_notice_action_forbidden", 403)
    assert snapshot() == before
    services.dual_notice_task_receive(by=world.regulator, task_id=task.pk)
    before = snapshot()
    with pytest.raises(PermissionDenied) as answer:
        services.dual_notice_task_answer(by=outsider, task_id=task.pk, answer=Answer.ISSUED)
    assert (answer.value.code, answer.value.status) == ("dual_notice_action_forbidden", 403)
    assert snapshot() == before


def test_someone_outside_supervision_does_not_find_the_task(world: SupervisionWorld) -> None:
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    before = snapshot()
    for name in ("citizen", "clerk", "clerk_other_department"):
        with pytest.raises(NotFound) as missing:
            services.dual_notice_task_receive(by=world.user(name), task_id=task.pk)
        assert missing.value.code == "dual_notice_task_not_found"
    with pytest.raises(NotFound):
        services.dual_notice_task_receive(by=world.regulator, task_id="abc")
    assert snapshot() == before


def test_a_bad_answer_is_refused_with_nothing_written(world: SupervisionWorld) -> None:
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = services.dual_notice_task_receive(by=world.regulator, task_id=notice.tasks.get().pk)
    before = snapshot()
    with pytest.raises(DomainError) as bad:
        services.dual_notice_task_answer(by=world.regulator, task_id=task.pk, answer="maybe")
    assert (bad.value.code, bad.value.status, list(bad.value.fields)) == ("dual_notice_answer_invalid", 422, ["answer"])
    with pytest.raises(DomainError) as long_note:
        services.dual_notice_task_answer(by=world.regulator, task_id=task.pk, answer=Answer.APPLIED, note="长" * 501)
    assert long_note.value.code == "dual_notice_note_too_long"
    assert snapshot() == before


def test_an_answer_in_time_and_a_late_answer(world: SupervisionWorld) -> None:
    on_time = world.register(FOOD_SCOPE)
    past = timezone.now() - datetime.timedelta(days=30)
    late = world.register(FOOD_SCOPE, organization=world.organization("上海迟复餐饮有限公司"), at=past)
    assert on_time is not None and late is not None
    late_task = late.tasks.get()
    assert late_task.due_date == add_working_days(timezone.localdate(past), 5)
    assert list(selectors.task_queue_for(world.regulator, overdue=True)) == [late_task]
    for notice, expected in ((on_time, False), (late, True)):
        task = services.dual_notice_task_receive(by=world.data_clerk, task_id=notice.tasks.get().pk)
        task = services.dual_notice_task_answer(
            by=world.data_clerk, task_id=task.pk, answer=Answer.APPLIED, note=" 已受理许可申请 "
        )
        assert (task.status, task.answer, task.answer_note, task.answered_late, task.answered_by) == (
            "answered",
            "applied",
            "已受理许可申请",
            expected,
            world.data_clerk,
        )
        event = DualNoticeTaskEvent.objects.filter(task=task).last()
        assert event is not None
        assert (event.action, event.data) == (
            "answer",
            {"answer": "applied", "late": expected, "due_date": task.due_date.isoformat()},
        )
    assert list(selectors.task_queue_for(world.regulator, overdue=True)) == []
    rows = selectors.overdue_by_department(world.culture_regulator)
    assert [(r.department, r.open_overdue, r.answered_late) for r in rows] == [(world.department, 0, 1)]


def test_a_holiday_added_moves_an_open_deadline(world: SupervisionWorld) -> None:
    today = timezone.localdate()
    open_notice = world.register(FOOD_SCOPE)
    done_notice = world.register(ENTERTAINMENT_SCOPE, organization=world.organization("上海已复娱乐有限公司"))
    assert open_notice is not None and done_notice is not None
    task = open_notice.tasks.get()
    done = done_notice.tasks.get()
    services.dual_notice_task_receive(by=world.culture_regulator, task_id=done.pk)
    services.dual_notice_task_answer(by=world.culture_regulator, task_id=done.pk, answer=Answer.NOT_NEEDED)
    first_day = add_working_days(today, 1)
    old_due = task.due_date
    core_services.calendar_days_set(
        by=world.admin, first=first_day, last=first_day, is_working_day=False, name="临时休假"
    )
    task.refresh_from_db()
    done.refresh_from_db()
    assert task.due_date == add_working_days(today, 5) == add_working_days(old_due, 1)
    assert done.due_date == old_due
    event = DualNoticeTaskEvent.objects.filter(task=task, action=TaskAction.RECALCULATE).get()
    assert event.data == {
        "due_date": task.due_date.isoformat(),
        "previous_due_date": old_due.isoformat(),
        "calendar": [first_day.isoformat(), first_day.isoformat()],
    }
    assert (
        AuditEntry.objects.filter(action="supervision.dual_notice_task.recalculate", target_id=str(task.pk)).count()
        == 1
    )


def test_reminders_go_to_the_department_once(world: SupervisionWorld) -> None:
    today = timezone.localdate()
    soon = world.register(FOOD_SCOPE)
    overdue = world.register(
        FOOD_SCOPE,
        organization=world.organization("上海超期餐饮有限公司"),
        at=timezone.now() - datetime.timedelta(days=30),
    )
    assert soon is not None and overdue is not None
    soon_task = soon.tasks.get()
    services.dual_notice_task_receive(by=world.regulator, task_id=soon_task.pk)
    day_before = soon_task.due_date - datetime.timedelta(days=1)
    for _ in range(60):  # the last day before the due date's working day: a few days back at most
        if add_working_days(day_before, 1) == soon_task.due_date:
            break
        day_before -= datetime.timedelta(days=1)
    else:
        raise AssertionError(f"no day in the 60 before {soon_task.due_date} has it as its next working day")
    assert services.dual_notice_reminders_send(today=day_before - datetime.timedelta(days=10)) == {
        "reminded": 0,
        "overdue": 1,
    }
    assert services.dual_notice_reminders_send(today=day_before) == {"reminded": 1, "overdue": 0}
    assert services.dual_notice_reminders_send(today=day_before) == {"reminded": 0, "overdue": 0}
    rows = sorted(Message.objects.values_list("event", "user__username", "subject_id", "channel"))
    assert rows == [
        ("dual_notice_deadline_warning", "p_manager", str(soon_task.pk), "inapp"),
        ("dual_notice_deadline_warning", "s_regulator", str(soon_task.pk), "inapp"),
        ("dual_notice_overdue", "p_manager", str(overdue.tasks.get().pk), "inapp"),
    ]
    message = Message.objects.filter(event="dual_notice_deadline_warning").first()
    assert message is not None
    assert (message.title, message.text) == (
        "双告知任务即将到期",
        f"双告知书{soon.number}：上海静安示例科技有限公司（统一社会信用代码{soon.credit_code}）的反馈期限为"
        f"{soon_task.due_date.isoformat()}，当前状态：已签收。/supervision/tasks/{soon_task.pk}/",
    )
    late = Message.objects.get(event="dual_notice_overdue")
    late_task = overdue.tasks.get()
    assert (late.title, late.text) == (
        "双告知任务已超期",
        f"双告知书{overdue.number}：上海超期餐饮有限公司（统一社会信用代码{overdue.credit_code}）的反馈期限"
        f"{late_task.due_date.isoformat()}已过，尚未反馈，当前状态：待签收。/supervision/tasks/{late_task.pk}/",
    )
    assert today <= soon_task.due_date
