"""Browser test (Playwright + Debian Chromium) of 绩效考核: a clerk logs in, opens the appraisal
(last month by default), sees only their own row with the rules and weights beside it, and
downloads the month's xlsx, which holds their figures; on a phone the page does not scroll
sideways; no console error or CSP violation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from onewindow.accounts.testing import PASSWORD
from onewindow.centers.selectors import user_name
from onewindow.centers.testing import CenterWorld

from .appraisal_history import History, build_appraisal_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    return build_appraisal_history(center_world, last_month())


def test_clerk_opens_last_months_appraisal_and_downloads_the_xlsx(history: History, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    clerk = history.world.clerk
    page.goto("/accounts/login/?next=/analytics/appraisal/")
    page.get_by_label("用户名").fill(clerk.get_username())
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    month = f"{last_month():%Y-%m}"
    assert page.get_by_role("heading", name="绩效考核", exact=True).is_visible()
    assert page.locator("#f-month").input_value() == month
    assert page.locator("#own-only").is_visible()
    rows = page.locator("#clerks tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("th, td").all_inner_texts()
    assert cells == [user_name(clerk), "10", "8", "6.0", "6.8", "2.0", "41.7", "4", "4.0", "1", "1", "1", "0",
                     "2", "81.8"]
    assert page.locator("#windows").count() == 0 and page.locator("#scheme-form").count() == 0
    rules = page.locator("#rules tbody tr").all_inner_texts()
    assert len(rules) == 6 and rules[2].startswith("有效受理时长占比\t20")
    with page.expect_download() as info:
        page.locator("#download-xlsx").click()
    download = info.value
    assert download.suggested_filename == f"appraisal-TEST-LFL-{month}.xlsx"
    with open(download.path(), "rb") as file:
        book = load_workbook(file)
    assert book.sheetnames == ["工作人员", "考核规则"]
    values = [list(r) for r in book["工作人员"].iter_rows(values_only=True)]
    assert values[2] == [user_name(clerk), 10, 8, 6, 6.8, 2, 41.7, 4, 4, 1, 1, 1, 0, 2, 81.8]
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scrolling of the page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert errors == []
