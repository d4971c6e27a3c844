"""The push layer of the big-data display: one computation per interval, shared by every screen
(issue #16 part 6; docs/decisions/0019-streams-apart-from-the-workers.md).

A *channel* names one payload: ``crowd:<area code>`` (``selectors.crowd.crowd_snapshot``, always
redacted: the channel is public) and ``wall`` (``selectors.wall.wall_snapshot``, staff and bound
screens only). :func:`current` answers a channel's *envelope* (payloads.md "Envelope")::

    {"channel", "seq", "computed_at", "emergency", "data"}

from the cache. When the cached envelope is older than ``BIGSCREEN_INTERVAL_SECONDS`` exactly one
caller — the one that wins ``cache.add`` of the channel's lock — recomputes it; every other caller
keeps answering the previous envelope meanwhile. ``seq`` grows by one only when the data or the
emergency message changed (a digest of both is compared), so a screen that already holds ``seq``
has nothing to redraw.

The cache is the ``default`` alias: with ``REDIS_URL`` it is Redis, shared by every process of
every server, so the whole installation computes a channel once per interval. In the embedded
profile it is each process's memory: the one streaming process computes once per interval for all
its screens, and each gunicorn worker that answers a poll computes at most once per interval too —
bounded by the number of processes, never by the number of screens.

The registry is pluggable (``register``), so tests and later channels add their own producers.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import json
import logging
import re
import secrets
import time
import weakref
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound

from .selectors.screens import active_emergency, iso

log = logging.getLogger(__name__)

#: A producer computes a channel's data from its argument (the area code of ``crowd:<code>``, ""
#: for ``wall``). It must be pure and JSON-ready (payloads.md).
Producer = Callable[[str], dict[str, Any]]

CACHE_ALIAS = "default"
KEY_PREFIX = "bigscreen:push:"
CHANNEL_RE = re.compile(r"^(?P<prefix>[a-z]+)(?::(?P<arg>[A-Za-z0-9_-]{1,64}))?$")
#: How long a producer's lock lives if its holder dies mid-computation (seconds); the next caller
#: after that recomputes.
LOCK_SECONDS = 30.0
#: How long a caller with no envelope at all waits for the producer that holds the lock.
FIRST_WAIT_SECONDS = 10.0

#: The wall clock (seconds since the epoch); tests replace it to step through intervals.
clock: Callable[[], float] = time.time

#: Per-process counts: ``computed`` (producer runs), ``published`` (seq increments),
#: ``queries`` (database queries the producer runs ran). Read by the fan-out test and the bench.
stats: Counter[str] = Counter()


@dataclass(frozen=True)
class ChannelKind:
    """A family of channels: ``prefix`` alone (``wall``) or ``prefix:<arg>`` (``crowd:<code>``)."""

    prefix: str
    produce: Producer
    public: bool
    takes_arg: bool


CHANNELS: dict[str, ChannelKind] = {}


def register(prefix: str, produce: Producer, *, public: bool, takes_arg: bool) -> None:
    """Add (or replace) a family of channels."""
    CHANNELS[prefix] = ChannelKind(prefix=prefix, produce=produce, public=public, takes_arg=takes_arg)


def unregister(prefix: str) -> None:
    CHANNELS.pop(prefix, None)


def _crowd(area_code: str) -> dict[str, Any]:
    from .selectors.crowd import crowd_snapshot  # the selector module of issue #16 part 3

    return crowd_snapshot(area_code, redact=True)


def _wall(_arg: str) -> dict[str, Any]:
    from .selectors.wall import wall_snapshot  # the selector module of issue #16 part 4

    return wall_snapshot()


register("crowd", _crowd, public=True, takes_arg=True)
register("wall", _wall, public=False, takes_arg=False)


def unknown_channel() -> NotFound:
    return NotFound(_("没有这个推送频道。"), code="bigscreen_channel_not_found")


def channel_kind(channel: str) -> tuple[ChannelKind, str]:
    """The registered family of ``channel`` and its argument; NotFound ``bigscreen_channel_not_found``
    for a malformed name, an unknown prefix, or an argument where none belongs (and the reverse)."""
    match = CHANNEL_RE.match(channel or "")
    if match is None:
        raise unknown_channel()
    kind = CHANNELS.get(match["prefix"])
    arg = match["arg"] or ""
    if kind is None or kind.takes_arg != bool(arg):
        raise unknown_channel()
    return kind, arg


def is_public(channel: str) -> bool:
    """Whether anyone may read the channel (the crowd channels: their data is redacted)."""
    return channel_kind(channel)[0].public


def cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def _key(channel: str) -> str:
    return KEY_PREFIX + "env:" + channel


def _lock_key(channel: str) -> str:
    return KEY_PREFIX + "lock:" + channel


def digest(data: Any, emergency: Any) -> str:
    """What decides whether ``seq`` moves: the data and the emergency message, not the time."""
    body = json.dumps([data, emergency], sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def interval() -> float:
    return float(settings.BIGSCREEN_INTERVAL_SECONDS)


def cached(channel: str) -> dict[str, Any] | None:
    """The cached entry ``{"envelope", "digest", "t"}`` of a channel, or None; no computation."""
    entry = cache().get(_key(channel))
    return entry if isinstance(entry, dict) else None


def current(channel: str) -> dict[str, Any]:
    """The channel's envelope, recomputed by a single producer at most once per interval.

    Unknown channel: NotFound ``bigscreen_channel_not_found``; a producer's own refusal (an unknown
    or inactive area: ``bigscreen_area_not_found``) passes through. A producer that fails
    unexpectedly is logged and the previous envelope served until the next interval.
    """
    kind, arg = channel_kind(channel)
    entry = cached(channel)
    if entry is not None and clock() - float(entry["t"]) < interval():
        return dict(entry["envelope"])
    token = secrets.token_hex(8)
    store = cache()
    if store.add(_lock_key(channel), token, timeout=LOCK_SECONDS):
        try:
            return _produce(channel, kind, arg)
        finally:
            if store.get(_lock_key(channel)) == token:
                store.delete(_lock_key(channel))
    if entry is not None:
        return dict(entry["envelope"])  # another producer is at work: the previous envelope stands
    deadline = time.monotonic() + FIRST_WAIT_SECONDS
    while time.monotonic() < deadline:  # nothing to serve yet: wait for the producer's first envelope
        time.sleep(0.05)
        entry = cached(channel)
        if entry is not None:
            return dict(entry["envelope"])
    return _produce(channel, kind, arg)  # its holder died: compute rather than fail


def _produce(channel: str, kind: ChannelKind, arg: str) -> dict[str, Any]:
    entry = cached(channel)  # re-read under the lock: another producer may have just finished
    now = clock()
    if entry is not None and now - float(entry["t"]) < interval():
        return dict(entry["envelope"])
    queries = [0]

    def count(execute: Any, sql: Any, params: Any, many: Any, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    stats["computed"] += 1
    try:
        with connection.execute_wrapper(count):
            data = kind.produce(arg)
            emergency = active_emergency(datetime.datetime.fromtimestamp(now, tz=datetime.UTC))
    except NotFound:
        raise
    except Exception:
        log.exception("bigscreen: producer of %s failed", channel)
        if entry is None:
            raise
        cache().set(_key(channel), {**entry, "t": now}, timeout=None)  # retry after an interval
        return dict(entry["envelope"])
    finally:
        stats["queries"] += queries[0]
    new_digest = digest(data, emergency)
    previous_seq = int(entry["envelope"]["seq"]) if entry is not None else 0
    changed = entry is None or entry["digest"] != new_digest
    seq = previous_seq + 1 if changed else previous_seq
    if changed:
        stats["published"] += 1
    computed_at = datetime.datetime.fromtimestamp(now, tz=datetime.UTC)
    envelope = {"channel": channel, "seq": seq, "computed_at": iso(computed_at),
                "emergency": emergency, "data": data}
    cache().set(_key(channel), {"envelope": envelope, "digest": new_digest, "t": now}, timeout=None)
    log.debug("bigscreen: %s computed, seq %s, %s queries", channel, seq, queries[0])
    return dict(envelope)


def forget(channel: str) -> None:
    """Drop a channel's cached envelope and lock (tests and the bench start from nothing)."""
    cache().delete_many([_key(channel), _lock_key(channel)])


