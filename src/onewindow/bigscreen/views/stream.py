"""Streams of the big-data display: Server-Sent Events, a long-poll fallback and stream tickets
(issue #16 part 6; docs/decisions/0019-streams-apart-from-the-workers.md).

- ``GET /bigscreen/stream/<channel>/`` — ``text/event-stream``: ``retry: 3000``, then an
  ``event: snapshot`` with ``id: <seq>`` and ``data: <envelope JSON>`` each time the channel's seq
  moves, a comment heartbeat every 15 s. ``Last-Event-ID`` (the browser's reconnect) skips the
  snapshot the screen already holds. Under ASGI (the streaming process, uvicorn) the stream lasts
  as long as the screen stays; every stream of a channel waits on the process's one hub
  (``broadcast.hub``). Under WSGI (gunicorn sync workers, the test server) a stream ends after
  ``BIGSCREEN_WSGI_STREAM_SECONDS`` and the browser reconnects: a sync worker is never held long.
- ``GET /bigscreen/poll/<channel>/?since=<seq>`` — where SSE is not possible: the envelope at once
  (200) when the channel's seq differs from ``since``; otherwise, under ASGI, wait up to
  ``POLL_WAIT_SECONDS`` for the next one, and under WSGI answer 204 at once (the client polls
  again after an interval) — a sync worker must not sit in a wait.
- ``GET /bigscreen/ticket/<channel>/`` — a signed ticket for the channel, to a staff session or a
  bound big screen, for a streaming process on another origin (no cookies go there).

Access: ``crowd:*`` is public (its data is redacted); ``wall`` needs a staff session, a bound big
screen or a ticket. Refusals use the error shape: 403 ``bigscreen_stream_forbidden``, 404
``bigscreen_channel_not_found``. The stream paths answer CORS ``Access-Control-Allow-Origin`` for
the site's own origin (``ONEWINDOW_PUBLIC_URL`` or a host of ``ALLOWED_HOSTS``), without
credentials.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.centers import device_auth
from onewindow.core.errors import DomainError, PermissionDenied

from .. import broadcast, permissions
from ..selectors.screens import screen_of_device

HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000
POLL_WAIT_SECONDS = 25.0


def forbidden() -> PermissionDenied:
    return PermissionDenied(_("无权接收此频道的推送：请以工作人员身份登录，或在已登记的大屏上打开。"),
                            code="bigscreen_stream_forbidden")


def _is_staff_or_screen(request: HttpRequest) -> bool:
    if screen_of_device(getattr(request, "bound_device", None)) is not None:
        return True
    return permissions.can_view_wall(request.user)


def authorize(request: HttpRequest, channel: str) -> None:
    """Whether this request may read ``channel``: public, or a valid ticket for it, or a staff
    session, or a bound big screen. Raises NotFound / PermissionDenied."""
    if broadcast.is_public(channel):
        return
    ticket = request.GET.get("t", "")
    if ticket and broadcast.ticket_allows(ticket, channel):
        return
    if not _is_staff_or_screen(request):
        raise forbidden()


def allowed_origin(request: HttpRequest) -> str | None:
    """The request's Origin when it is the site's own (the page that opens the stream)."""
    origin = request.headers.get("Origin", "")
    if not origin:
        return None
    parts = urlsplit(origin)
    site = urlsplit(settings.ONEWINDOW_PUBLIC_URL)
    if (parts.scheme, parts.netloc) == (site.scheme, site.netloc):
        return origin
    hosts = [host for host in settings.ALLOWED_HOSTS if host and host != "*"]
    if parts.scheme in ("http", "https") and parts.hostname in hosts and not parts.path:
        return origin
    return None


def _cors(request: HttpRequest, response: HttpResponse | StreamingHttpResponse) -> None:
    origin = allowed_origin(request)
    if origin:
        response["Access-Control-Allow-Origin"] = origin
    patch_vary_headers(response, ["Origin"])


def _preflight(request: HttpRequest) -> HttpResponse:
    """CORS preflight of the stream paths: a reconnecting EventSource sends Last-Event-ID, which
    a browser may first ask about. GET only, no credentials."""
    response = HttpResponse(status=204)
    _cors(request, response)
    if "Access-Control-Allow-Origin" in response:
        response["Access-Control-Allow-Methods"] = "GET"
        response["Access-Control-Allow-Headers"] = "Last-Event-ID, Cache-Control"
        response["Access-Control-Max-Age"] = "600"
    return response


def _refusal(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = HttpResponse(json.dumps(exc.as_dict(), ensure_ascii=False), status=exc.status,
                            content_type="application/json; charset=utf-8")
    response["Cache-Control"] = "no-store"
    _cors(request, response)
    return response


def sse_event(envelope: dict[str, Any]) -> bytes:
    """One SSE ``snapshot`` event (the JSON has no newline, so one ``data:`` line)."""
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
    return f"id: {envelope['seq']}\nevent: snapshot\ndata: {body}\n\n".encode()


#: The WSGI stream's waits and clock (the tests step them by hand).
sleep = time.sleep
monotonic = time.monotonic

RETRY = f"retry: {RETRY_MILLISECONDS}\n\n".encode()
HEARTBEAT = b": heartbeat\n\n"


def _last_seq(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("lastEventId") or ""
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


_wsgi_lock = threading.Lock()
_wsgi_streams = 0


def sync_events(channel: str, envelope: dict[str, Any], last: int | None, deadline: float) -> Iterator[bytes]:
    """The WSGI stream: polls the shared envelope once an interval, ends at ``deadline`` (the
    request's start + ``BIGSCREEN_WSGI_STREAM_SECONDS``; the browser reconnects with
    Last-Event-ID). Counted from the request's start, because gunicorn kills a sync worker whose
    request outlives its ``--timeout`` (30 s), the first computation included."""
    global _wsgi_streams
    with _wsgi_lock:
        _wsgi_streams += 1
    try:
        yield RETRY
        sent = last
        if envelope["seq"] != sent:
            yield sse_event(envelope)
            sent = envelope["seq"]
        quiet_since = monotonic()
        while (left := deadline - monotonic()) > 0:
            sleep(min(broadcast.interval(), left))
            try:
                envelope = broadcast.current(channel)
            except DomainError:
                return  # the channel is gone (an area switched off): end; the reconnect gets the 404
            if envelope["seq"] != sent:
                yield sse_event(envelope)
                sent = envelope["seq"]
                quiet_since = monotonic()
            elif monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                yield HEARTBEAT
                quiet_since = monotonic()
    finally:
        with _wsgi_lock:
            _wsgi_streams -= 1


def wsgi_streams_open() -> int:
    """How many WSGI streams of this process are running (the browser tests wait for none before
    their database goes away: a stream's thread holds a connection until its deadline)."""
    with _wsgi_lock:
        return _wsgi_streams


async def async_events(channel: str, envelope: dict[str, Any], last: int | None) -> AsyncIterator[bytes]:
    """The ASGI stream: waits on the process's hub of the channel; lasts until the screen leaves."""
    hub = broadcast.hub(channel)
    if hub.envelope is None:
        hub.envelope = envelope
    hub.subscribe()
    try:
        yield RETRY
        sent = last
        while not hub.gone:
            current = hub.envelope or envelope
            if current["seq"] != sent:
                if hub.frame is None or hub.frame[0] is not current:
                    hub.frame = (current, sse_event(current))  # once per change for all its screens
                yield hub.frame[1]
                sent = current["seq"]
            if not await hub.wait_newer(sent, HEARTBEAT_SECONDS):
                yield HEARTBEAT
    finally:
        hub.unsubscribe()


def _start(request: HttpRequest, channel: str) -> dict[str, Any]:
    authorize(request, channel)
    return broadcast.current(channel)


@require_http_methods(["GET", "OPTIONS"])
def stream(request: HttpRequest, channel: str) -> HttpResponse | StreamingHttpResponse:
    """SSE stream of one channel (see the module's docstring)."""
    if request.method == "OPTIONS":
        return _preflight(request)
    deadline = monotonic() + float(settings.BIGSCREEN_WSGI_STREAM_SECONDS)
    try:
        envelope = _start(request, channel)
    except DomainError as exc:
        return _refusal(request, exc)
    last = _last_seq(request)
    content: Iterator[bytes] | AsyncIterator[bytes]
    if isinstance(request, ASGIRequest):
        content = async_events(channel, envelope, last)
    else:
        content = sync_events(channel, envelope, last, deadline)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    _cors(request, response)
    return response


def _poll_answer(request: HttpRequest, envelope: dict[str, Any] | None) -> HttpResponse:
    response: HttpResponse
    if envelope is None:
        response = HttpResponse(status=204)
    else:
        response = JsonResponse(envelope, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    _cors(request, response)
    return response


@require_http_methods(["GET", "OPTIONS"])
async def poll(request: HttpRequest, channel: str) -> HttpResponse:
    """Long-poll fallback (see the module's docstring): 200 with the envelope, or 204."""
    if request.method == "OPTIONS":
        return _preflight(request)
    try:
        envelope = await sync_to_async(_start)(request, channel)
    except DomainError as exc:
        return _refusal(request, exc)
    raw = request.GET.get("since", "")
    since = int(raw) if raw.isdigit() and len(raw) < 18 else None
    if envelope["seq"] != since:
        return _poll_answer(request, envelope)
    if not isinstance(request, ASGIRequest):
        return _poll_answer(request, None)
    hub = broadcast.hub(channel)
    if hub.envelope is None:
        hub.envelope = envelope
    hub.subscribe()
    try:
        await hub.wait_newer(since, POLL_WAIT_SECONDS)
    finally:
        hub.unsubscribe()
    latest = hub.envelope
    if hub.gone or latest is None or latest["seq"] == since:
        return _poll_answer(request, None)
    return _poll_answer(request, latest)


@require_GET
def ticket(request: HttpRequest, channel: str) -> HttpResponse:
    """A stream ticket for a staff session or a bound big screen (same origin as the pages)."""
    try:
        if not broadcast.is_public(channel) and not _is_staff_or_screen(request):
            raise forbidden()
    except DomainError as exc:
        return _refusal(request, exc)
    device = getattr(request, "bound_device", None)
    if device is not None and screen_of_device(device) is not None:
        # A screen lives on its stream for days: each ticket renewal is its "last seen" (at most
        # one UPDATE a minute), so the operator's list tells a dark screen from a live one.
        device_auth.touch(device)
    signed = broadcast.make_ticket(channel)
    origin = str(settings.BIGSCREEN_STREAM_ORIGIN).rstrip("/")
    query = f"?t={signed}"
    response = JsonResponse({
        "channel": channel, "ticket": signed, "expires_in": int(settings.BIGSCREEN_TICKET_SECONDS),
        "stream": origin + reverse("bigscreen:stream", args=[channel]) + query,
        "poll": origin + reverse("bigscreen:poll", args=[channel]) + query,
    })
    response["Cache-Control"] = "no-store"
    return response
