"""Browser test (Playwright + Debian Chromium) of item decisions: the center manager opens the
low-volume items set to the seed window, sees the items at zero (one of them already withdrawn,
dated) and proposes withdrawing another; the department admin of the item's department accepts;
the catalog's guide of the item then shows it withdrawn. The fixed history is decisions_world's
(the demo's full 15/5/42 is test_seed_window's); no console error or CSP violation; the list fits
a phone's width."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.testing import CenterWorld

from .decisions_world import DecisionWorld, build_decision_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dw(center_world: CenterWorld) -> DecisionWorld:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return build_decision_world(center_world)


def _login(page: Any, username: str, next_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_manager_proposes_a_withdrawal_and_the_department_accepts(dw: DecisionWorld, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, dw.manager.get_username(), "/analytics/decisions/")
    assert page.url.endswith("/analytics/decisions/")
    with page.expect_navigation():
        page.get_by_role("link", name="种子窗口（2016-04-01至2017-09-05）").click()
    summary = page.locator("#summary")
    assert summary.inner_text() == "零办件事项 2 项（其中已取消 1 项）；办件量 1 至 9 件的事项 1 项。"
    rows = page.locator("#candidates tbody tr[data-item]")
    assert rows.count() == 3
    gone = page.locator(f'tr[data-item="{dw.gone.code}"]')
    assert "已取消 2017-02-20" in gone.inner_text()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page itself does not scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1280, "height": 900})
    row = page.locator(f'tr[data-item="{dw.zero.code}"]')
    assert row.get_by_label("建议", exact=True).input_value() == "withdraw"
    assert row.get_by_label("建议理由").input_value() == "2016-04-01至2017-09-05零办件。"
    with page.expect_navigation():
        row.get_by_role("button", name="提出建议").click()
    assert page.locator("#status").inner_text() == "待部门决定"
    proposal_url = page.url
    assert page.locator("#accept").count() == 0  # the manager does not decide

    _login(page, dw.deptadmin.get_username(), "/analytics/decisions/proposals/")
    link = page.get_by_role("link", name="有线电视费减免申请（测试）")
    with page.expect_navigation():
        link.click()
    assert page.url == proposal_url
    page.get_by_label("部门意见（可选）").fill("同意取消")
    with page.expect_navigation():
        page.get_by_role("button", name="采纳并取消该事项").click()
    assert page.locator("#status").inner_text() == "部门已采纳"
    assert "第 2 版（已取消" in page.locator("#catalog-version").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="查看办事指南").click()
    banner = page.locator(".status-banner")
    assert banner.inner_text().startswith("已取消")
    assert "依据中心办件量分析（2016-04-01至2017-09-05办件0件）取消事项：同意取消" in banner.inner_text()
    assert errors == []
