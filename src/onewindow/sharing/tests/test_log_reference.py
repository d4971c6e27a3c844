"""The reference verifier of docs/sharing-log.md, run as written against a real exchange log:
the documented format is the one the code writes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from onewindow.sharing import canonical
from onewindow.sharing.services import keys as key_service
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SharingWorld

DOC = Path(__file__).resolve().parents[4] / "docs" / "sharing-log.md"


def reference_script() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"`verify_exchange_log\.py`.*?```python\n(.*?)```", text, re.S)
    assert match is not None, "the reference script is missing from docs/sharing-log.md"
    return match.group(1)


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings: Any, tmp_path: Path) -> Path:
    settings.SHARING_LOG_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def export_rows(path: Path) -> None:
    """The rows as ``sqlite3 -json`` / ``psql json_agg`` would give them: raw column values."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM sharing_exchangelogentry WHERE seq IS NOT NULL ORDER BY seq")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    path.write_text(json.dumps(rows, default=str, ensure_ascii=False), encoding="utf-8")


def run_script(tmp_path: Path, checkpoints: Path) -> tuple[int, str]:
    script = tmp_path / "verify_exchange_log.py"
    script.write_text(reference_script(), encoding="utf-8")
    export_rows(tmp_path / "entries.json")
    (tmp_path / "keys.json").write_text(json.dumps(key_service.public_keys_export()), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "entries.json"), str(tmp_path / "keys.json"),
         str(checkpoints / log_service.checkpoint_path().name)],
        capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, done.stdout + done.stderr


def test_the_documented_script_verifies_the_log_and_catches_an_edit(sharing_world: SharingWorld, tmp_path: Path,
                                                                      _checkpoint_dir: Path) -> None:
    grant = sharing_world.grant(sharing_world.resource())[0]
    exchange = uuid.uuid4()
    entries = []
    for role, department in (("consumer", sharing_world.consumer), ("provider", sharing_world.provider)):
        entries.append(log_service.log_append(
            role=role, exchange_id=exchange, consumer_code="OW-LOCAL:TEST-310106-XZFW",
            provider_code="OW-LOCAL:TEST-310106-SCJ", resource_code=grant.resource.code, grant=grant,
            purpose="case_handling", case_number="310106202600000001", fields=["credit_code", "name"],
            params_digest=canonical.digest({"credit_code": "91310106MA1FL0TEST"}), response_digest="ab" * 32,
            outcome="ok", duration_ms=5, signer_department=department))
    entries.append(log_service.log_append(
        role="consumer", exchange_id=uuid.uuid4(), consumer_code="OW-LOCAL:TEST-310106-XZFW",
        provider_code="OW-PEER:310106-GA", resource_code="310106-GA-0003", purpose="prefill", fields=[],
        params_digest=canonical.digest({}), outcome="timeout", error_code="sharing_provider_timeout",
        signer_department=None))
    log_service.log_seal_pending()
    code, out = run_script(tmp_path, _checkpoint_dir)
    assert (code, out.strip()) == (0, "3 entries, 1 checkpoints, 0 problems")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE sharing_exchangelogentry SET case_number = %s WHERE id = %s", ["X", entries[1].pk])
    code, out = run_script(tmp_path, _checkpoint_dir)
    assert code == 1
    assert out.splitlines() == [f"content_hash_mismatch entry {entries[1].pk}", "3 entries, 1 checkpoints, 1 problems"]
