"""Throttles are shared by every worker process (issue #9 point 4).

Three real processes, each with its own memory and database connection (as gunicorn's workers
are), send wrong 一码查询 answers from one client: exactly the limit (10) gets through, in the
embedded profile (database cache) and in the city profile (Redis). Before the fix each worker
counted in its own memory and 30 got through.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
import uuid

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from onewindow.core.testing import pool_starmap

from . import throttle_worker

PROCESSES, PER_PROCESS, LIMIT = 3, 10, 10
REDIS_URL = os.environ.get("ONEWINDOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def profile_caches(profile: str) -> dict[str, dict[str, object]]:
    from onewindow.config.settings.base import cache_settings

    caches_config = cache_settings(REDIS_URL if profile == "city" else "")
    if profile == "city":  # this run's own keys: other test runs may share the Redis server
        prefix = f"test-{uuid.uuid4().hex}"
        caches_config = {name: {**config, "KEY_PREFIX": prefix} for name, config in caches_config.items()}
    return caches_config


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("profile", ["embedded", "city"])
def test_three_worker_processes_let_exactly_the_limit_through(profile: str) -> None:
    if profile == "city" and not redis_reachable() and not os.environ.get("CI"):
        pytest.skip(f"Redis is not running at {REDIS_URL} (the city profile's cache); CI starts it")
    config = profile_caches(profile)
    with override_settings(CACHES=config):
        if profile == "embedded":
            call_command("createcachetable", verbosity=0)
        try:
            context = multiprocessing.get_context("spawn")
            start_at = time.time() + 5  # every child has set Django up by then; they race from here
            with context.Pool(PROCESSES) as pool:
                results = pool_starmap(pool, throttle_worker.wrong_guesses,
                                       [(connection.settings_dict["NAME"], json.dumps(config), PER_PROCESS,
                                         start_at)] * PROCESSES)
        finally:
            for cache in caches.all():
                cache.clear()
    statuses = sorted(s for chunk in results for s in chunk)
    assert statuses == [404] * LIMIT + [429] * (PROCESSES * PER_PROCESS - LIMIT)
