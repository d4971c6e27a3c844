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


class StatementBudget:
    """A hot path's SQL statements pinned one by one (issue #17 "Statement budgets as tests").

    ``budget`` lists, in order, a regular expression each statement must match (``re.search``, case
    insensitive) and the one-line reason it is there. Inside a test's transaction a service's BEGIN and
    COMMIT run as ``SAVEPOINT`` and ``RELEASE SAVEPOINT``, so they are listed and counted like the
    others. A different count, or a statement that does not match its line, fails with the two lists
    side by side::

        with StatementBudget([
            (r"^SAVEPOINT", "the service's transaction (BEGIN in production)"),
            (r'UPDATE "core_counter"', "the gap-free number"),
            (r'INSERT INTO "centers_ticket"', "the ticket"),
            (r"^RELEASE SAVEPOINT", "COMMIT"),
        ]):
            services.ticket_take(...)
    """

    def __init__(self, budget: list[tuple[str, str]], using: str = "default") -> None:
        import re

        self.budget = budget
        self.patterns = [re.compile(pattern, re.IGNORECASE | re.DOTALL) for pattern, _ in budget]
        self.using = using
        self.statements: list[str] = []

    def __enter__(self) -> StatementBudget:
        from django.test.utils import CaptureQueriesContext

        self._capture = CaptureQueriesContext(connections[self.using])
        self._capture.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._capture.__exit__(exc_type, exc, tb)
        if exc_type is not None:
            return
        self.statements = [query["sql"] for query in self._capture.captured_queries]
        matches = len(self.statements) == len(self.budget) and all(
            pattern.search(sql) for pattern, sql in zip(self.patterns, self.statements, strict=False))
        if not matches:
            lines = [f"{len(self.statements)} statements ran, the budget is {len(self.budget)}:"]
            for index in range(max(len(self.statements), len(self.budget))):
                sql = self.statements[index][:150] if index < len(self.statements) else "-"
                want = (f"{self.budget[index][0]}  ({self.budget[index][1]})" if index < len(self.budget) else "-")
                ok = (index < len(self.statements) and index < len(self.budget)
                      and self.patterns[index].search(self.statements[index]))
                lines.append(f"{index + 1:3} {'ok ' if ok else 'XX '} ran: {sql}\n        budget: {want}")
            raise AssertionError("\n".join(lines))
