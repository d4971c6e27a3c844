"""Fixtures of the notifications tests: a real HTTP SMS gateway on 127.0.0.1 that a test can start,
stop, slow down or make answer errors."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from onewindow.notifications.models import Message
from onewindow.notifications.services import message_enqueue

PHONE = "13812345678"
CONTEXT = {
    "number": "JA-2026-000001",
    "item": "食品经营许可",
    "query_code": "Q7K2M9",
    "status": "已受理",
    "reason": "材料不全",
    "due_date": "2026-12-08",
    "url": "/cases/JA-2026-000001/",
}


@dataclass
class Seen:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Gateway:
    """A stand-in SMS gateway. ``script`` is a list of answers used in order (then ``mode``):
    ``ok`` (200), ``slow`` (waits until the test ends, so the client times out), or an HTTP status."""

    port: int
    mode: str = "ok"
    script: list[str] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def ids(self) -> list[str]:
        with self.lock:
            return [s.body["id"] for s in self.seen]

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8"))
                with gateway.lock:
                    gateway.seen.append(Seen(dict(self.headers.items()), body))
                    answer = gateway.script.pop(0) if gateway.script else gateway.mode
                if answer == "slow":
                    gateway.release.wait(10)
                    answer = "ok"
                status = 200 if answer == "ok" else int(answer)
                payload = json.dumps({"ok": status == 200}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    """The gateway, configured as the http backend but NOT started (start() it; unstarted = down)."""
    gw = Gateway(port=free_port())
    settings.NOTIFICATIONS_SMS_BACKEND = "http"
    settings.NOTIFICATIONS_SMS_URL = gw.url
    settings.NOTIFICATIONS_SMS_AUTH_HEADER = "Authorization: Bearer test-gateway-secret"
    settings.NOTIFICATIONS_SMS_BODY_TEMPLATE = ""
    settings.NOTIFICATIONS_SMS_TIMEOUT = 5
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 8
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 60
    settings.NOTIFICATIONS_BACKOFF_CAP_SECONDS = 3600
    yield gw
    gw.stop()


def enqueue_sms(event: str = "case_accepted", **kwargs: Any) -> Message:
    """One SMS in the outbox, written in a committed-looking transaction (on_commit not run)."""
    with transaction.atomic():
        messages = message_enqueue(
            event=event, context=CONTEXT, phone=PHONE, subject_type="case", subject_id=CONTEXT["number"], **kwargs
        )
    assert [m.channel for m in messages] == ["sms"]
    return messages[0]
