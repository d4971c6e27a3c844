"""Browser tests (Playwright + Debian Chromium) of the lookup export: a regulator searches, presses
导出 Excel, and either downloads the file at once (a small result) or follows the job page until
its download link appears (a large one)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.core.actors import system_actor
from onewindow.core.testing import join_all
from onewindow.core.xlsx import sheet_rows
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, build_registry_world, entity_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = ["上海静安宏达贸易有限公司", "上海静安宏达餐饮有限公司", "上海静安宏达科技有限公司"]


@pytest.fixture
def world(transactional_db: Any) -> RegistryWorld:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    w = build_registry_world()
    for name in NAMES:
        entity_register(by=system_actor("test"), data=entity_row(name=name))
    return w


def _search(page: Any) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/?next=/market/")
    page.get_by_label("用户名").fill("m_regulator")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.get_by_label("名称、拼音首字母或统一社会信用代码").fill("宏达")
    page.locator("#results h2", has_text="找到 3 户市场主体").wait_for()


def test_small_result_downloads_at_once(world: RegistryWorld, page: Any, tmp_path: Path) -> None:
    _search(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename.startswith("market-entities-")
    saved = tmp_path / "export.xlsx"
    download.save_as(saved)
    rows = list(sheet_rows(io.BytesIO(saved.read_bytes())))
    assert sorted(r[1] for r in rows[2:-1]) == sorted(NAMES)
    assert "/market/exports/" not in page.url  # no job page: the file came at once


def test_large_result_shows_progress_then_the_download_link(
    world: RegistryWorld, page: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MARKET_EXPORT_INLINE_MAX = 2
    settings.MARKET_EXPORT_CHUNK = 1
    _search(page)
    with page.expect_navigation():
        page.get_by_role("button", name="导出 Excel").click()
    assert page.locator("h1").inner_text() == "导出市场主体"
    link = page.get_by_role("link", name="下载 Excel")
    link.wait_for()
    assert page.locator("#export-progress").get_attribute("data-status") == "done"
    assert "/market/exports/" in page.url  # the ORM cannot be used beside Playwright's loop
    assert page.locator("#export-progress p").first.inner_text() == "已生成 3 户的 Excel 文件。"
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "job.xlsx"
    info.value.save_as(saved)
    rows = list(sheet_rows(io.BytesIO(saved.read_bytes())))
    assert sorted(r[1] for r in rows[2:-1]) == sorted(NAMES)


def _run_in_thread(work: Any) -> None:
    """Run ORM work outside Playwright's event loop (the ORM refuses an async context)."""
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the test
            errors.append(exc)
        finally:
            from django.db import connection

            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    join_all([thread])
    if errors:
        raise errors[0]


def test_job_page_polls_until_the_worker_is_done(
    world: RegistryWorld, page: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onewindow.core.models import ExportJob
    from onewindow.market import exports

    settings.MARKET_EXPORT_INLINE_MAX = 2
    monkeypatch.setattr(exports, "_enqueue", lambda job_id: None)  # no worker yet: the job waits
    _search(page)
    with page.expect_navigation():
        page.get_by_role("button", name="导出 Excel").click()
    assert page.locator("#export-progress").get_attribute("data-status") == "queued"
    assert page.locator("#export-progress [data-count=rows]").inner_text() == "0 / 3 户"
    assert page.locator("#export-progress").get_attribute("hx-trigger") == "every 2s"
    _run_in_thread(lambda: exports.entities_export_run(ExportJob.objects.get().pk))  # the worker
    page.get_by_role("link", name="下载 Excel").wait_for()  # the next poll swaps in the link
    assert page.locator("#export-progress").get_attribute("data-status") == "done"
    assert page.locator("#export-progress").get_attribute("hx-trigger") is None
