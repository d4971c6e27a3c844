"""Browser test (Playwright + Debian Chromium) of the window terminal: the clerk logs in, opens the
window, calls the next ticket with the keyboard shortcut, sees it, starts and finishes it by keys."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.models import Ticket
from onewindow.centers.testing import CenterWorld

from .test_pages_staff import open_now, take

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def waiting(center_world: CenterWorld) -> Ticket:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    open_now(center_world.center)
    return take(center_world)


def test_clerk_calls_by_keyboard_and_finishes(center_world: CenterWorld, waiting: Ticket, page: Any) -> None:
    window = center_world.w1.pk
    page.goto(f"/accounts/login/?next=/centers/window/{window}/")
    page.get_by_label("用户名").fill("p_center_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith(f"/centers/window/{window}/")
    assert page.locator("#ticket-display").inner_text() == "空闲：按“叫号”呼叫下一位。"
    assert page.get_by_role("link", name="窗口叫号").is_visible()
    page.locator("body").click()  # focus the page, not a field
    with page.expect_navigation():
        page.keyboard.press("F1")  # call next
    assert page.locator("#ticket-display").inner_text() == "A001"
    assert page.locator("#ticket-status").inner_text() == "已叫号"
    assert page.get_by_role("status").inner_text().strip() == "已叫号：A001"
    with page.expect_navigation():
        page.keyboard.press("b")  # start
    assert page.locator("#ticket-status").inner_text() == "办理中"
    with page.expect_navigation():
        page.keyboard.press("f")  # finish
    assert page.locator("#ticket-display").inner_text() == "空闲：按“叫号”呼叫下一位。"
    assert page.locator("#served").inner_text() == "1"
    assert page.locator(f'#today tr[data-ticket="{waiting.pk}"] td').nth(1).inner_text() == "已办结"
    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet at the window: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_navigation():
        page.keyboard.press("n")  # nobody waits: the refusal is shown, never a 500
    assert page.get_by_role("alert").inner_text() == "当前没有等候的排队号。 (409 queue_empty)"
