"""Real processes against one database: appends and seals at once still give one gap-free,
verifiable chain (sealers serialise on the counter row; an entry committed late is sealed by a
later run)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from django.db import connection

from onewindow.core.testing import pool_starmap
from onewindow.sharing.models import ExchangeCheckpoint, ExchangeLogEntry
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SharingWorld

from .log_worker import append_and_seal

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PER_WORKER = 8


def test_concurrent_appends_and_seals_give_one_chain(sharing_world: SharingWorld, tmp_path: Path,
                                                     settings: object) -> None:
    checkpoint_dir = str(tmp_path / "checkpoints")
    settings.SHARING_LOG_CHECKPOINT_DIR = checkpoint_dir  # type: ignore[attr-defined]
    departments = [sharing_world.consumer.pk, sharing_world.provider.pk, sharing_world.outsider.pk]
    db_name = connection.settings_dict["NAME"]
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        sealed = pool_starmap(pool, append_and_seal, [(db_name, checkpoint_dir, d, PER_WORKER) for d in departments])
    total = PER_WORKER * len(departments)
    assert sum(sealed) + log_service.log_seal_pending() == total
    seqs = ExchangeLogEntry.objects.values_list("seq", flat=True)
    assert sorted(seq or 0 for seq in seqs) == list(range(1, total + 1))
    report = log_service.log_verify()
    assert report.ok, report.problems
    assert (report.checked, report.unsealed) == (total, 0)
    lines = log_service.checkpoint_path().read_text().splitlines()
    assert sorted(json.loads(line)["seq"] for line in lines) == sorted(
        ExchangeCheckpoint.objects.values_list("seq", flat=True))
    assert ExchangeCheckpoint.objects.order_by("-seq").values_list("seq", flat=True)[0] == total
