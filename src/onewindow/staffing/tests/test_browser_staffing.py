"""Browser tests (Playwright + Debian Chromium) of 弹性调配 (issue #15): the manager opens
/staffing/ from the management home, sees today's flags, applies a suggestion with one click and
sees the window changed; makes next week's proposal and sees the comparison chart drawn (a canvas
per weekday and for the week); a clerk sees their own roster. No console error, no CSP violation,
and no sideways scrolling on a phone."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.choices import WindowState
from onewindow.centers.testing import CenterWorld
from onewindow.staffing.models import Advice, Roster, Shift
from onewindow.staffing.plans import SlotDemand
from onewindow.staffing.selectors import advice as advice_selectors
from onewindow.staffing.testing import StaffingWorld, build_staffing_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(center_world: CenterWorld, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    sw = build_staffing_world(center_world)
    a = sw.categories["A"].pk

    def fake(center_id: int, days: list[datetime.date]) -> list[SlotDemand]:
        return [SlotDemand(d, s, a, 1.0, 0, 300.0) for d in days if d.weekday() < 5 for s in range(17, 34)]

    monkeypatch.setattr(advice_selectors, "_demand", fake)
    sw.windows[4].state = WindowState.PAUSED
    sw.windows[4].save(update_fields=["state"])
    today = timezone.localdate()
    # slot 47 (23:30): never over while the test runs, so the suggestion can be applied
    advice = Advice.objects.create(center=sw.center, date=today, slot=47, flag="short", kind="open",
                                   window=sw.windows[4], categories=[sw.categories["B"].pk],
                                   reason={"text": "开启4号窗口受理 B"}, created_at=timezone.now())
    week = today - datetime.timedelta(days=today.weekday())
    roster = Roster.objects.create(center=sw.center, week_start=week, created_at=timezone.now(),
                                   status="published", published_at=timezone.now())
    shift = Shift.objects.create(roster=roster, user=sw.clerks[1], date=today, starts=datetime.time(8, 30),
                                 ends=datetime.time(12, 30))
    return {"sw": sw, "advice": advice, "shift": shift}


def _login(page: Any, user: Any, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill(user.get_username())
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_manager_applies_advice_and_sees_the_comparison_clerk_sees_own_roster(world: dict[str, Any],
                                                                             page: Any) -> None:
    sw: StaffingWorld = world["sw"]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, sw.manager, "/manage/")
    with page.expect_navigation():
        page.get_by_role("link", name="进入弹性调配").click()
    assert page.get_by_role("heading", name="各时段的窗口需求").is_visible()
    assert page.locator("#slots").is_visible()
    assert page.locator("#windows tr[data-window='4']").get_attribute("data-state") == "paused"
    item = page.locator(f"#advice li[data-advice='{world['advice'].pk}']")
    assert "开启4号窗口受理 B" in item.inner_text()
    with page.expect_navigation():
        item.get_by_role("button", name="采纳：开启4号窗口受理 B", exact=True).click()
    assert "已采纳：开启4号窗口受理 B" in page.locator(".messages").inner_text()
    assert page.locator("#windows tr[data-window='4']").get_attribute("data-state") == "open"
    assert page.locator(f"#advice li[data-advice='{world['advice'].pk}']").get_attribute("data-status") == "applied"
    # next week's proposal: made from the link, then the comparison chart is drawn
    with page.expect_navigation():
        page.locator("#next-proposal").click()
    with page.expect_navigation():
        page.get_by_role("button", name="生成排班建议").click()
    assert page.get_by_role("heading", name="仿真比较：现行排班、按峰值配置、建议排班").is_visible()
    page.wait_for_selector("#cmp-total canvas")
    box = page.locator("#cmp-total").bounding_box()
    assert box is not None and box["height"] > 100, (box, errors)
    assert page.locator("#cmp-total").get_attribute("data-drawn") == "1"
    rows = page.locator("#table-total tbody tr").evaluate_all("rows => rows.map(r => r.dataset.plan)")
    assert rows == ["current", "peak", "proposal"]
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling of the page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    # the clerk: the staffing home leads to their own roster
    page.context.clear_cookies()
    _login(page, sw.clerks[1], "/staffing/")
    assert page.url.endswith("/staffing/me/")
    assert page.locator(f"#my-shifts tr[data-shift='{world['shift'].pk}']").is_visible()
    assert errors == []
