"""SMS channel backends: how an outbox row leaves the building (or doesn't).

``NOTIFICATIONS_SMS_BACKEND`` picks one:

- ``outbox`` (default) — nothing leaves: SMS rows stay ``pending`` in the outbox, no worker claims
  them and no attempt is counted. For installations without a gateway (the extranet zone) or
  where another system reads the outbox table. Switching to ``http`` later sends the backlog.
- ``console`` — writes the message to the log (phone masked) and marks it sent; for development.
- ``http`` — a generic HTTP SMS gateway: POST of a JSON body built from
  ``NOTIFICATIONS_SMS_BODY_TEMPLATE`` to ``NOTIFICATIONS_SMS_URL``, with
  ``NOTIFICATIONS_SMS_AUTH_HEADER`` and an ``Idempotency-Key`` header carrying the message id.
  2xx = acknowledged; 4xx other than 408/429 = permanent (dead); anything else (timeout,
  connection refused, 5xx, 408, 429, redirects) = try again later.

The government extranet has no internet: the HTTP backend talks to the configured URL only,
directly (environment proxy variables are ignored, redirects are not followed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from onewindow.core.masking import mask_phone

logger = logging.getLogger(__name__)

DEFAULT_BODY_TEMPLATE = '{"id": "{id}", "phone": "{phone}", "text": "{text}"}'
_PLACEHOLDER = re.compile(r"\{(id|phone|text)\}")
_MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class SendResult:
    """What one try came to. ``unreachable``: the gateway did not answer at all (the sweep stops
    for this round instead of burning an attempt of every due message)."""

    outcome: str  # AttemptOutcome value: sent / retry / dead
    http_status: int | None = None
    error: str = ""
    unreachable: bool = False


class SmsBackend(Protocol):
    name: str
    delivers: bool  # False: messages stay pending in the outbox

    def send(self, *, message_id: str, phone: str, text: str) -> SendResult: ...


class OutboxOnlyBackend:
    """Leaves SMS rows pending in the outbox; never called by the worker (``delivers`` is False)."""

    name = "outbox"
    delivers = False

    def send(self, *, message_id: str, phone: str, text: str) -> SendResult:
        return SendResult("retry", error="outbox-only backend does not deliver")


class ConsoleBackend:
    """Logs the message (phone masked) and reports it sent; for development and demos."""

    name = "console"
    delivers = True

    def send(self, *, message_id: str, phone: str, text: str) -> SendResult:
        logger.info("SMS %s to %s: %s", message_id, mask_phone(phone), text)
        return SendResult("sent")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def render_body(template: str, *, message_id: str, phone: str, text: str) -> bytes:
    """The request body: each ``{id}``/``{phone}``/``{text}`` replaced by its JSON-escaped value
    (in one pass, so a text containing ``{phone}`` stays literal)."""
    values = {"id": message_id, "phone": phone, "text": text}
    body = _PLACEHOLDER.sub(lambda m: json.dumps(values[m.group(1)], ensure_ascii=False)[1:-1], template)
    return body.encode("utf-8")


def parse_header(raw: str) -> tuple[str, str] | None:
    """``"Authorization: Bearer xyz"`` → ``("Authorization", "Bearer xyz")``; empty → None."""
    if not raw.strip():
        return None
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        raise ValueError("NOTIFICATIONS_SMS_AUTH_HEADER must look like 'Name: value'")
    return name.strip(), value.strip()


class HttpSmsBackend:
    """A generic HTTP SMS gateway (see the module docstring for the protocol)."""

    name = "http"
    delivers = True

    def __init__(
        self, *, url: str, auth_header: str = "", body_template: str = DEFAULT_BODY_TEMPLATE, timeout: float = 10.0
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("NOTIFICATIONS_SMS_URL must be an http:// or https:// URL")
        self.url = url
        self.auth = parse_header(auth_header)
        self.body_template = body_template or DEFAULT_BODY_TEMPLATE
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())

    def send(self, *, message_id: str, phone: str, text: str) -> SendResult:
        body = render_body(self.body_template, message_id=message_id, phone=phone, text=text)
        request = urllib.request.Request(self.url, data=body, method="POST")  # noqa: S310 (http(s) checked above)
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("Idempotency-Key", message_id)
        if self.auth:
            request.add_header(*self.auth)
        try:
            response = self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
            detail = _read_quietly(exc)
            permanent = 400 <= status < 500 and status not in (408, 429)
            return SendResult(
                "dead" if permanent else "retry",
                http_status=status,
                error=f"HTTP {status} {detail}".strip()[:_MAX_ERROR_CHARS],
            )
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return SendResult("retry", error=f"{type(reason).__name__}: {reason}"[:_MAX_ERROR_CHARS], unreachable=True)
        with response:
            status = int(response.status)
            # The status line already is the answer; a body cut short changes nothing.
            with contextlib.suppress(OSError):
                response.read(_MAX_ERROR_CHARS)
        if 200 <= status < 300:
            return SendResult("sent", http_status=status)
        return SendResult("retry", http_status=status, error=f"HTTP {status}")


def _read_quietly(exc: urllib.error.HTTPError) -> str:
    try:
        return exc.read(_MAX_ERROR_CHARS).decode("utf-8", "replace")
    except Exception:  # the body of an error answer is only a hint for the log
        return ""


def sms_backend_delivers() -> bool:
    """Whether SMS rows are handed to anyone (cheap: reads only the backend name, never raises, so a
    misconfigured gateway can not roll back the change that writes a message)."""
    return (getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "outbox") or "outbox") != "outbox"


def get_sms_backend() -> SmsBackend:
    """The backend the settings name (read on every call, so tests and ops can switch it)."""
    kind = getattr(settings, "NOTIFICATIONS_SMS_BACKEND", "outbox") or "outbox"
    if kind == "outbox":
        return OutboxOnlyBackend()
    if kind == "console":
        return ConsoleBackend()
    if kind == "http":
        return HttpSmsBackend(
            url=getattr(settings, "NOTIFICATIONS_SMS_URL", ""),
            auth_header=getattr(settings, "NOTIFICATIONS_SMS_AUTH_HEADER", ""),
            body_template=getattr(settings, "NOTIFICATIONS_SMS_BODY_TEMPLATE", "") or DEFAULT_BODY_TEMPLATE,
            timeout=float(getattr(settings, "NOTIFICATIONS_SMS_TIMEOUT", 10)),
        )
    raise ValueError(f"NOTIFICATIONS_SMS_BACKEND must be outbox, console or http, not {kind!r}")
