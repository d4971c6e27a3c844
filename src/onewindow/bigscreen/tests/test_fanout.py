"""One computation per interval, shared by every screen (issue #16 part 6, "Done means": the
fan-out test counts queries at 1 and at 100 screens).

1 and then 100 screens open the SSE stream of one channel through the real view under ASGI (the
async test client, one event loop); the hub's task is stepped by hand for the same number of
intervals, the data changing every interval. The database sees the same queries in both runs —
the producer's and the emergency message's, once per interval — and every screen gets every seq.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext

from onewindow.bigscreen import broadcast
from onewindow.core.testing import until

from .stubs import PUBLIC, StubFeed, TickGate

INTERVAL = 2.0
TICKS = 5


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch, settings: Any, db: None) -> Iterator[StubFeed]:
    settings.BIGSCREEN_INTERVAL_SECONDS = INTERVAL
    stub = StubFeed()
    monkeypatch.setattr(broadcast, "clock", stub.clock)
    broadcast.register(PUBLIC, stub.produce, public=True, takes_arg=False)
    yield stub
    broadcast.unregister(PUBLIC)


def tables(sql: list[str]) -> list[str]:
    return [re.search(r'FROM "(\w+)"', statement)[1] for statement in sql]  # type: ignore[index]


def seq_of(chunk: bytes) -> int | None:
    return int(chunk.split(b"\n", 1)[0][4:]) if chunk.startswith(b"id: ") else None


def run_screens(feed: StubFeed, monkeypatch: pytest.MonkeyPatch, screens: int) -> tuple[list[str], list[list[int]]]:
    """Open ``screens`` streams, step the hub TICKS intervals; the SQL the database saw and the seqs
    each screen received."""
    broadcast.forget(PUBLIC)

    async def scenario() -> list[list[int]]:
        gate = TickGate()
        monkeypatch.setattr(broadcast.Hub, "sleep", staticmethod(gate.sleep))
        client = AsyncClient()
        responses = [await client.get(f"/bigscreen/stream/{PUBLIC}/") for _ in range(screens)]
        assert {r.status_code for r in responses} == {200}
        received: list[list[int]] = [[] for _ in range(screens)]
        want = TICKS + 1

        async def screen(index: int) -> None:
            async for chunk in responses[index].streaming_content:  # type: ignore[attr-defined]
                seq = seq_of(chunk)
                if seq is not None:
                    received[index].append(seq)

        tasks = [asyncio.ensure_future(screen(i)) for i in range(screens)]
        # Each wait below fails at once if a screen's stream (or the hub's task) has died, instead of
        # spinning for ever on a condition nothing will make true.
        await until(lambda: all(received), "every screen holds the first snapshot", tasks=tasks)
        hub = broadcast.live_hubs()[PUBLIC]
        assert hub.subscribers == screens
        running = [*tasks, *([hub._task] if hub._task is not None else [])]
        for tick in range(1, TICKS + 1):
            feed.value += 1
            feed.step(INTERVAL)
            await gate.next_tick()

            def reached(tick: int = tick) -> bool:
                return hub.ticks >= tick and all(len(r) == tick + 1 for r in received)

            await until(reached, f"tick {tick} reached every screen", tasks=running)
        assert all(len(r) == want for r in received)
        for task in tasks:  # the screens go away: the ASGI handler cancels each response's task
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert hub.subscribers == 0
        await gate.next_tick()  # the hub notices nobody is left and ends
        await until(lambda: not broadcast.live_hubs(), "the hub has ended")
        return received

    with CaptureQueriesContext(connection) as queries:
        received = async_to_sync(scenario)()
    return [q["sql"] for q in queries.captured_queries], received


def test_queries_do_not_grow_with_the_screens(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    one_sql, one_received = run_screens(feed, monkeypatch, 1)
    feed.value = 1
    hundred_sql, hundred_received = run_screens(feed, monkeypatch, 100)
    # One computation when the first screen connects, then one per interval: the stub's count and
    # the emergency message, each once.
    assert len(one_sql) == 2 * (TICKS + 1)
    assert len(hundred_sql) == len(one_sql)
    assert tables(hundred_sql) == tables(one_sql) == ["bigscreen_area", "bigscreen_emergencymessage"] * (TICKS + 1)
    assert one_received == [[1, 2, 3, 4, 5, 6]]
    assert hundred_received == [[1, 2, 3, 4, 5, 6]] * 100  # forget() dropped the seq with the envelope


def test_computations_do_not_grow_with_the_screens(feed: StubFeed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The producer counts of the same runs (what the bench reads from each process)."""
    monkeypatch.setattr(broadcast, "stats", broadcast.Counter())
    run_screens(feed, monkeypatch, 1)
    one = dict(broadcast.stats)
    monkeypatch.setattr(broadcast, "stats", broadcast.Counter())
    run_screens(feed, monkeypatch, 100)
    assert dict(broadcast.stats) == one == {"computed": TICKS + 1, "published": TICKS + 1, "queries": 2 * (TICKS + 1)}
