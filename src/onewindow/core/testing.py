"""Test helpers of core that every app's tests may use (no domain imports)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections


def orm_beside_browser(fn: Callable[[], Any]) -> Any:
    """Run ORM work outside Playwright's event loop (Django refuses sync ORM calls inside one), on a
    thread of its own whose connection is closed afterwards (or PostgreSQL cannot drop the test
    database)."""
    def run() -> Any:
        try:
            return fn()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
