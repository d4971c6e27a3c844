"""Browser test (Playwright + Debian Chromium): a department's data clerk logs in, finds the 双告知
task of a newly registered entity in the department's queue, receives it and answers it; the
timeline shows each step, and the statistics count the answer."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.supervision.models import DualNoticeTask
from onewindow.supervision.testing import SupervisionWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def task(world: SupervisionWorld) -> DualNoticeTask:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    notice = world.register()
    assert notice is not None
    return notice.tasks.get(department=world.department)


def test_a_department_clerk_answers_a_task(task: DualNoticeTask, page: Any) -> None:
    page.goto("/accounts/login/?next=/supervision/tasks/")
    page.get_by_label("用户名").fill("s_data_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "双告知任务"
    row = page.locator(f'tr[data-task="{task.pk}"]')
    assert row.locator("td").nth(2).inner_text() == "食品经营许可证"
    assert row.locator("td").nth(4).inner_text() == "待签收"
    with page.expect_navigation():
        row.get_by_role("link", name=task.notice.number).click()
    assert page.locator("#task-status").inner_text() == "待签收"
    assert page.locator("#licences a").inner_text() == "食品经营许可证"
    page.get_by_role("button", name="签收", exact=True).focus()  # keyboard only: focus and Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#task-status").inner_text() == "已签收"
    assert page.get_by_role("status").inner_text().strip() == "已完成：签收"
    page.get_by_label("反馈结果").select_option(label="已现场核查")
    page.get_by_label("反馈说明").fill("已上门核查，尚未开展餐饮经营")
    with page.expect_navigation():
        page.get_by_role("button", name="提交反馈").click()
    assert page.locator("#task-status").inner_text() == "已反馈"
    assert page.locator("#task-answer").inner_text() == "已现场核查：已上门核查，尚未开展餐饮经营"
    assert page.locator("#timeline li strong").all_inner_texts() == ["推送告知", "签收", "反馈"]
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: the page never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto("/supervision/statistics/")
    assert page.locator("#total-received").inner_text() == "2"
    assert page.locator("#total-answered").inner_text() == "1"
    page.goto("/supervision/")
    assert page.locator("#fig-answered").inner_text() == "1"
    assert page.locator("#chart-notices canvas").count() == 1  # ECharts drew the chart from local files
