"""Browser test (Playwright + Debian Chromium): a department's data clerk logs in, downloads nothing,
uploads a 100-row licence spreadsheet with 3 bad rows, and reads the counts and the error table;
then the regulator opens the entity's records, loaded by htmx, and filters them by kind."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from onewindow.accounts.testing import PASSWORD, OrganizationFactory

from .test_records_world import RecordsWorld, build_records_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["来源记录编号", "统一社会信用代码", "主体名称", "许可证书名称", "许可决定文书号", "许可决定日期", "有效期至"]


@pytest.fixture
def world(tmp_path: Path) -> tuple[RecordsWorld, Path]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    w = build_records_world()
    others = [OrganizationFactory.create(name=f"上海静安浏览器测试公司{i}") for i in range(2)]
    codes = [w.entity.credit_code, *(o.credit_code for o in others)]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for i in range(1, 101):
        sheet.append([f"B{i:03d}", codes[i % 3], "", "食品经营许可证", f"JY{i:05d}", "2017-03-01", "2022-02-28"])
    sheet["B5"] = "12345"  # line 5: not a credit code
    sheet["F40"] = "昨天"  # line 40: not a date
    sheet["D77"] = ""  # line 77: no licence name
    out = io.BytesIO()
    book.save(out)
    path = tmp_path / "许可信息.xlsx"
    path.write_bytes(out.getvalue())
    return w, path


def _login(page: Any, username: str, next_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_upload_shows_the_rows_in_error_then_the_timeline(world: tuple[RecordsWorld, Path], page: Any) -> None:
    w, path = world
    _login(page, "p_data_clerk", "/market/records/upload/")
    assert page.locator("h1").inner_text() == "归集信息表格上传"
    page.get_by_label("信息类别").select_option("licence")
    page.get_by_label("文件").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并归集").click()
    assert page.locator("#count-created").inner_text() == "97"
    assert page.locator("#count-rejected").inner_text() == "3"
    rows = page.locator("#row-errors tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").all_inner_texts() for i in range(3)] == [
        ["5", "统一社会信用代码", "统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）"],
        ["40", "许可决定日期", "请填写有效日期（YYYY-MM-DD）。"],
        ["77", "许可证书名称", "此项为必填项。"],
    ]
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    _login(page, "p_regulator", f"/market/records/entity/{w.entity.pk}/")
    assert page.locator("h1").inner_text() == w.entity.name
    assert page.locator('[data-count="total"]').inner_text() == "32"
    page.locator('a[data-kind="licence"]').click()
    page.wait_for_selector('a[data-kind="licence"][aria-current="true"]')
    assert page.locator("tbody tr[data-kind='licence']").count() == 20  # the first page of 32
