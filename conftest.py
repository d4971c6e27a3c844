"""Project-wide pytest configuration: hypothesis profiles and the browser fixture gate."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

import shutil  # noqa: E402

pytest_plugins = ["onewindow.accounts.testing", "onewindow.cases.testing", "onewindow.centers.testing"]

import pytest  # noqa: E402

CHROMIUM = os.environ.get("ONEWINDOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
NOT_RUN_BROWSER_TESTS: list[str] = []


DB_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
                         "live_server"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db-only", action="store_true",
                     help="run only the tests that touch the database (CI's PostgreSQL stage: the others "
                          "already ran on SQLite and do not depend on the database)")


def uses_database(item: pytest.Item) -> bool:
    """A test touches the database when it is marked django_db or asks (directly or through its
    fixtures) for a database fixture: pytest-django refuses every other test a database access."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(DB_FIXTURES & fixtures)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--db-only`` deselects the tests without a database. Without Chromium, browser tests are not
    run, and the run says so plainly; in CI they fail."""
    if config.getoption("--db-only"):
        kept = [item for item in items if uses_database(item)]
        config.hook.pytest_deselected(items=[item for item in items if not uses_database(item)])
        items[:] = kept
    if CHROMIUM:
        return
    for item in items:
        if item.get_closest_marker("browser"):
            if os.environ.get("CI"):
                item.add_marker(pytest.mark.usefixtures("_require_chromium_in_ci"))
            else:
                NOT_RUN_BROWSER_TESTS.append(item.nodeid)
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed (apt-get install chromium)"))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: cached figures of one test's (rolled back) data must not
    leak into the next."""
    from django.core.cache import caches

    from onewindow.catalog.selectors import forget_generation

    for cache in caches.all(initialized_only=True):
        cache.clear()
    forget_generation()  # the worker's last read of the catalog generation is process memory too
    from onewindow.sharing.services.keys import forget_signing_keys

    forget_signing_keys()  # the active signing keys, likewise
    from django.utils import translation

    # A request of an earlier test in English leaves English active in this thread (LocaleMiddleware
    # activates per request and nothing deactivates it): a service called outside a request would
    # then speak English. Each test starts in the default language.
    translation.deactivate()
    yield


@pytest.fixture(autouse=True)
def _own_exchange_checkpoints(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test appends the exchange log's checkpoints to a file of its own: the file outlives the
    test's rolled-back database, so a shared one made the next test's log fail verification."""
    settings.SHARING_LOG_CHECKPOINT_DIR = str(tmp_path_factory.mktemp("sharing-checkpoints"))


@pytest.fixture
def _require_chromium_in_ci() -> None:
    pytest.fail("CI must run the browser tests, but no Chromium was found (apt-get install chromium).")


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if NOT_RUN_BROWSER_TESTS:
        terminalreporter.write_sep("!", f"{len(NOT_RUN_BROWSER_TESTS)} browser tests NOT RUN: no Chromium")
        for nodeid in NOT_RUN_BROWSER_TESTS:
            terminalreporter.write_line(f"not run: {nodeid}")


@pytest.fixture
def page(live_server):  # type: ignore[no-untyped-def]
    """A Playwright page in Debian's Chromium, pointed at the live test server (``page.base``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="zh-CN", base_url=live_server.url)
        pg = context.new_page()
        pg.set_default_timeout(15000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()
