"""Throttles and rate limits shared by every worker process (限流计数).

Rule (issue #9 point 4; GB/T 22239-2019 等保2.0 三级 入侵防范 and 身份鉴别 — limits on repeated
failures; OWASP ASVS 5.0 V2 business-logic limits, V6 anti-automation): a limit of 10 means 10
for the whole installation, not 10 per gunicorn worker. Counters live in the ``shared`` cache
(config/settings/base.py ``cache_settings``): the database cache table in the embedded profile,
Redis in the city profile.

An attempt is counted **before** it is tried (:func:`throttle_hit`), atomically, so concurrent
attempts in several processes can never all slip under the limit; an attempt that turns out not
to count (a right answer to a query that counts only wrong ones) is given back with
:func:`throttle_forgive`. The window runs from the first attempt and is not extended by later ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction

SHARED_CACHE = "shared"


def shared_cache() -> BaseCache:
    """The cache that every worker and app server shares (``default`` if none is configured)."""
    return caches[SHARED_CACHE] if SHARED_CACHE in settings.CACHES else caches["default"]


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextlib.contextmanager
def _serialised(cache: DatabaseCache, key: str) -> Iterator[None]:
    """One read-modify-write of ``key`` at a time across processes.

    SQLite: the transaction begins IMMEDIATE (settings ``database_from_url``), which takes the
    write lock; PostgreSQL: a transaction-scoped advisory lock on the key.
    """
    alias = router.db_for_write(cache.cache_model_class)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(key)])
        yield


def _db_read(cache: DatabaseCache, key: str, now: float) -> tuple[int, float]:
    value: Any = cache.get(key)
    if isinstance(value, list) and len(value) == 2 and float(value[1]) > now:
        return int(value[0]), float(value[1])
    return 0, 0.0


def _db_add(cache: DatabaseCache, key: str, delta: int, window: int) -> int:
    with _serialised(cache, key):
        now = time.time()
        count, expires = _db_read(cache, key, now)
        if not expires:
            if delta < 0:
                return 0
            expires = now + window
        count = max(0, count + delta)
        cache.set(key, [count, expires], timeout=max(1, math.ceil(expires - now)))
        return count


def throttle_hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under ``key``; True while it is within ``limit`` attempts per ``window`` s."""
    cache = shared_cache()
    if isinstance(cache, DatabaseCache):
        return _db_add(cache, key, 1, window) <= limit
    # Redis and the in-memory cache increment atomically and keep the key's expiry.
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return int(count) <= limit


def throttle_forgive(key: str) -> None:
    """Give back one attempt counted by :func:`throttle_hit` (it turned out not to count)."""
    cache = shared_cache()
    if isinstance(cache, DatabaseCache):
        _db_add(cache, key, -1, 1)
        return
    with contextlib.suppress(ValueError):  # already expired: nothing to give back
        if int(cache.decr(key)) < 0:
            cache.set(key, 0, 1)


def throttle_count(key: str) -> int:
    """How many attempts are counted under ``key`` in its current window."""
    cache = shared_cache()
    if isinstance(cache, DatabaseCache):
        return _db_read(cache, key, time.time())[0]
    return int(cache.get(key) or 0)
