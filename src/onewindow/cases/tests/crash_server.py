"""Helpers of the cases API tests that run in other processes (imported by spawned children, so
nothing here touches Django at import time).

- :func:`apply_in_process`: one child process posting ``POST /api/v1/cases/`` through Django's test
  client against the parent's test database (the concurrent idempotency test).
- :class:`Server`: a real gunicorn serving the test database, started in its own process group so
  that the crash test can SIGKILL the master and its workers at once, as a power cut would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent


def _setup(db_name: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name


def apply_in_process(db_name: str, user_id: int, body: dict[str, Any], key: str) -> tuple[int, int]:
    """Apply once as ``user_id`` with idempotency ``key``; returns (HTTP status, case id)."""
    _setup(db_name)
    from django.db import connection
    from django.test import Client

    from onewindow.accounts.models import User

    try:
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        response = client.post("/api/v1/cases/", data=json.dumps(body), content_type="application/json",
                               headers={"Idempotency-Key": key})
        return response.status_code, int(response.json().get("id", 0))
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The environment that points a server process at the test run's database."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    env.pop("DATABASE_URL", None)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        env["ONEWINDOW_TEST_DB"] = str(settings_dict["NAME"])
    else:
        user, password = settings_dict.get("USER") or "", settings_dict.get("PASSWORD") or ""
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
    return env


class Server:
    """gunicorn (2 workers × 4 threads) on 127.0.0.1 in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(BIN / "gunicorn"), "onewindow.config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", "2", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
                   "--timeout", "60"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            try:
                if self.request("GET", "/api/v1/openapi.json")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (the group was started for this server)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                data = {"raw": raw[:200].decode(errors="replace")}
            return response.status, data
        finally:
            conn.close()
