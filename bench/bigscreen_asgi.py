"""The streaming process of ``bench.bigscreen``'s fan-out: the project's ASGI application
(``onewindow.config.asgi``) with one path of its own, ``GET /bench/stream-stats``, answered before
Django: the database statements this process has run since it started (every connection it opens
gets an execute wrapper that counts), the push layer's own counters (``broadcast.stats``:
producer runs, seq increments, the producer's queries), the process's CPU seconds and resident
size, and the open streams per channel (the hubs' subscribers). Only the bench starts it
(``uvicorn bench.bigscreen_asgi:application``); nothing else imports it.
"""

from __future__ import annotations

import json
import os
import resource
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.db.backends.signals import connection_created

from onewindow.config.asgi import application as django_application

_lock = threading.Lock()
_statements = [0]


def _count(execute: Callable[..., Any], sql: Any, params: Any, many: Any, context: Any) -> Any:
    with _lock:
        _statements[0] += 1
    return execute(sql, params, many, context)


def _wrap(sender: Any, connection: Any, **kwargs: Any) -> None:
    # First in the list: a connection made inside ``connection.execute_wrapper(...)`` (the
    # producer's own count) would otherwise lose this wrapper to that context's closing pop().
    if _count not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _count)


connection_created.connect(_wrap, dispatch_uid="bench-bigscreen-count")


def _rss_kb() -> int:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stats() -> dict[str, Any]:
    from onewindow.bigscreen import broadcast

    usage = resource.getrusage(resource.RUSAGE_SELF)
    with _lock:
        statements = _statements[0]
    hubs = {channel: hub.subscribers for channel, hub in broadcast.live_hubs().items()}
    return {"pid": os.getpid(), "statements": statements, "broadcast": dict(broadcast.stats), "subscribers": hubs,
            "cpu_seconds": usage.ru_utime + usage.ru_stime, "rss_kb": _rss_kb(), "max_rss_kb": usage.ru_maxrss}


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http" and scope.get("path") == "/bench/stream-stats":
        body = json.dumps(stats()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    await django_application(scope, receive, send)