# -- Stream tickets -------------------------------------------------------------------------------
# Where the streaming process answers on another origin (the demo: uvicorn on port 8001), the
# browser's EventSource sends no cookies there; the page gets a signed ticket from its own origin
# (a staff session or a bound screen) and hands it to the stream as ``?t=``.

TICKET_SALT = "onewindow.bigscreen.stream-ticket"


def make_ticket(channel: str) -> str:
    """A signed ticket for one channel, valid ``BIGSCREEN_TICKET_SECONDS``."""
    channel_kind(channel)
    return signing.dumps({"c": channel}, salt=TICKET_SALT, compress=False)


def ticket_allows(ticket: str, channel: str) -> bool:
    """Whether ``ticket`` is a live, untampered ticket for exactly ``channel``."""
    try:
        payload = signing.loads(ticket, salt=TICKET_SALT, max_age=int(settings.BIGSCREEN_TICKET_SECONDS))
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return isinstance(payload, dict) and payload.get("c") == channel


# -- The per-process hub (ASGI streaming process) -------------------------------------------------
# One asyncio task per channel per process fetches ``current`` once an interval and wakes every
# subscriber of that process: the database sees one computation per interval however many screens
# are connected, and the cache one read per interval per process.


class Hub:
    """The subscribers of one channel in one event loop, and the task that feeds them.

    ``envelope`` is the latest envelope seen; ``wait_newer(seq, timeout)`` returns once an
    envelope with another ``seq`` is there (True) or the timeout passed (False). ``gone`` is set
    when the channel disappeared (an area switched off): streams end.
    """

    #: How the task waits between fetches; the fan-out test replaces it to step ticks by hand.
    sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.envelope: dict[str, Any] | None = None
        self.subscribers = 0
        self.gone = False
        self.ticks = 0
        #: The latest envelope as its streams send it (the envelope, its encoded event): encoded
        #: once per change, not once per screen.
        self.frame: tuple[dict[str, Any], bytes] | None = None
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def publish(self, envelope: dict[str, Any]) -> None:
        """Keep ``envelope``; wake the subscribers when its seq is new to this hub."""
        if self.envelope is not None and self.envelope["seq"] == envelope["seq"]:
            self.envelope = envelope
            return
        self.envelope = envelope
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_newer(self, seq: int | None, timeout: float) -> bool:
        if self.gone or (self.envelope is not None and self.envelope["seq"] != seq):
            return True
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def subscribe(self) -> None:
        self.subscribers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bigscreen-hub-{self.channel}")

    def unsubscribe(self) -> None:
        self.subscribers = max(0, self.subscribers - 1)

    async def tick(self) -> None:
        """One fetch of the shared envelope (at most one computation, by the single producer)."""
        try:
            envelope = await sync_to_async(current)(self.channel)
        except NotFound:
            self.gone = True
            self._wake()
        except Exception:
            log.exception("bigscreen: hub of %s could not fetch", self.channel)
        else:
            self.publish(envelope)
        finally:
            self.ticks += 1

    async def _run(self) -> None:
        try:
            while self.subscribers > 0 and not self.gone:
                await type(self).sleep(interval())
                if self.subscribers == 0:
                    break
                await self.tick()
        finally:
            hubs = _hubs.get(asyncio.get_running_loop())
            if hubs is not None and hubs.get(self.channel) is self and (self.subscribers == 0 or self.gone):
                del hubs[self.channel]


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Hub]] = weakref.WeakKeyDictionary()


def hub(channel: str) -> Hub:
    """The hub of ``channel`` in the running event loop (made on first use)."""
    hubs = _hubs.setdefault(asyncio.get_running_loop(), {})
    found = hubs.get(channel)
    if found is None or found.gone:
        found = hubs[channel] = Hub(channel)
    return found


def live_hubs() -> dict[str, Hub]:
    """The hubs of the running event loop (the bench and the tests read their counts)."""
    return dict(_hubs.get(asyncio.get_running_loop(), {}))
