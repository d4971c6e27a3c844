"""Browser tests (Playwright + Debian Chromium) of the registry: a regulator searches by pinyin
initials and opens the profile; a registrar's data clerk uploads a file with bad rows and sees
them listed with line and field while the good rows are imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.core.actors import system_actor
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, build_registry_world, csv_bytes, entity_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    w: RegistryWorld = build_registry_world()
    target = entity_row(name="上海静安宏达贸易有限公司", street_code="310106021")
    entity_register(by=system_actor("test"), data=target)
    entity_register(by=system_actor("test"), data=entity_row(name="上海恒通餐饮管理有限公司"))
    return {"world": w, "target": target}


def _login(page: Any, username: str, next_url: str) -> None:
    page.context.clear_cookies()
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def test_search_by_initials_then_open_the_profile(world: dict[str, Any], page: Any) -> None:
    target = world["target"]
    _login(page, "m_regulator", "/market/")
    assert page.locator("h1").inner_text() == "市场主体查询"
    page.get_by_label("名称、拼音首字母或统一社会信用代码").fill("hdmy")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'hdmy'")
    page.locator("#results h2", has_text="找到 1 户市场主体").wait_for()
    assert page.locator("#results a.entity-link").all_inner_texts() == ["上海静安宏达贸易有限公司"]
    page.locator("#results a.entity-link").click()
    page.wait_for_url(f"**/market/entities/{target['credit_code']}/")
    assert page.locator("h1").inner_text() == "上海静安宏达贸易有限公司"
    masked = target["legal_rep_id_number"][:3] + "*" * 11 + target["legal_rep_id_number"][-4:]
    assert page.locator('[data-field="legal_rep_id_number"]').inner_text() == masked
    assert page.get_by_role("heading", name="变更记录").is_visible()
    assert page.get_by_role("heading", name="归集信息").count() == 1
    page.get_by_role("button", name="查看法定代表人完整信息（将记录审计）").click()
    page.wait_for_url(f"**/market/entities/{target['credit_code']}/unmask/")
    assert page.locator('[data-field="legal_rep_id_number"]').inner_text() == target["legal_rep_id_number"]


def test_upload_shows_the_bad_rows(world: dict[str, Any], page: Any, tmp_path: Path) -> None:
    rows = [entity_row() for _ in range(10)]
    rows[2]["industry_code"] = "9999"
    rows[7]["credit_code"] = rows[7]["credit_code"][:-1] + ("0" if rows[7]["credit_code"][-1] != "0" else "1")
    upload = tmp_path / "entities.csv"
    upload.write_bytes(csv_bytes(rows, encoding="gbk"))
    _login(page, "m_data_clerk", "/market/import/")
    page.get_by_label("CSV 或 xlsx 文件").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并导入").click()
    assert page.locator("h1").inner_text() == "导入结果"
    assert page.locator('[data-count="created"]').inner_text() == "8"
    assert page.locator('[data-count="failed"]').inner_text() == "2"
    cells = page.locator("#import-errors tbody tr").all_inner_texts()
    assert [c.split("\t")[:3] for c in cells] == [["4", "industry_code", "market_industry_unknown"],
                                                 ["9", "credit_code", "credit_code_checksum"]]
