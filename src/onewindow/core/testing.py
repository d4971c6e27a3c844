"""Test helpers of core that every app's tests may use (no domain imports)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from django.db import connections

#: How long a test waits for its own threads, child processes or event-loop tasks before it fails
#: (seconds). Longer than the test database's lock_timeout (120 s on PostgreSQL, settings/test.py),
#: so a thread stuck on a row lock fails with its own error first; shorter than pytest-timeout's
#: 600 s, so the test fails with the name of what it waited for instead of killing the whole run.
#: A deadline on a wait, never a timed assertion: a healthy test waits a fraction of it.
WAIT_SECONDS = 300.0
#: How long threads wait at a start barrier for their partners (a partner that died never comes).
BARRIER_SECONDS = 60.0


def start_barrier(parties: int) -> threading.Barrier:
    """A barrier that gives up after BARRIER_SECONDS: the waiting threads get BrokenBarrierError
    (reported by the test) instead of waiting for ever for a partner that failed before it."""
    return threading.Barrier(parties, timeout=BARRIER_SECONDS)


def join_all(threads: Iterable[threading.Thread], timeout: float = WAIT_SECONDS) -> None:
    """Join every thread within one shared deadline; fail naming those still running (a thread
    waiting on a lock, an event or a barrier that nothing will release)."""
    threads = list(threads)
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread in threads if thread.is_alive()]
    assert not alive, f"{len(alive)} thread(s) still running after {timeout:.0f} s: {alive}"


def pool_starmap(pool: Any, fn: Callable[..., Any], args: Sequence[Any], timeout: float = WAIT_SECONDS) -> list[Any]:
    """``pool.starmap(fn, args)`` with a deadline. A plain starmap waits for ever when a child dies
    without an answer (killed, out of memory): the pool replaces the worker and the task is lost.
    Raises multiprocessing.TimeoutError; leaving the pool's ``with`` block then terminates the children."""
    return list(pool.starmap_async(fn, args).get(timeout))


async def until(condition: Callable[[], bool], what: str, *, tasks: Iterable[asyncio.Future[Any]] = (),
                timeout: float = WAIT_SECONDS) -> None:
    """Yield to the event loop until ``condition()`` holds. ``tasks`` must keep running meanwhile:
    when one has ended (a stream that died, with its exception if it had one) the condition will never
    hold, so this fails at once; and it fails after ``timeout`` seconds in any case."""
    tasks = list(tasks)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        for task in tasks:
            if task.done():
                error = None if task.cancelled() else task.exception()
                raise AssertionError(f"waiting until {what}: {task!r} ended") from error
        assert loop.time() < deadline, f"not within {timeout:.0f} s: {what}"
        await asyncio.sleep(0)


async def within(awaitable: Awaitable[Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Await with a deadline; fails naming what was awaited."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except TimeoutError:
        raise AssertionError(f"not within {timeout:.0f} s: {what}") from None


def orm_beside_browser(fn: Callable[[], Any]) -> Any:
    """Run ORM work outside Playwright's event loop (Django refuses sync ORM calls inside one), on a
    thread of its own whose connection is closed afterwards (or PostgreSQL cannot drop the test
    database). Fails if the work has not ended within WAIT_SECONDS (a daemon thread: a stuck one
    does not hold the test process at exit either)."""
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(fn())
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="orm-beside-browser", daemon=True)
    thread.start()
    join_all([thread])
    if errors:
        raise errors[0]
    return results[0]


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
