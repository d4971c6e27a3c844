"""Browser test (Playwright + Debian Chromium): the center manager turns a key-training proposal
into a course with a session, holds it, records the attendance and reads the course's effect."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import PASSWORD
from onewindow.training.testing import TrainingWorld, case_facts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(training_world: TrainingWorld) -> TrainingWorld:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    case_facts(training_world.center, training_world.item, timezone.localdate() - datetime.timedelta(days=20),
               received=640)
    return training_world


def test_the_manager_plans_key_training_and_sees_its_effect(world: TrainingWorld, page: Any) -> None:
    t = world
    page.goto("/accounts/login/?next=/training/")
    page.get_by_label("用户名").fill(t.manager.username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "培训管理"
    row = page.locator(f'#key-items tr[data-item="{t.item.pk}"]')
    assert row.locator("td").nth(1).inner_text() == "640"
    assert row.locator("td").nth(2).inner_text() == "未安排"
    with page.expect_navigation():
        row.get_by_role("link", name="安排重点培训").click()
    assert page.locator("h1").inner_text() == "新建培训课程"
    assert page.get_by_label("课程名称").input_value() == f"{t.item.name}业务培训"
    with page.expect_navigation():
        page.get_by_role("button", name="创建课程").click()
    assert page.get_by_role("status").inner_text().strip() == "培训课程已创建，请安排场次。"
    page.get_by_label("开始时间").fill("2017-03-01T14:00")
    page.get_by_label("结束时间").fill("2017-03-01T16:00")
    page.get_by_label("地点").fill("三楼会议室")
    page.get_by_label("讲师").fill("王老师")
    with page.expect_navigation():
        page.get_by_role("button", name="安排场次").click()
    assert page.locator("#status").inner_text() == "计划"
    with page.expect_navigation():
        page.get_by_role("button", name="标记为已举办").click()
    assert page.locator("#status").inner_text() == "已举办"
    page.locator(f'tr[data-clerk="{t.clerk.pk}"]').get_by_label("出席").check()
    page.locator(f'tr[data-clerk="{t.clerk2.pk}"]').get_by_label("请假").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存出勤").click()
    assert page.locator("#status").inner_text() == "已登记出勤"
    with page.expect_navigation():
        page.get_by_role("link", name="返回课程").click()
    with page.expect_navigation():
        page.get_by_role("link", name="查看培训效果").click()
    assert page.locator("h1").inner_text() == f"培训效果：{t.item.name}业务培训"
    assert page.locator("section[data-session] h2").inner_text() == "2017-03-01 三楼会议室（出席 1 人）"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
