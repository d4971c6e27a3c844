"""Stub channels for the push tests (issue #16 part 6): the push layer is tested on its own, with a
producer whose data the test sets, and a clock the test steps by whole intervals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from onewindow.bigscreen.models import Area
from onewindow.core.testing import until, within

#: ``stub`` is public (like ``crowd:*``), ``secret`` is not (like ``wall``).
PUBLIC = "stub"
SECRET = "secret"
START = 1_800_000_000.0  # 2027-01-15 16:00:00 +08:00


@dataclass
class StubFeed:
    """The producer's data (``value``) and the fake wall clock (``t``)."""

    value: int = 1
    t: float = START
    calls: int = 0
    fail: bool = False

    def produce(self, _arg: str) -> dict[str, Any]:
        """One query (so the tests can count the database's work) and the value the test set."""
        self.calls += 1
        if self.fail:
            raise RuntimeError("stub producer failure")
        return {"value": self.value, "areas": Area.objects.count()}

    def clock(self) -> float:
        return self.t

    def step(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class TickGate:
    """Replaces ``Hub.sleep``: the hub's task waits here until the test lets one tick through."""

    waiting: int = 0
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def sleep(self, _seconds: float) -> None:
        self.waiting += 1
        self._arrived.set()
        await self._release.wait()
        self._release = asyncio.Event()
        self.waiting -= 1

    async def next_tick(self) -> None:
        """Wait until a hub task sleeps, then wake it for one fetch (each wait with a deadline: a hub
        task that died never arrives)."""
        while self.waiting == 0:
            self._arrived = asyncio.Event()
            await within(self._arrived.wait(), "a hub task waits for its next tick")
        self._release.set()
        # until the hub has woken (a second release would otherwise be lost)
        await until(lambda: not self.waiting, "the hub woke from its tick")
