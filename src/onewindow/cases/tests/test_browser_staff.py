"""Browser test (Playwright + Debian Chromium) of the staff side: a window clerk logs in, opens the
inbox, opens an online application (made through the services) and accepts it; a reviewer starts
the review and approves; the timeline on the detail page shows every step."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.cases.models import Case
from onewindow.cases.testing import CaseWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submitted(case_world: CaseWorld) -> Case:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return case_world.submitted()


def _login(page: Any, username: str, next_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_clerk_accepts_then_reviewer_approves(submitted: Case, page: Any) -> None:
    number = submitted.number
    assert number is not None
    _login(page, "p_clerk", "/cases/staff/")
    assert page.locator("h1").inner_text() == "待办"
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: the page never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.get_by_role("link", name="办件工作台").is_visible()
    row = page.locator(f'tr[data-case="{submitted.pk}"]')
    assert row.locator("td").nth(5).inner_text() == "已提交"
    with page.expect_navigation():
        row.get_by_role("link", name=number).click()
    assert page.url.endswith(f"/cases/staff/{submitted.pk}/")
    assert page.locator("#case-status").inner_text() == "已提交"
    page.get_by_role("button", name="受理", exact=True).focus()  # keyboard only: focus and Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#case-status").inner_text() == "已受理"
    assert page.get_by_role("status").inner_text().strip() == "已完成：受理"
    assert page.get_by_role("button", name="开始审查", exact=True).count() == 0  # a clerk does not review

    _login(page, "p_reviewer", f"/cases/staff/{submitted.pk}/")
    with page.expect_navigation():
        page.get_by_role("button", name="开始审查", exact=True).click()
    assert page.locator("#case-status").inner_text() == "审查中"
    page.get_by_label("证照名称").fill("食品经营许可证")
    with page.expect_navigation():
        page.get_by_role("button", name="准予许可", exact=True).click()
    assert page.locator("#case-status").inner_text() == "准予许可"
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    steps = page.locator("#timeline li strong").all_inner_texts()
    assert steps == ["创建申请", "提交申请", "受理", "开始审查", "准予许可"]
    assert page.locator("#licence").inner_text().startswith("证照：食品经营许可证 ZZ-")
