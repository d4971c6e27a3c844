"""One producer per interval across processes (issue #16 part 6, decision 0019).

Three real processes ask for the same channel at the same moment. In the city profile (Redis) the
lock is shared: exactly one computes and all three answer its envelope. In the embedded profile
the cache is each process's memory: each computes once — bounded by the processes, as decision
0019 says, which is why the screens go to the one streaming process.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid

import pytest

from onewindow.core.testing import pool_starmap
from onewindow.core.tests.test_shared_throttle import REDIS_URL, profile_caches, redis_reachable

from . import push_worker

PROCESSES = 3


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "computations"), [("city", 1), ("embedded", PROCESSES)])
def test_processes_share_one_computation(profile: str, computations: int) -> None:
    if not redis_reachable() and not os.environ.get("CI"):
        pytest.skip(f"Redis is not running at {REDIS_URL} (it counts the producer's runs); CI starts it")
    import redis

    config = profile_caches(profile)
    counter_key = f"test-bigscreen-race-{uuid.uuid4().hex}"
    counter = redis.Redis.from_url(REDIS_URL)
    try:
        context = multiprocessing.get_context("spawn")
        start_at = time.time() + 6  # every child has set Django up by then; they race from here
        with context.Pool(PROCESSES) as pool:
            envelopes = pool_starmap(pool, push_worker.race,
                                     [(json.dumps(config), REDIS_URL, counter_key, start_at)] * PROCESSES)
        assert int(counter.get(counter_key) or 0) == computations  # type: ignore[arg-type]
    finally:
        counter.delete(counter_key)
        if profile == "city":
            prefix = str(config["default"]["KEY_PREFIX"])
            keys = list(counter.scan_iter(f"{prefix}:*"))
            if keys:
                counter.delete(*keys)
    assert [e["seq"] for e in envelopes] == [1] * PROCESSES
    assert [e["data"] for e in envelopes] == [{"value": 1}] * PROCESSES
    if profile == "city":
        assert len({e["computed_at"] for e in envelopes}) == 1  # the one producer's envelope
