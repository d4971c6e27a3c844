"""Browser test (Playwright + Debian Chromium) of the applicant path: log in → apply for the item →
fill the form → upload a PDF → submit → see the case number; staff accept, approve and deliver
(through the services); the public query with the query code and phone tail shows the steps."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.cases import services
from onewindow.cases.models import Case
from onewindow.cases.testing import PDF, CaseWorld
from onewindow.core.masking import mask_name
from onewindow.core.testing import orm_beside_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


_orm = orm_beside_browser


def test_apply_upload_submit_then_follow_by_query_code(case_world: CaseWorld, page: Any) -> None:
    p = case_world.p
    item_code = case_world.item.code
    phone_tail = p.citizen.person.phone[-4:]

    page.set_viewport_size({"width": 360, "height": 740})  # a phone (the WeChat H5 pages are the same)
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    page.goto(f"/accounts/login/?next=/cases/apply/{item_code}/")
    page.get_by_label("用户名").fill("p_citizen")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "在线申请：食品经营许可（测试）"
    assert page.get_by_label("申请人名称").input_value() == mask_name(p.citizen.person.name)  # the profile, masked
    assert page.evaluate(fits)
    page.get_by_label("申请事项说明").fill("新办食品经营许可")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert page.url.endswith("/edit/")

    page.get_by_label("选择文件：居民身份证").set_input_files(
        files=[{"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.locator(".material", has_text="居民身份证").get_by_role("button", name="上传").click()
    assert page.get_by_role("link", name="身份证.pdf").is_visible()
    assert page.evaluate(fits)

    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    number = page.locator("#case-number").inner_text()
    query_code = page.locator("#query-code").inner_text()
    assert page.locator("#case-status").inner_text() == "已提交"
    assert page.evaluate(fits)
    case = _orm(lambda: Case.objects.get(query_code=query_code))
    assert number == case.number and number.startswith("310106-")
    assert page.get_by_role("status").inner_text() == f"申请已提交，办件编号 {number}。"

    def decide() -> None:
        services.case_accept(by=p.clerk, case_id=case.pk)
        services.case_start_review(by=p.reviewer, case_id=case.pk)
        services.case_approve(by=p.reviewer, case_id=case.pk)
        services.case_deliver(by=p.clerk, case_id=case.pk, method="window")

    _orm(decide)

    page.goto("/cases/query/")
    page.get_by_label("查询码").fill(query_code)
    page.get_by_label("手机号后四位").fill(phone_tail)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.locator("#result-status").inner_text() == "已送达"
    steps = page.locator("#query-steps li").all_inner_texts()
    dept = " · 上海市静安区市场监督管理局"
    assert [s.split(" ", 2)[2] for s in steps] == [
        "提交申请 → 已提交", f"受理 → 已受理{dept}", f"开始审查 → 审查中{dept}", f"准予许可 → 准予许可{dept}",
        f"送达结果 → 已送达{dept}"]


def test_kiosk_large_targets_elderly_mode_and_reset_after_inactivity(case_world: CaseWorld,
                                                                    kiosk_cookie: dict[str, Any], page: Any,
                                                                    live_server: Any) -> None:
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    # The browser is enrolled as the center's kiosk (decision 0008): no login.
    page.context.add_cookies([{**kiosk_cookie, "url": live_server.url}])
    height = "() => document.querySelector('#kiosk-submit').getBoundingClientRect().height"
    # The page's timers run on a clock that moves only when the test says so (run_for fires every
    # due timer): no waiting, no timing.
    start = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
    page.clock.install(time=start)
    page.clock.pause_at(start + datetime.timedelta(seconds=1))
    page.goto(url)
    assert page.locator("h1").inner_text() == "自助填单：食品经营许可（测试）"
    assert page.evaluate(height) >= 60
    with page.expect_navigation():
        page.click("#elderly-switch")
    assert page.evaluate(height) >= 76

    page.evaluate("() => { window.kioskPageMark = 1; }")  # gone once the page is loaded anew
    page.get_by_label("姓名").fill("王秀英")
    page.clock.run_for(100_000)
    page.get_by_label("手机号码").fill("139")  # input restarts the 120 s
    page.clock.run_for(100_000)
    assert page.evaluate("() => window.kioskPageMark") == 1
    assert page.get_by_label("姓名").input_value() == "王秀英"
    with page.expect_event("load"):  # the reset loads the start page anew
        page.clock.run_for(30_000)
    assert page.evaluate("() => window.kioskPageMark") is None
    assert page.url.endswith(url)
    assert page.get_by_label("姓名").input_value() == ""
    assert _orm(lambda: Case.objects.count()) == 0
