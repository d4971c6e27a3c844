"""The messages of 双告知 (DOMAIN.md R5.1 steps 1 and 3): after a registration commits, each
competent department's handlers learn of their new task in-app (``dual_notice_task_new``); the
认领 pool is announced to nobody; the entity's contacts are told the licences it may need and
their guides (``dual_notice_to_entity``: SMS to each known mobile once, in-app to each login);
a rolled-back registration tells nobody; a failing message never undoes the registration."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import MandateFactory, PersonFactory, StaffRoleFactory, UserFactory
from onewindow.notifications.models import Message
from onewindow.supervision.models import DualNotice, DualNoticeTask
from onewindow.supervision.testing import (
    CHEMICAL_SCOPE,
    ENTERTAINMENT_SCOPE,
    FOOD_ITEM_CODE,
    FOOD_SCOPE,
    SupervisionWorld,
)


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
    assert len(callbacks) == 2
    assert Message.objects.count() == 0


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


# ---- 告知申请人: the entity -------------------------------------------------------------------

PUBLIC = "https://zwdt.example.gov.cn"


def entity_rows() -> list[tuple[str, str | None, str, str]]:
    return sorted(
        (channel, username, phone, subject)
        for channel, username, phone, subject in Message.objects.filter(event="dual_notice_to_entity").values_list(
            "channel", "user__username", "phone", "subject_id"
        )
    )


def legal_rep_profile(world: SupervisionWorld, organization: Any, phone: str) -> None:
    """The registry row of ``organization`` with its legal representative's phone (market)."""
    from onewindow.market.models import EntityProfile, Industry

    industry, _created = Industry.objects.get_or_create(
        code="62", defaults={"name": "餐饮业", "level": "division", "section": "H"}
    )
    EntityProfile.objects.create(
        organization=organization,
        entity_type="limited_company",
        legal_rep_id_number="",
        legal_rep_phone=phone,
        address="上海市静安区南京西路1号",
        district=world.p.district,
        industry=industry,
        established_on=timezone.localdate(),
    )


def test_the_entity_is_told_its_licences_and_guides(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.ONEWINDOW_PUBLIC_URL = PUBLIC
    agent = world.p.users["agent"]
    assert agent.person is not None
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register()
    assert notice is not None
    # The entity's login p_agent is also the agent of its mandate: one SMS and one in-app message.
    assert entity_rows() == [
        ("inapp", "p_agent", "", str(notice.pk)),
        ("sms", "p_agent", agent.person.phone, str(notice.pk)),
    ]
    guide = f"食品经营许可证 {PUBLIC}/catalog/items/{FOOD_ITEM_CODE}/"
    sms = Message.objects.get(event="dual_notice_to_entity", channel="sms")
    assert (sms.text, sms.status, sms.language) == (
        "【双告知】上海静安示例科技有限公司：根据您登记的经营范围，可能需要办理以下许可：食品经营许可证、"
        f"娱乐场所经营许可证。取得许可前请勿从事相关经营活动。办事指南：{guide}",
        "pending",
        "zh-hans",
    )
    inapp = Message.objects.get(event="dual_notice_to_entity", channel="inapp")
    assert (inapp.title, inapp.text) == (
        "可能需要办理的许可",
        f"双告知书{notice.number}：上海静安示例科技有限公司（统一社会信用代码{notice.credit_code}）根据登记的经营范围，"
        "可能需要办理以下许可：食品经营许可证、娱乐场所经营许可证。取得许可前请勿从事相关经营活动。"
        f"办事指南：{guide} {PUBLIC}/supervision/notices/{notice.pk}/",
    )
    assert "期限" not in sms.text + inapp.text


def test_no_guide_no_guide_line(world: SupervisionWorld, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register(ENTERTAINMENT_SCOPE)
    assert notice is not None
    sms = Message.objects.get(event="dual_notice_to_entity", channel="sms")
    assert sms.text == (
        "【双告知】上海静安示例科技有限公司：根据您登记的经营范围，可能需要办理以下许可：娱乐场所经营许可证。"
        "取得许可前请勿从事相关经营活动。"
    )


def test_every_contact_once_and_only_mobiles_by_sms(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    org = world.organization("上海静安联系人测试餐饮有限公司")
    # An agent without a login (SMS only), an agent whose login has no phone (in-app only), an
    # agent with neither (nobody), a revoked and an expired mandate (not told), and the legal
    # representative's phone, which one agent shares (one SMS to it).
    no_login = PersonFactory.create(phone="13900000001")
    no_phone_user = UserFactory.create(username="e_no_phone", person=PersonFactory.create(phone=""))
    nobody = PersonFactory.create(phone="")
    revoked = PersonFactory.create(phone="13900000002")
    expired = PersonFactory.create(phone="13900000003")
    today = timezone.localdate()
    MandateFactory.create(agent=no_login, principal_organization=org)
    MandateFactory.create(agent=no_phone_user.person, principal_organization=org)
    MandateFactory.create(agent=nobody, principal_organization=org)
    MandateFactory.create(
        agent=revoked, principal_organization=org, revoked_at=timezone.now(), revoked_reason="解除委托"
    )
    MandateFactory.create(
        agent=expired,
        principal_organization=org,
        valid_from=today - datetime.timedelta(days=30),
        valid_to=today - datetime.timedelta(days=1),
    )
    legal_rep_profile(world, org, "139-0000-0001")
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register(FOOD_SCOPE, organization=org)
    assert notice is not None
    assert entity_rows() == [
        ("inapp", "e_no_phone", "", str(notice.pk)),
        ("sms", None, "13900000001", str(notice.pk)),
    ]


def test_the_legal_representative_mobile_is_texted_and_a_landline_is_not(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    mobile = world.organization("上海静安法人手机测试有限公司")
    landline = world.organization("上海静安法人座机测试有限公司")
    legal_rep_profile(world, mobile, "+86 139 1234 5678")
    legal_rep_profile(world, landline, "021-62345678")
    with django_capture_on_commit_callbacks(execute=True):
        told = world.register(FOOD_SCOPE, organization=mobile)
        untold = world.register(FOOD_SCOPE, organization=landline)
    assert told is not None and untold is not None
    assert entity_rows() == [("sms", None, "13912345678", str(told.pk))]


def test_a_notice_without_licences_tells_the_entity_nothing(
    world: SupervisionWorld, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notice = world.register("软件开发；技术咨询")
    assert notice is not None and notice.licences == []
    assert entity_rows() == []
