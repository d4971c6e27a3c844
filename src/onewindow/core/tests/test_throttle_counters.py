"""The throttle's counters in the embedded profile's database cache table (issue #17): each step
is one statement — the count an upsert, the giving back an UPDATE — with the same rules as before
(the limit, the window from the first attempt, never below 0, nothing written for a window that
has run out). The three-process race is test_shared_throttle.py; these run in one process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from onewindow.config.settings.base import SHARED_CACHE_TABLE, cache_settings
from onewindow.core import throttle

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.25

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """The embedded profile's caches, the cache table created in the test's transaction, time frozen."""
    at = Clock()
    monkeypatch.setattr(throttle.time, "time", at)
    monkeypatch.setattr(throttle, "_CULL_SHARE", 0.0)
    with override_settings(CACHES=cache_settings("")):
        call_command("createcachetable", verbosity=0)
        yield at
        for cache in caches.all():
            cache.close()


def rows() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, value FROM {SHARED_CACHE_TABLE} ORDER BY cache_key")  # noqa: S608
        return [(str(k), str(v)) for k, v in cursor.fetchall()]


def test_the_limit_holds_and_each_attempt_is_one_statement(clock: Clock) -> None:
    with CaptureQueriesContext(connection) as queries:
        allowed = [throttle.throttle_hit("t:203.0.113.7", limit=3, window=600) for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    assert len(queries.captured_queries) == 5
    assert all(q["sql"].startswith("INSERT INTO") and "RETURNING" in q["sql"] for q in queries.captured_queries)
    assert throttle.throttle_count("t:203.0.113.7") == 5
    assert throttle.throttle_count("t:203.0.113.8") == 0
    assert rows() == [(":1:throttle:t:203.0.113.7", "5")]


def test_forgiving_gives_one_back_in_one_statement_never_below_zero(clock: Clock) -> None:
    assert throttle.throttle_hit("t:a", limit=1, window=600) is True
    with CaptureQueriesContext(connection) as queries:
        throttle.throttle_forgive("t:a")
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    assert throttle.throttle_count("t:a") == 0
    throttle.throttle_forgive("t:a")
    assert throttle.throttle_count("t:a") == 0
    assert rows() == [(":1:throttle:t:a", "0")]
    assert throttle.throttle_hit("t:a", limit=1, window=600) is True  # the forgiven attempt is free again
    assert throttle.throttle_hit("t:a", limit=1, window=600) is False


def test_forgiving_without_a_live_window_writes_nothing(clock: Clock) -> None:
    throttle.throttle_forgive("t:never")
    assert rows() == []
    throttle.throttle_hit("t:gone", limit=5, window=60)
    clock.now += 61
    throttle.throttle_forgive("t:gone")
    assert rows() == [(":1:throttle:t:gone", "1")]
    assert throttle.throttle_count("t:gone") == 0


def test_the_window_runs_from_the_first_attempt_and_then_starts_again(clock: Clock) -> None:
    assert [throttle.throttle_hit("t:w", limit=2, window=60) for _ in range(3)] == [True, True, False]
    clock.now += 59  # later attempts do not extend the window
    assert throttle.throttle_hit("t:w", limit=2, window=60) is False
    clock.now += 1  # 1_800_000_060: the window of the first attempt (floored to the second) has run out
    assert throttle.throttle_count("t:w") == 0
    assert throttle.throttle_hit("t:w", limit=2, window=60) is True
    assert throttle.throttle_count("t:w") == 1


def test_a_new_window_may_delete_the_expired_rows(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    throttle.throttle_hit("t:old", limit=5, window=60)
    clock.now += 120
    throttle.throttle_hit("t:live", limit=5, window=600)
    assert [k for k, _v in rows()] == [":1:throttle:t:live", ":1:throttle:t:old"]
    monkeypatch.setattr(throttle, "_CULL_SHARE", 1.0)
    throttle.throttle_hit("t:new", limit=5, window=600)
    assert rows() == [(":1:throttle:t:live", "1"), (":1:throttle:t:new", "1")]


def test_django_cache_entries_beside_the_counters_are_untouched(clock: Clock) -> None:
    shared = throttle.shared_cache()
    shared.set("t:x", [1, 2], 600)  # same name as a counter: the counters' rows have their own prefix
    throttle.throttle_hit("t:x", limit=5, window=600)
    throttle.throttle_forgive("t:x")
    assert shared.get("t:x") == [1, 2]
    assert throttle.throttle_count("t:x") == 0
