"""Browser test (Playwright + Debian Chromium), the issue's done-means: a resident asks on the web
page; a clerk of the center answers and publishes it, then turns it into an FAQ entry; the FAQ
search finds it in Chinese and in pinyin initials."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD, Principals

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ANSWER = "请携带身份证、租赁合同备案证明和近期照片到中心窗口办理。"


@pytest.fixture
def world(centers: Principals) -> Principals:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return centers


def test_a_question_becomes_an_faq_entry(world: Principals, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the WeChat page
    page.goto("/interaction/")
    assert page.locator("h1").inner_text() == "互动交流 · 在线问答"
    page.get_by_label("服务中心").select_option(label=world.department.name)
    page.get_by_label("您的问题").fill("请问办理居住证需要哪些材料？")
    page.get_by_label("手机号码（用于通知答复）").fill("13812345678")
    with page.expect_navigation():
        page.get_by_role("button", name="提交问题").click()
    assert "您的问题已提交" in page.get_by_role("status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/accounts/login/?next=/interaction/manage/")
    page.get_by_label("用户名").fill("p_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("h1").inner_text() == "在线问答收件箱"
    assert page.locator("#summary").inner_text() == "待答复 1 个，其中超期 0 个。"
    with page.expect_navigation():
        page.locator("#inbox tbody a").first.click()
    assert page.locator("#q-status").inner_text() == "待分派"
    page.get_by_label("答复", exact=True).fill(ANSWER)
    with page.expect_navigation():
        page.get_by_role("button", name="保存答复").click()
    assert page.locator("#q-status").inner_text() == "已答复"
    page.get_by_label("公开的问题文字（可删去个人信息；留空则原样公开）").fill("办理居住证需要哪些材料？")
    with page.expect_navigation():
        page.get_by_role("button", name="公开问答").click()
    assert page.locator("#q-status").inner_text() == "已公开"
    with page.expect_navigation():
        page.get_by_role("link", name="转为常见问题").click()
    assert page.get_by_label("问题", exact=True).input_value() == "办理居住证需要哪些材料？"
    assert page.get_by_label("答复", exact=True).input_value() == ANSWER
    with page.expect_navigation():
        page.get_by_role("button", name="发布常见问题").click()
    assert page.get_by_role("status").inner_text().strip() == "常见问题已发布。"

    for query in ("jzz", "居住证"):  # the published Q&A is searched in Chinese only
        page.goto("/interaction/")
        page.get_by_label("搜索常见问题和已公开的问答（中文或拼音，如 居住证、jzz）").fill(query)
        with page.expect_navigation():
            page.get_by_role("button", name="搜索").click()
        assert page.locator("#faq-results summary").all_inner_texts() == ["办理居住证需要哪些材料？"], query
    page.locator("#faq-results summary").first.click()
    assert "租赁合同备案证明" in page.locator("#faq-results .answer").first.inner_text()
    assert page.locator("#qa-list .q").all_inner_texts()[0].endswith("办理居住证需要哪些材料？")
