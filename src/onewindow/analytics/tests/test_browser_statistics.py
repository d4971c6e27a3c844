"""Browser tests (Playwright + Debian Chromium) of 统计分析 and the management home: the manager
logs in, opens the management home (the eight modules as navigation), follows 统计分析, sees the
charts drawn (a canvas in each chart with data) without a console error or a CSP violation, opens
a chart's data table, and downloads a chart's xlsx (a sheet with the series)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.testing import CenterWorld

from .stats_history import History, build_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return build_history(center_world)


def test_manager_opens_statistics_from_the_home_and_exports_a_chart(history: History, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/accounts/login/?next=/manage/")
    page.get_by_label("用户名").fill(history.world.manager.get_username())
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/manage/")
    nav = page.get_by_role("navigation", name="管理模块")
    assert nav.locator("li").count() == 8
    assert nav.locator("li").all_inner_texts() == ["统计分析", "绩效考核", "网上办理审核", "窗口及事项管理",
                                                   "提醒管理", "互动交流管理", "受理信息查询", "培训管理"]
    with page.expect_navigation():
        nav.get_by_role("link", name="统计分析").click()
    page.goto(page.url.split("?")[0] + "?start=2026-03-01&end=2026-03-31")
    assert page.get_by_role("heading", name="按事项的办件量").is_visible()
    page.wait_for_selector("#chart-items canvas")
    box = page.locator("#chart-items").bounding_box()
    assert box is not None and box["height"] > 100, (box, errors)
    for name in ("items", "windows", "hours", "waits", "ratings", "compare"):
        assert page.locator(f"#chart-{name} canvas").count() >= 1, name
    page.locator("#block-items details summary").click()
    cells = page.locator("#table-items tbody tr").first.locator("th, td").all_inner_texts()
    assert cells == ["食品经营许可（测试）", "7", "6", "3", "1"]
    with page.expect_download() as info:
        page.locator("#block-items a.export").click()
    download = info.value
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    sheet = book[book.sheetnames[0]]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[2] == ["食品经营许可（测试）", 7, 6, 3, 1]
    assert download.suggested_filename == "statistics-items-20260301-20260331.xlsx"
    response = page.request.get("/analytics/statistics/items/xlsx/?start=2026-03-01&end=2026-03-31")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling of the page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert errors == []
