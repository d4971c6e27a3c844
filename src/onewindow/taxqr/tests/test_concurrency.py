"""Windows capturing at the same time, in real processes on the file database: archive numbers stay
unique and gap-free, and a code scanned at two windows at once is saved once."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from onewindow.core.testing import pool_starmap
from onewindow.taxqr.models import TaxRecord

from . import capture_worker
from .conftest import NOW, TaxWorld, codes_for


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_windows_in_parallel_processes_get_gap_free_numbers_and_save_a_shared_code_once(world: TaxWorld) -> None:
    processes, per_process = 4, 5
    shared = codes_for(500)[0]
    batches = [[codes_for(600 + p * 10 + i)[0] for i in range(per_process)] for p in range(processes)]
    for p, batch in enumerate(batches):
        batch.insert(p % per_process, shared)
    context = multiprocessing.get_context("spawn")
    args: list[Any] = [(connection.settings_dict["NAME"], str(settings.TAXQR_KEY_DIR), world.tax_clerk.pk, batch,
                        NOW.isoformat()) for batch in batches]
    with context.Pool(processes) as pool:
        results = pool_starmap(pool, capture_worker.capture_all, args)
    outcomes = [r for chunk in results for r in chunk]
    saved = sorted(r for r in outcomes if r.startswith("JA-"))
    refused = [r for r in outcomes if not r.startswith("JA-")]
    total = processes * per_process + 1
    assert saved == [f"JA-2017-{n:06d}" for n in range(1, total + 1)]
    assert len(refused) == processes - 1
    assert set(refused) <= {"qr_already_saved", "duplicate_transaction"}
    assert TaxRecord.objects.count() == total
