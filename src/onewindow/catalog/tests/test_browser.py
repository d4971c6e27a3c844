"""Browser test (Playwright + Debian Chromium): search → guide, with Chinese and pinyin initials."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.catalog import demo
from onewindow.core.actors import system_actor
from onewindow.core.services import regions_load


@pytest.fixture
def demo_catalog(transactional_db: Any) -> None:
    # Loaded before the page fixture starts Playwright's event loop (ORM calls are sync-only).
    regions_load(by=system_actor("test"))
    demo.load(progress=lambda n: None, seed=20170929)


@pytest.mark.browser
def test_search_passport_then_open_guide(demo_catalog: None, page: Any) -> None:
    page.goto("/catalog/")
    assert page.locator('[data-figure="city_approval"]').inner_text() == "785"
    assert page.locator('[data-figure="district_approval"]').inner_text() == "6500"
    search = page.get_by_label("搜索办事事项（中文、拼音或拼音首字母）")
    search.fill("护照")
    # htmx swaps in the results and pushes the query into the address bar
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === '护照'")
    page.locator("#results h2", has_text="找到 3 个事项").wait_for()
    found = page.locator("#results a.item-name").all_inner_texts()
    assert found[0] == "普通护照签发"  # the most used item (sort order 1) first
    assert sorted(found) == sorted(["普通护照签发", "普通护照换发", "普通护照补发"])
    search.fill("hz")
    page.wait_for_function("() => new URL(location.href).searchParams.get('q') === 'hz'")
    page.locator("#results h2", has_text="找到 3 个事项").wait_for(state="detached")
    passport = page.locator("#results a.item-name", has_text="普通护照签发")
    passport.first.wait_for()
    passport.first.click()
    page.wait_for_url("**/catalog/items/*/")
    assert page.locator("h1").inner_text() == "普通护照签发"
    assert page.get_by_role("heading", name="申请材料").is_visible()
    assert page.get_by_role("cell", name="《中国公民出入境证件申请表》").is_visible()
    assert page.get_by_role("link", name="下载PDF").get_attribute("href").endswith("/guide.pdf")
