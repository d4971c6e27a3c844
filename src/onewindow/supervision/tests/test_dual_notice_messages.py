"""The messages of 双告知 (DOMAIN.md R5.1 steps 1 and 3): after a registration commits, each
competent department's handlers learn of their new task in-app (``dual_notice_task_new``); the
认领 pool is announced to nobody; a rolled-back registration tells nobody; a failing message never
undoes the registration."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import StaffRoleFactory, UserFactory
from onewindow.notifications.models import Message
from onewindow.supervision.models import DualNotice, DualNoticeTask
from onewindow.supervision.testing import CHEMICAL_SCOPE, FOOD_SCOPE, SupervisionWorld


def staff_rows() -> list[tuple[str, str, str, str]]:
    return sorted(
        Message.objects.filter(event="dual_notice_task_new").values_list(
            "user__username", "subject_type", "subject_id", "channel"
        )
    )


def test_a_new_task_tells_its_department_handlers(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    revoked = UserFactory.create(username="s_revoked")
    StaffRoleFactory.create(
        user=revoked, role=StaffRoleKind.REGULATOR, department=world.department, valid=False, revoked_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register()
    assert notice is not None
    food = notice.tasks.get(department=world.department)
    culture = notice.tasks.get(department=world.culture)
    # The market bureau's regulator, data clerk and admin; the culture bureau's regulator. Window
    # staff of the bureau (clerk, reviewer), other districts and revoked roles hear nothing.
    assert staff_rows() == sorted(
        [
            ("p_manager", "dual_notice_task", str(food.pk), "inapp"),
            ("s_data_clerk", "dual_notice_task", str(food.pk), "inapp"),
            ("s_regulator", "dual_notice_task", str(food.pk), "inapp"),
            ("s_culture_regulator", "dual_notice_task", str(culture.pk), "inapp"),
        ]
    )
    message = Message.objects.get(event="dual_notice_task_new", user=world.regulator)
    assert (message.title, message.text, message.language, message.status) == (
        "收到双告知任务",
        f"双告知书{notice.number}：上海静安示例科技有限公司（统一社会信用代码{notice.credit_code}）"
        f"可能需办理食品经营许可证，请签收并于{food.due_date.isoformat()}前反馈。/supervision/tasks/{food.pk}/",
        "zh-hans",
        "sent",
    )
    assert not Message.objects.filter(channel="sms", event="dual_notice_task_new").exists()


def test_an_english_speaking_handler_reads_english(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    world.culture_regulator.preferred_language = "en"
    world.culture_regulator.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register()
    assert notice is not None
    task = notice.tasks.get(department=world.culture)
    message = Message.objects.get(event="dual_notice_task_new", user=world.culture_regulator)
    assert (message.title, message.text) == (
        "New dual-notice task",
        f"Dual notice {notice.number}: 上海静安示例科技有限公司 (credit code {notice.credit_code}) may need "
        f"娱乐场所经营许可证. Please receive it and answer by {task.due_date.isoformat()}. "
        f"/supervision/tasks/{task.pk}/",
    )


def test_the_pool_is_announced_to_nobody(world: SupervisionWorld, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register(CHEMICAL_SCOPE)
    assert notice is not None
    assert notice.tasks.get().status == "pool"
    assert staff_rows() == []


def test_nothing_is_announced_before_the_registration_commits(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = world.register(FOOD_SCOPE)
    assert notice is not None
    assert len(callbacks) == 1
    assert staff_rows() == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_registration_tells_nobody() -> None:
    from django.db import transaction

    from onewindow.supervision.testing import build_world

    world = build_world()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert world.register(FOOD_SCOPE) is not None
        raise RuntimeError("the registration fails after the listener ran")
    assert DualNotice.objects.count() == 0
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_failing_message_does_not_undo_the_registration() -> None:
    from onewindow.supervision.testing import build_world

    world = build_world()
    with mock.patch(
        "onewindow.supervision.services.dispatch.message_enqueue", side_effect=RuntimeError("template broken")
    ):
        notice = world.register(FOOD_SCOPE)
    assert notice is not None
    assert DualNotice.objects.filter(pk=notice.pk).exists()
    assert DualNoticeTask.objects.filter(notice=notice).count() == 1
    assert Message.objects.count() == 0
