"""The signed, hash-chained exchange log: append, seal, verify, and what verification catches."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from onewindow.sharing import canonical
from onewindow.sharing.models import ExchangeCheckpoint, ExchangeLogEntry
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SharingWorld


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings: Any, tmp_path: Path) -> Path:
    settings.SHARING_LOG_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def append(world: SharingWorld, *, role: str = "consumer", **overrides: Any) -> ExchangeLogEntry:
    values: dict[str, Any] = {
        "role": role, "exchange_id": uuid.uuid4(), "consumer_code": "OW-LOCAL:TEST-310106-XZFW",
        "provider_code": "OW-LOCAL:TEST-310106-SCJ", "resource_code": "TEST-310106-SCJ-0001",
        "purpose": "case_handling", "case_number": "", "fields": ["credit_code", "name"],
        "params_digest": canonical.digest({"key": "91310106MA1FL0TEST"}), "response_digest": "ab" * 32,
        "outcome": "ok", "duration_ms": 3,
        "signer_department": world.consumer if role == "consumer" else world.provider,
    }
    values.update(overrides)
    return log_service.log_append(**values)


def test_append_seal_verify_ok(sharing_world: SharingWorld) -> None:
    entries = [append(sharing_world), append(sharing_world, role="provider")]
    assert log_service.log_seal_pending() == 2
    report = log_service.log_verify()
    assert report.ok, report.problems
    assert report.checked == 2
    first, second = (ExchangeLogEntry.objects.get(pk=e.pk) for e in entries)
    assert first.seq == 1 and second.seq == 2
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.chain_hash
    assert ExchangeCheckpoint.objects.get().seq == 2
