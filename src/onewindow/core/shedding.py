"""Load shedding at the 9:00 surge (issue #17, decision 0021): a request that waited too long in the
queue before a worker took it is answered at once with 503 and ``Retry-After``, never worked on.

gunicorn's sync workers take connections from the listen backlog one at a time; under a surge the
backlog grows and every request waits longer, until clients give up (a timeout) while the workers
still serve the requests nobody waits for any more. The queue is bounded in time instead: the front
proxy stamps each request when it arrives (nginx: ``proxy_set_header X-Request-Start "t=${msec}";``,
docs/operations.md) and this middleware, the first one after the security headers, compares the
stamp with the clock. A request older than ``ONEWINDOW_SHED_QUEUE_MS`` gets ``503`` with
``Retry-After: ONEWINDOW_SHED_RETRY_AFTER`` and, under /api/, the error shape
``{"code": "overloaded", "message", "fields"}``; a page gets a short HTML page with the same message.

Without a stamp (no proxy, a health check, ``ONEWINDOW_SHED_QUEUE_MS=0``) nothing is shed. A forged
stamp only changes the fate of the forger's own request. ``/healthz`` is never shed: a load
balancer that saw 503s there would take a busy server out and overload the others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import escape

from .errors import standard_error
from .middleware import API_PREFIX

NEVER_SHED = ("/healthz",)


def request_start(header: str) -> float | None:
    """The arrival time (epoch seconds) of an ``X-Request-Start`` value, or None if unreadable.

    Accepts nginx's ``t=<seconds>.<milliseconds>`` and the integer milliseconds or microseconds
    that other proxies send (``t=1733558400123``, ``t=1733558400123456``), with or without ``t=``.
    """
    value = header.strip()
    if value.startswith("t="):
        value = value[2:]
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if number > 1e14:  # microseconds
        return number / 1e6
    if number > 1e11:  # milliseconds
        return number / 1e3
    return number


def overloaded_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """503 with Retry-After, in the request's language: the error shape under /api/, a page elsewhere."""
    with translation.override(translation.get_language_from_request(request)):
        body = standard_error(503)
        message = body["message"]
        if request.path.startswith(API_PREFIX):
            response: HttpResponse = JsonResponse(body, status=503, content_type="application/json; charset=utf-8",
                                                  json_dumps_params={"ensure_ascii": False})
        else:
            text = escape(message)
            response = HttpResponse(
                f'<!doctype html><html lang="{translation.get_language()}"><meta charset="utf-8">'
                f"<title>{text}</title><p>{text}</p></html>",
                status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    # Not one django.request error line per shed request: at a surge that would be thousands a second
    # (Django's own marker for a response it need not log again).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class LoadSheddingMiddleware:
    """Answers 503 + Retry-After to a request that waited longer than ``ONEWINDOW_SHED_QUEUE_MS``.

    The settings are read once, when the middleware is built (at the worker's start).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.max_wait = int(getattr(settings, "ONEWINDOW_SHED_QUEUE_MS", 0) or 0) / 1000
        self.retry_after = max(1, int(getattr(settings, "ONEWINDOW_SHED_RETRY_AFTER", 5)))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.max_wait > 0:
            header = request.META.get("HTTP_X_REQUEST_START")
            if header and request.path not in NEVER_SHED:
                started = request_start(header)
                if started is not None and time.time() - started > self.max_wait:
                    return overloaded_response(request, self.retry_after)
        return self.get_response(request)
