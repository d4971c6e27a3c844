"""Child-process side of the shared-producer test: one streaming (or gunicorn) process asking for
a channel's envelope at the same moment as the others."""

from __future__ import annotations

import json
import os
import time
from typing import Any


def race(caches_json: str, redis_url: str, counter_key: str, start_at: float) -> dict[str, Any]:
    """Set Django up with the given CACHES, register a slow producer that counts its runs in Redis,
    wait for ``start_at`` and ask for the channel; return the envelope."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    import django

    django.setup()
    import redis
    from django.conf import settings

    settings.CACHES = json.loads(caches_json)  # before the first use of any cache
    from onewindow.bigscreen import broadcast

    counter = redis.Redis.from_url(redis_url)

    def produce(_arg: str) -> dict[str, Any]:
        counter.incr(counter_key)
        time.sleep(0.5)  # long enough for every other process to find the lock taken
        return {"value": 1}

    broadcast.active_emergency = lambda now: None  # type: ignore[assignment,misc]  # no database here
    broadcast.register("race", produce, public=True, takes_arg=False)
    time.sleep(max(0.0, start_at - time.time()))
    return broadcast.current("race")
