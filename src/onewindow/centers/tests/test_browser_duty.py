"""Browser test (Playwright + Debian Chromium) of 上岗签到 / 离岗签退 at the window terminal: the
clerk logs in, opens the window, signs in (the terminal names them), and signs out again."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.selectors import user_name
from onewindow.centers.testing import CenterWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def clerk_name(center_world: CenterWorld) -> str:
    # Read before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return user_name(center_world.clerk)


def test_clerk_signs_in_and_out_at_the_terminal(center_world: CenterWorld, clerk_name: str, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    window = center_world.w1.pk
    page.goto(f"/accounts/login/?next=/centers/window/{window}/")
    page.get_by_label("用户名").fill("p_center_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("#signed-in").inner_text() == "本窗口无人签到"
    with page.expect_navigation():
        page.get_by_role("button", name="上岗签到").click()
    assert page.get_by_role("status").inner_text().strip() == "已签到。"
    assert page.locator("#signed-in").inner_text() == f"已签到：{clerk_name}"
    assert page.get_by_role("button", name="上岗签到").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="离岗签退").click()
    assert page.get_by_role("status").inner_text().strip() == "已签退。"
    assert page.locator("#signed-in").inner_text() == "本窗口无人签到"
    assert errors == []
