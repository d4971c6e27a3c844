"""Real processes deliver the same batch at once: each source record id becomes one row, created
once and unchanged for the others, with one revision (a file-based SQLite database, or
PostgreSQL with DATABASE_URL). Django is imported inside the functions: the spawned children
import this module before they set Django up."""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _setup(db_name: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "onewindow.config.settings.test"
    os.environ["ONEWINDOW_TEST_DB"] = db_name
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.DATABASES["default"]["NAME"] = db_name
    connection.settings_dict["NAME"] = db_name


def deliver(db_name: str, user_id: int, rows: list[dict[str, Any]]) -> list[str]:
    """Child process: deliver ``rows`` as the data clerk; the outcome of each row."""
    _setup(db_name)
    from django.db import connection

    from onewindow.accounts.models import User
    from onewindow.market.services import records

    try:
        result = records.records_ingest(by=User.objects.get(pk=user_id), rows=rows, channel="api")
        return [row.outcome for row in result.rows]
    finally:
        connection.close()


def test_processes_delivering_one_batch_make_one_row_per_source_id() -> None:
    from django.db import connection

    from onewindow.core.testing import pool_starmap
    from onewindow.market.models import PooledRecord, RecordRevision

    from .test_records_world import build_records_world, licence_row, unknown_code

    w = build_records_world()
    codes = [w.entity.credit_code, unknown_code()]
    rows = [licence_row(f"C{i:03d}", codes[i % 2]) for i in range(40)]
    db_name = connection.settings_dict["NAME"]
    processes = 4
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool_starmap(pool, deliver, [(db_name, w.user("data_clerk").pk, rows)] * processes)
    outcomes = Counter(outcome for chunk in results for outcome in chunk)
    assert outcomes == {"created": 40, "unchanged": 40 * (processes - 1)}
    assert PooledRecord.objects.count() == 40
    assert RecordRevision.objects.count() == 40
    assert PooledRecord.objects.filter(entity=w.entity).count() == 20
