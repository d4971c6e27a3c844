"""A second installation for the two-installation test, driven in child processes (nothing here
touches Django at import time; every command configures its own database first).

``python -m onewindow.sharing.tests.peer_installation setup <db> <code> <consumer keys> <consumer
department code> <out>`` creates the schema of a fresh SQLite file (from the models, as pytest's
--nomigrations does: replaying every migration took minutes on a loaded machine), a provider
department with a published 房屋登记信息 dataset of one row (answered by the built-in
``sharing.dataset`` provider), the consumer department as this installation knows it, a grant for
it, the provider's signing key, and imports the consumer installation's public keys; writes
``{token, keys, resource_code}`` to <out>.

``... inspect <db> <code> <out>`` seals and verifies this installation's exchange log and writes
its entries (content, signature, peer statement) and the verification's problems to <out>.

:class:`PeerServer` serves the file with gunicorn (its own installation code) on a free port.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent
PEER_DEPARTMENT = "PEER-310101-FGJ"
REMOTE_CODE = f"{PEER_DEPARTMENT}-0001"
REMOTE_FIELDS = ["cert_no", "district"]
#: The row the peer holds (the owner's name is personal and not granted: answered masked).
PEER_ROW: dict[str, Any] = {"cert_no": "沪(2026)黄字不动产权第000123号", "district": "黄浦区", "registered": True,
            "owner_name": "李建华"}


def peer_env(db: Path, code: str) -> dict[str, str]:
    """The environment of every process of the peer installation."""
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    env["DATABASE_URL"] = f"sqlite:///{db}"
    env["SHARING_INSTALLATION_CODE"] = code
    env.pop("ONEWINDOW_TEST_DB", None)
    return env


class _NoMigrations:
    def __contains__(self, item: object) -> bool:
        return True

    def __getitem__(self, item: object) -> None:
        return None


def _django(db: str, code: str, *, create_schema: bool = False) -> None:
    os.environ.update(peer_env(Path(db), code))
    import django
    from django.conf import settings

    if create_schema:
        settings.MIGRATION_MODULES = _NoMigrations()
    django.setup()
    if create_schema:
        from django.core.management import call_command

        call_command("migrate", run_syncdb=True, interactive=False, verbosity=0)


def setup(db: str, code: str, consumer_keys: str, consumer_department_code: str, out: str) -> None:
    _django(db, code, create_schema=True)
    from onewindow.accounts.testing import DepartmentFactory
    from onewindow.core.actors import system_actor
    from onewindow.sharing import canonical
    from onewindow.sharing.choices import DropStatus, Purpose, ResourceKind
    from onewindow.sharing.models import BulkDrop, DatasetRow
    from onewindow.sharing.services.keys import peer_keys_import, public_keys_export, signing_key_for
    from onewindow.sharing.testing import make_grant, make_resource

    from .peer_world import HOUSE_FIELDS

    provider = DepartmentFactory.create(code=PEER_DEPARTMENT, name="上海市黄浦区房屋管理局")
    consumer = DepartmentFactory.create(code=consumer_department_code, name="上海市静安区行政服务中心")
    resource = make_resource(provider, fields=HOUSE_FIELDS, name="房屋登记信息", kind=ResourceKind.DATASET,
                             provider="sharing.dataset", code=REMOTE_CODE)
    digest = canonical.digest(PEER_ROW)
    drop = BulkDrop.objects.create(resource=resource, version=resource.current, file_name="house.csv",
                                   declared_sha256=digest, actual_sha256=digest, status=DropStatus.LOADED)
    DatasetRow.objects.create(resource=resource, row_key=str(PEER_ROW["cert_no"]), data=json.dumps(PEER_ROW),
                              digest=digest, drop=drop)
    _grant, token = make_grant(resource, consumer, purpose=Purpose.CASE_HANDLING, fields=REMOTE_FIELDS,
                               rate_per_minute=600)
    signing_key_for(provider)
    peer_keys_import(by=system_actor("test"), peer_code=json.loads(Path(consumer_keys).read_text())["installation"],
                     name="静安区共享平台", base_url="http://127.0.0.1:9/", keys_json=Path(consumer_keys).read_text())
    Path(out).write_text(json.dumps({"token": token, "keys": public_keys_export(), "resource_code": resource.code}))


def inspect(db: str, code: str, out: str) -> None:
    _django(db, code)
    from onewindow.sharing.models import ExchangeLogEntry
    from onewindow.sharing.services.log import log_entry_content, log_seal_pending, log_verify

    log_seal_pending()
    report = log_verify()
    entries = [
        {"exchange_id": str(e.exchange_id), "role": e.role, "outcome": e.outcome, "error_code": e.error_code,
         "content": log_entry_content(e), "content_hash": e.content_hash, "kid": e.kid, "signature": e.signature,
         "peer_kid": e.peer_kid, "peer_signature": e.peer_signature, "peer_content_hash": e.peer_content_hash,
         "seq": e.seq}
        for e in ExchangeLogEntry.objects.order_by("id")
    ]
    problems = [getattr(p, "code", str(p)) for p in getattr(report, "problems", [])]
    Path(out).write_text(json.dumps({"entries": entries, "problems": problems}, ensure_ascii=False))


def run(command: str, *args: str, db: Path, code: str) -> None:
    """Run one command of this module in a child process (raises with its output if it fails)."""
    done = subprocess.run([sys.executable, "-m", "onewindow.sharing.tests.peer_installation", command, *args],
                          env=peer_env(db, code), cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"peer {command} failed: {done.stdout[-2000:]}{done.stderr[-4000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PeerServer:
    """gunicorn (1 worker, 4 threads) serving the peer's database on 127.0.0.1."""

    def __init__(self, db: Path, code: str, log: Path) -> None:
        self.env = peer_env(db, code)
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [str(BIN / "gunicorn"), "onewindow.config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", "1", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning",
                   "--timeout", "120"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"peer server exited with {self.process.returncode}: {self.log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("peer server did not start within 120 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


def main(argv: list[str]) -> Any:
    command, *args = argv
    if command == "setup":
        return setup(*args)
    if command == "inspect":
        return inspect(*args)
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
