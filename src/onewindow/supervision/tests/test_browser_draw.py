"""Browser test (Playwright + Debian Chromium) of a 双随机 draw plan: the market bureau's regulator
drafts a plan with the form, publishes it (naming a future random value), freezes the pool before
that value exists, enters the value once it does and draws; the public page shows the selection
digest but no names; after the inspection is closed the public page shows the entities drawn."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD

from .test_draw_plans_world import DrawWorld, build_draw_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALUE = "03 07 12 19 25 31 + 08"
SOURCE = "上海福利彩票 双色球 第2026025期开奖号码"


def codes_and_names(rows: Any) -> list[tuple[str, str]]:
    return [(rows.nth(i).get_attribute("data-code"), rows.nth(i).locator("td").nth(1).inner_text()) for i in range(4)]


@pytest.fixture
def dw(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> DrawWorld:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return build_draw_world(monkeypatch)


def test_plan_publish_freeze_draw_close_and_the_public_page(dw: DrawWorld, page: Any) -> None:
    day = dw.clock.day
    value_day = day + datetime.timedelta(days=3)
    page.goto("/accounts/login/?next=/supervision/plans/")
    page.get_by_label("用户名").fill("s_regulator")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "抽查任务"
    with page.expect_navigation():
        page.get_by_role("link", name="制定抽查任务").click()

    page.get_by_label("任务名称").fill("2026 年第一季度企业公示信息抽查")
    page.get_by_label(f"{dw.w.department.name} · CHK-000 抽查事项0").check()
    page.get_by_label("区或街镇代码").fill("310106")
    page.get_by_label("按户数").check()
    for grade in "ABCD":
        page.get_by_label(f"{grade} 类户数").fill("1")
    page.get_by_label("公开随机数来源").fill(SOURCE)
    page.get_by_label("随机数产生日期").fill(value_day.isoformat())
    page.get_by_label("检查截止日期").fill((day + datetime.timedelta(days=30)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert page.locator("#plan-status").inner_text() == "草稿"
    number = page.locator("#number").inner_text()

    page.get_by_role("button", name="发布任务").focus()  # keyboard only: focus and Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#plan-status").inner_text() == "已发布"
    assert page.get_by_role("status").inner_text().strip() == f"已发布任务 {number}。"

    dw.clock.advance(1)  # the next day, before the value exists
    with page.expect_navigation():
        page.get_by_role("button", name="冻结名录").click()
    assert page.locator("#plan-status").inner_text() == "名录已冻结"
    pool_digest = page.locator("#pool-digest").inner_text()
    assert len(pool_digest) == 64

    dw.clock.day = value_day  # the value exists now
    page.get_by_label(f"公开随机数（{SOURCE}）").fill(VALUE)
    with page.expect_navigation():
        page.get_by_role("button", name="录入随机数并抽取").click()
    assert page.locator("#plan-status").inner_text() == "已抽取"
    digest = page.locator("#selection-digest").inner_text()
    drawn = page.locator("#drawn tbody tr")  # the planner sees whom to visit
    assert drawn.count() == 4
    expected = codes_and_names(drawn)

    with page.expect_navigation():
        page.get_by_role("link", name="查看公示页面").click()
    assert page.locator("#number").inner_text() == number
    assert page.locator("#pool-digest").inner_text() == pool_digest
    assert page.locator("#selection-digest").inner_text() == digest
    assert page.locator("#random-value").inner_text() == VALUE
    assert page.locator("#names-wait").count() == 1
    assert page.locator("#entities").count() == 0  # nobody is tipped off before the inspection

    page.go_back()
    with page.expect_navigation():
        page.get_by_role("button", name="结束检查").click()
    assert page.locator("#plan-status").inner_text() == "检查已结束"

    page.goto(f"/supervision/public/draws/{number}/")
    rows = page.locator("#entities tbody tr")
    assert rows.count() == 4
    shown = codes_and_names(rows)
    assert shown == expected
    assert all(name.startswith("上海静安抽查样本") for _code, name in shown)
    assert len(page.locator("#secret").inner_text()) == 64  # anyone can now recompute the draw
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: the page never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
