"""Browser test (Playwright + Debian Chromium) of the applicant path: log in → apply for the item →
fill the form → upload a PDF → submit → see the case number; staff accept, approve and deliver
(through the services); the public query with the query code and phone tail shows the steps."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from onewindow.accounts.testing import PASSWORD
from onewindow.cases import services
from onewindow.cases.models import Case
from onewindow.cases.testing import PDF, CaseWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _orm(fn: Callable[[], Any]) -> Any:
    """Run ORM work outside Playwright's event loop (Django refuses sync ORM calls inside one)."""
    def run() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()  # the thread's own connection, or PostgreSQL cannot drop the test database

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def test_apply_upload_submit_then_follow_by_query_code(case_world: CaseWorld, page: Any) -> None:
    p = case_world.p
    item_code = case_world.item.code
    phone_tail = p.citizen.person.phone[-4:]

    page.goto(f"/accounts/login/?next=/cases/apply/{item_code}/")
    page.get_by_label("用户名").fill("p_citizen")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "在线申请：食品经营许可（测试）"
    assert page.get_by_label("申请人名称").input_value() == p.citizen.person.name  # from the profile
    page.get_by_label("申请事项说明").fill("新办食品经营许可")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert page.url.endswith("/edit/")

    page.get_by_label("选择文件：居民身份证").set_input_files(
        files=[{"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.locator(".material", has_text="居民身份证").get_by_role("button", name="上传").click()
    assert page.get_by_role("link", name="身份证.pdf").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    number = page.locator("#case-number").inner_text()
    query_code = page.locator("#query-code").inner_text()
    assert page.locator("#case-status").inner_text() == "已提交"
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
