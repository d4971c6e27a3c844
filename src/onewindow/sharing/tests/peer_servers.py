"""Stand-ins for another installation in the peer tests (no Django at import time beyond the
sharing helpers):

- :class:`FakePeer`: an HTTP server in a thread that records each request and answers what the
  test's ``respond`` function returns (a well-signed answer, a tampered one, a refusal, a 5xx);
- :class:`BlockingPeer`: a socket server that accepts connections and never answers (a provider
  that hangs), counting the connections it accepted;
- :func:`provider_answer`: the body an honest provider sends, its statement signed with a key.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from onewindow.sharing import canonical, signing

#: ``respond(request) -> (status, body)`` or ``(status, body, {header: value})``.
Respond = Callable[[dict[str, Any]], Any]


def provider_answer(*, private_key: str, kid: str, exchange_id: str, rows: list[dict[str, Any]],
                    fields: list[str], as_of: str | None = "2026-12-01T08:00:00+00:00",
                    content_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer body of an honest provider: its log entry content (role provider, this exchange,
    the rows' digest), hashed and signed with ``private_key``."""
    content = {"v": 1, "exchange_id": exchange_id, "role": "provider", "response_digest": canonical.digest(rows),
               "fields": fields, **(content_extra or {})}
    content_hash = canonical.digest(content)
    return {"exchange_id": exchange_id, "rows": rows, "as_of": as_of, "fields": fields,
            "statement": {"kid": kid, "content_hash": content_hash, "content": content,
                          "signature": signing.sign(private_key, content_hash.encode())}}


class FakePeer:
    """An HTTP server on 127.0.0.1 answering with ``respond(request)``; ``requests`` holds each
    request as ``{"path", "headers", "body"}`` (body parsed as JSON)."""

    def __init__(self, respond: Respond | None = None) -> None:
        self.respond: Respond = respond or (lambda request: (500, b"{}"))
        self.requests: list[dict[str, Any]] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                request = {"path": self.path, "headers": dict(self.headers.items()), "body": json.loads(raw or b"{}")}
                peer.requests.append(request)
                status, body, *extra = peer.respond(request)
                self.send_response(status)
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/api/v1/sharing/peer/exchange"

    def __enter__(self) -> FakePeer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class BlockingPeer:
    """A provider that hangs: it listens (the kernel completes each connection) and never answers.

    No thread: :meth:`drain` accepts, without blocking, every connection waiting in the backlog
    and returns how many were made so far. A client's ``connect()`` has completed when it returns,
    so after a call the count is exact — a refused call that never connected leaves it unchanged.
    """

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.setblocking(False)
        self.port = int(self.listener.getsockname()[1])
        self.accepted: list[socket.socket] = []

    def drain(self) -> int:
        while True:
            try:
                conn, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return len(self.accepted)
            self.accepted.append(conn)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base_url}/api/v1/sharing/peer/exchange"

    def __enter__(self) -> BlockingPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        for conn in self.accepted:
            conn.close()
        self.listener.close()


def new_exchange_id() -> uuid.UUID:
    return uuid.uuid4()
