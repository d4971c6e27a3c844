"""Browser test (Playwright + Debian Chromium) of the hall: the kiosk takes a ticket → the printed
ticket links to the live status page → a clerk calls it (through the services) → the status page
shows the window within seconds (htmx polling, no reload) → the hall display shows the call and
queues its voice announcement; the kiosk's touch targets and its reset after 90 s of inactivity."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.centers import services
from onewindow.centers.testing import CenterWorld, binding_cookie
from onewindow.core.testing import orm_beside_browser

from .test_pages_public import open_around_the_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


_orm = orm_beside_browser


@pytest.fixture
def hall(center_world: CenterWorld) -> tuple[CenterWorld, tuple[str, str]]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only); the
    # browser is enrolled as the hall kiosk (decision 0008).
    open_around_the_clock(center_world)
    return center_world, binding_cookie(center_world.kiosk)


@pytest.fixture
def kiosk(hall: tuple[CenterWorld, tuple[str, str]], page: Any, live_server: Any) -> CenterWorld:
    """The page's browser holds the kiosk's binding cookie, as after its enrolment."""
    world, (name, value) = hall
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url, "httpOnly": True,
                               "sameSite": "Strict"}])
    return world


def test_kiosk_ticket_status_page_and_display_follow_the_call(kiosk: CenterWorld, page: Any) -> None:
    w = kiosk
    page.goto("/centers/TEST-LFL/kiosk/")
    take_a = page.locator('button[data-prefix="A"]')
    assert take_a.bounding_box()["height"] >= 64
    assert page.locator("#lane-rule").inner_text() == "老年人、残疾人优先取号：请到咨询台，由工作人员为您办理优先号。"
    with page.expect_navigation():
        take_a.click()
    assert page.locator("#ticket-number").inner_text() == "A001"
    assert page.locator(".ticket .qr svg").count() == 1
    with page.expect_navigation():
        page.locator("#status-link").click()
    assert page.url.endswith("/")
    assert page.locator("#ticket-ahead").inner_text() == "0"
    assert page.locator("#ticket-called").count() == 0

    _orm(lambda: services.ticket_call_next(by=w.clerk, window_id=w.w1.pk))
    called = page.locator("#ticket-called")
    called.wait_for(timeout=10_000)  # the fragment polls every second
    assert called.inner_text() == "请到 1 号窗口"
    assert page.locator("#ticket-status").inner_text() == "已叫号"
    assert page.locator("#ticket-cancel").count() == 0  # the actions were swapped out of band
    assert page.locator("#ticket-call").get_attribute("aria-live") == "assertive"

    page.goto("/centers/TEST-LFL/display/")
    current = page.locator('.display-current li[data-key="A001@1"]').inner_text()
    assert " ".join(current.split()) == "请 A001 号到 1 号窗口"
    page.get_by_role("button", name="启用语音播报").click()
    assert page.locator("#voice-state").inner_text() == "语音播报已启用"

    def second_call() -> None:
        services.ticket_take(by=None, center_id=w.center.pk, category_id=w.b.pk)
        services.ticket_call_next(by=w.clerk, window_id=w.w2.pk)

    _orm(second_call)
    page.locator('.display-current li[data-key="B001@2"]').wait_for(timeout=10_000)
    page.wait_for_function("() => window.centersVoice.announced.includes('B001@2')", timeout=10_000)
    assert page.evaluate("() => window.centersVoice.announced") == ["B001@2"]  # the old call is not repeated
    assert page.locator("#display-recent li").all_inner_texts() == ["B001 → 2 号窗口", "A001 → 1 号窗口"]


def test_kiosk_keypad_and_reset_after_90_seconds(kiosk: CenterWorld, page: Any) -> None:
    page.clock.install()  # the page's timers run on a clock the test moves: no waiting, no timing
    page.goto("/centers/TEST-LFL/kiosk/checkin/")
    for key in ("A", "B", "2", "3"):
        page.locator(f'.keypad button[data-key="{key}"]').click()
    page.get_by_role("button", name="删除").click()
    assert page.get_by_role("textbox", name="预约码").input_value() == "AB2"
    assert page.locator(".keypad button").first.bounding_box()["height"] >= 64
    page.evaluate("() => { window.kioskPageMark = 1; }")  # gone once the page is loaded anew
    page.clock.run_for(60_000)
    assert page.evaluate("() => window.kioskPageMark") == 1  # 60 s: still here
    with page.expect_navigation():
        page.clock.run_for(31_000)
    assert page.url.endswith("/centers/TEST-LFL/kiosk/")


def _interval_seconds(page: Any, selector: str) -> float:
    """The update interval the page itself declares: its htmx trigger ``every Ns`` / ``every Nms``."""
    import re

    trigger = page.locator(selector).get_attribute("hx-trigger") or ""
    match = re.fullmatch(r"every (\d+(?:\.\d+)?)(ms|s)", trigger.strip())
    assert match, trigger
    return float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)


def test_a_call_shows_on_the_status_page_and_the_display_within_two_seconds(kiosk: CenterWorld, page: Any) -> None:
    """Freshness, not method (issue #10 part 6): both pages declare an update interval of at most
    2 s and pick the call up without a reload (a mark set on the page survives)."""
    w = kiosk
    ticket = _orm(lambda: services.ticket_take(by=None, center_id=w.center.pk, category_id=w.a.pk))
    page.goto(f"/centers/t/{ticket.status_code}/")
    assert _interval_seconds(page, "#ticket-live") <= 2
    page.evaluate("() => { window.freshnessMark = 1; }")  # gone if the page were loaded anew
    _orm(lambda: services.ticket_call_next(by=w.clerk, window_id=w.w1.pk))
    page.locator("#ticket-called").wait_for(timeout=10_000)
    assert page.evaluate("() => window.freshnessMark") == 1
    assert page.locator("#ticket-called").inner_text() == "请到 1 号窗口"
    assert _interval_seconds(page, "#ticket-live") <= 2  # the swapped fragment keeps polling

    page.goto("/centers/TEST-LFL/display/")
    assert _interval_seconds(page, "#display-live") <= 2
    page.evaluate("() => { window.freshnessMark = 2; }")
    def call_b() -> None:
        services.ticket_take(by=None, center_id=w.center.pk, category_id=w.b.pk)
        services.ticket_call_next(by=w.clerk, window_id=w.w2.pk)

    _orm(call_b)
    page.locator('.display-current li[data-key="B001@2"]').wait_for(timeout=10_000)
    assert page.evaluate("() => window.freshnessMark") == 2
    assert _interval_seconds(page, "#display-live") <= 2


def test_kiosk_booking_on_large_targets_with_keypads_elderly_mode_and_reset(kiosk: CenterWorld, page: Any) -> None:
    """自助预约 at the kiosk in a browser: category → day → slot on large targets, the ID number and
    mobile typed on the on-screen keypads, the booking code shown; elderly mode; back home after 90 s."""
    import datetime

    from django.utils import timezone

    from onewindow.accounts.testing import make_resident_id
    from onewindow.centers.models import AppointmentSlot

    w = kiosk
    day = timezone.localdate() + datetime.timedelta(days=1)
    _orm(lambda: AppointmentSlot.objects.create(center=w.center, category=w.a, date=day,
                                                starts=datetime.time(9, 0), ends=datetime.time(9, 30), capacity=3))
    page.clock.install()
    page.goto("/centers/TEST-LFL/kiosk/")
    with page.expect_navigation():
        page.locator("#kiosk-book").click()
    category = page.locator('#book-categories a[data-prefix="A"]')
    assert category.bounding_box()["height"] >= 64
    with page.expect_navigation():
        category.click()
    with page.expect_navigation():
        page.locator("#book-days a").first.click()
    with page.expect_navigation():
        page.locator("#book-slots a").first.click()
    page.locator("#book-name").fill("王小明")
    for key in make_resident_id("310106", datetime.date(1958, 4, 9), 517):
        page.locator(f'.keypad[data-target="book-id"] button[data-key="{key}"]').click()
    for key in "13912345678":
        page.locator(f'.keypad[data-target="book-phone"] button[data-key="{key}"]').click()
    assert page.locator(".keypad button").first.bounding_box()["height"] >= 64
    with page.expect_navigation():
        page.locator("#book-submit").click()
    code = page.locator("#booking-code").inner_text()
    assert len(code) == 8
    assert _orm(lambda: AppointmentSlot.objects.get(date=day).booked) == 1

    with page.expect_navigation():
        page.locator("#elderly-switch").click()
    assert "elderly" in (page.locator("html").get_attribute("class") or "")
    with page.expect_navigation():
        page.clock.run_for(91_000)
    assert page.url.endswith("/centers/TEST-LFL/kiosk/")
