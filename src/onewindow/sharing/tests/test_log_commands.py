"""``onewindow sharing_verify_log`` and ``onewindow sharing_keys``: output and exit codes."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from onewindow.sharing import canonical, signing
from onewindow.sharing.models import ExchangeLogEntry, PeerInstallation, SigningKey
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SharingWorld


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings: Any, tmp_path: Path) -> None:
    settings.SHARING_LOG_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def append(world: SharingWorld) -> ExchangeLogEntry:
    return log_service.log_append(
        role="consumer", exchange_id=uuid.uuid4(), consumer_code="OW-LOCAL:TEST-310106-XZFW",
        provider_code="OW-LOCAL:TEST-310106-SCJ", resource_code="TEST-310106-SCJ-0001", purpose="prefill",
        fields=["name"], params_digest=canonical.digest({"key": "1"}), outcome="ok",
        signer_department=world.consumer)


def test_verify_log_exits_0_when_the_log_verifies(sharing_world: SharingWorld) -> None:
    append(sharing_world)
    append(sharing_world)
    code, out = run("sharing_verify_log", "--seal")
    assert code == 0
    assert out.splitlines() == ["2 entries sealed", "2 entries checked, 0 not yet sealed", "exchange log OK"]


def test_verify_log_of_an_empty_log(db: None) -> None:
    assert run("sharing_verify_log") == (0, "0 entries checked, 0 not yet sealed\nexchange log OK\n")


def test_verify_log_exits_1_and_lists_each_problem(sharing_world: SharingWorld) -> None:
    first, second = append(sharing_world), append(sharing_world)
    log_service.log_seal_pending()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sharing_exchangelogentry SET purpose = %s WHERE id = %s", ["supervision", second.pk])
    code, out = run("sharing_verify_log")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == "2 entries checked, 0 not yet sealed"
    assert lines[1].startswith(f"content_hash_mismatch entry {second.pk}: ")
    assert lines[2:] == ["1 problems"]
    assert first.pk != second.pk


def test_keys_create_list_rotate(sharing_world: SharingWorld) -> None:
    code, out = run("sharing_keys", "create", "--department", "TEST-310106-XZFW")
    assert code == 0 and out.startswith("active key OW-LOCAL-TEST-310106-XZFW-1 public ")
    assert run("sharing_keys", "create")[1].startswith("active key OW-LOCAL-install-1 ")
    assert run("sharing_keys", "rotate", "--department", "TEST-310106-XZFW")[1].startswith(
        "rotated: active key OW-LOCAL-TEST-310106-XZFW-2 ")
    code, out = run("sharing_keys", "list")
    rows = [line.split("\t")[:3] for line in out.splitlines()]
    assert [row[0] for row in rows] == ["OW-LOCAL-TEST-310106-XZFW-1", "OW-LOCAL-TEST-310106-XZFW-2",
                                        "OW-LOCAL-install-1"]
    assert rows[0][1] == "department TEST-310106-XZFW" and rows[0][2].startswith("retired ")
    assert rows[1][2] == "active" and rows[2][1:] == ["installation", "active"]
    for key in SigningKey.objects.all():
        assert key.private_key not in out


def test_keys_refuse_an_unknown_department(db: None) -> None:
    with pytest.raises(CommandError, match="department 'NOPE' not found"):
        run("sharing_keys", "create", "--department", "NOPE")
    assert SigningKey.objects.count() == 0


def test_keys_export_and_import_between_installations(sharing_world: SharingWorld, tmp_path: Path,
                                                      settings: Any) -> None:
    """One installation's export is the other's import (simulated by renaming this one)."""
    run("sharing_keys", "create", "--department", "TEST-310106-SCJ")
    target = tmp_path / "keys.json"
    assert run("sharing_keys", "export", "--output", str(target)) == (0, f"public keys written to {target}\n")
    exported = json.loads(target.read_text())
    assert [k["kid"] for k in exported["keys"]] == ["OW-LOCAL-TEST-310106-SCJ-1"]
    # the other side: a different installation code, so the kid is a peer's; an own key by that
    # name must not exist, so import into a peer code whose kids do not collide
    renamed = {"keys": [{"kid": "OW-PEER-TEST-310106-SCJ-1", "public_key": exported["keys"][0]["public_key"]}]}
    target.write_text(json.dumps(renamed))
    code, out = run("sharing_keys", "import", str(target), "--peer", "OW-PEER", "--name", "对端平台",
                    "--url", "http://127.0.0.1:8001")
    assert (code, out) == (0, "peer OW-PEER: 1 public keys (OW-PEER-TEST-310106-SCJ-1)\n")
    assert PeerInstallation.objects.get().name == "对端平台"
    assert run("sharing_keys", "export")[1].count('"kid"') == 1  # the peer's key is not exported as own


def test_keys_import_refusals_are_command_errors(sharing_world: SharingWorld, tmp_path: Path) -> None:
    run("sharing_keys", "create")
    own = SigningKey.objects.get()
    target = tmp_path / "keys.json"
    target.write_text(json.dumps({"keys": [{"kid": own.kid, "public_key": signing.new_key_pair()[1]}]}))
    with pytest.raises(CommandError, match="sharing_key_kid_collision"):
        run("sharing_keys", "import", str(target), "--peer", "OW-PEER", "--url", "http://127.0.0.1:8001")
    with pytest.raises(CommandError, match="import needs"):
        run("sharing_keys", "import", str(target))
    with pytest.raises(CommandError, match="cannot read"):
        run("sharing_keys", "import", str(tmp_path / "missing.json"), "--peer", "OW-PEER", "--url", "http://x.cn/")
    assert PeerInstallation.objects.count() == 0
    assert SigningKey.objects.count() == 1
