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
import datetime
import math
import random
import time
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router

SHARED_CACHE = "shared"
# Counter rows of the database cache table carry their own key prefix: their value is the count as
# plain text (so one statement can add to it), not Django's pickled value, and must never be read
# through ``cache.get``. A row written by the former format (pickled) is never read as a count.
_DB_PREFIX = "throttle:"
# Share of new windows that also delete the table's expired rows (an address's row is reused by its
# next window; the rows of addresses never seen again would otherwise stay).
_CULL_SHARE = 0.001


def shared_cache() -> BaseCache:
    """The cache that every worker and app server shares (``default`` if none is configured)."""
    return caches[SHARED_CACHE] if SHARED_CACHE in settings.CACHES else caches["default"]


class _Counters:
    """The throttle's counters in the database cache table, each step one statement (issue #17).

    The database makes each statement atomic on the key's row: an upsert (``INSERT ... ON CONFLICT
    DO UPDATE ... RETURNING``, SQLite ≥ 3.35 and PostgreSQL) adds one and returns the new count, so
    concurrent attempts in several processes are counted one after the other and can never all
    slip under the limit — no explicit transaction, no advisory lock, no read-then-write. Before,
    each step was a transaction of four to five statements (Django's ``get`` then ``set``, whose
    ``set`` counts the whole table first), and on SQLite held the one write lock for all of them.
    """

    def __init__(self, cache: DatabaseCache, key: str) -> None:
        self.alias = router.db_for_write(cache.cache_model_class)
        self.connection = connections[self.alias]
        quote = self.connection.ops.quote_name
        self.table = quote(cache.cache_model_class._meta.db_table)
        self.key = cache.make_and_validate_key(_DB_PREFIX + key)
        self.k, self.v, self.e = quote("cache_key"), quote("value"), quote("expires")

    def _at(self, moment: float) -> Any:
        when = datetime.datetime.fromtimestamp(moment, tz=datetime.UTC if settings.USE_TZ else None)
        return self.connection.ops.adapt_datetimefield_value(when)

    def add(self, window: int) -> int:
        """One more attempt; the new count (a window that has run out starts again at 1)."""
        now = time.time()
        t, k, v, e = self.table, self.k, self.v, self.e
        sql = (f"INSERT INTO {t} ({k}, {v}, {e}) VALUES (%s, '1', %s) ON CONFLICT ({k}) DO UPDATE SET "  # noqa: S608
               f"{v} = CASE WHEN {t}.{e} > %s THEN CAST(CAST({t}.{v} AS INTEGER) + 1 AS TEXT) ELSE '1' END, "
               f"{e} = CASE WHEN {t}.{e} > %s THEN {t}.{e} ELSE EXCLUDED.{e} END RETURNING {v}")
        at = self._at(now)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [self.key, self._at(math.floor(now) + window), at, at])
            count = int(cursor.fetchone()[0])
            if count == 1 and random.random() < _CULL_SHARE:
                # Expired rows are garbage whoever wrote them (Django's own cull deletes them first).
                cursor.execute(f"DELETE FROM {t} WHERE {e} <= %s", [at])  # noqa: S608
        return count

    def forgive_sql(self) -> tuple[str, list[Any]]:
        """The giving back as one statement and its parameters: one attempt back, never below 0; nothing
        when the window has run out."""
        t, k, v, e = self.table, self.k, self.v, self.e
        sql = (f"UPDATE {t} SET {v} = CASE WHEN CAST({v} AS INTEGER) > 0 THEN "  # noqa: S608
               f"CAST(CAST({v} AS INTEGER) - 1 AS TEXT) ELSE '0' END WHERE {k} = %s AND {e} > %s")
        return sql, [self.key, self._at(time.time())]

    def forgive(self) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(*self.forgive_sql())

    def count(self) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {self.v} FROM {self.table} WHERE {self.k} = %s AND {self.e} > %s",  # noqa: S608
                           [self.key, self._at(time.time())])
            row = cursor.fetchone()
        return int(row[0]) if row else 0


def throttle_hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under ``key``; True while it is within ``limit`` attempts per ``window`` s."""
    cache = shared_cache()
    if isinstance(cache, DatabaseCache):
        return _Counters(cache, key).add(window) <= limit
    # Redis increments atomically and keeps the key's expiry. The in-memory cache (tests) is each
    # process's own: with it, each gunicorn worker would allow ``limit`` (never configured so:
    # config/settings/base.py). A file cache's incr is a read then a write: not safe across processes.
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
        _Counters(cache, key).forgive()
        return
    with contextlib.suppress(ValueError):  # already expired: nothing to give back
        if int(cache.decr(key)) < 0:
            cache.set(key, 0, 1)


def throttle_forgive_clause(key: str, alias: str) -> tuple[str, list[Any]] | None:
    """The giving back of :func:`throttle_forgive` as a ``WITH`` clause to put in front of the caller's next
    statement on the database ``alias`` (its SQL and parameters), saving a round trip (issue #17): only when
    the counters are the database cache table of that same PostgreSQL database, whose data-modifying
    ``WITH`` runs exactly once, atomically with the statement it heads, whether or not that statement reads
    it. None otherwise (SQLite has no data-modifying ``WITH``; Redis is another server): then call
    :func:`throttle_forgive`. Once the statement has run, the attempt is given back; if it fails, not."""
    cache = shared_cache()
    if not isinstance(cache, DatabaseCache):
        return None
    counters = _Counters(cache, key)
    if counters.alias != alias or counters.connection.vendor != "postgresql":
        return None
    sql, params = counters.forgive_sql()
    return f"WITH throttle_forgiven AS ({sql} RETURNING 1) ", params


def throttle_count(key: str) -> int:
    """How many attempts are counted under ``key`` in its current window."""
    cache = shared_cache()
    if isinstance(cache, DatabaseCache):
        return _Counters(cache, key).count()
    return int(cache.get(key) or 0)
