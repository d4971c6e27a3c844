"""Audit rows protected by the database itself on PostgreSQL, by the model everywhere (issue #9).

Rule (网络安全法 art. 21(3); GB/T 22239-2019 等保2.0 三级 安全审计: 应对审计记录进行保护，避免受到未预期的
删除、修改或覆盖): on PostgreSQL a trigger refuses DELETE and every UPDATE of an audit row except the
sealing step, which sets the chain columns once (empty → value) and nothing else. On any database
the model and its queryset refuse ``save()`` of an existing row, ``delete()``, ``update()``.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record, audit_seal_pending
from onewindow.core.models import AuditCheckpoint, AuditEntry
from onewindow.core.models.audit import AppendOnlyError

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the trigger exists only on PostgreSQL (CI's PostgreSQL stage runs this test); "
           "test_the_model_refuses_to_change_or_delete_an_audit_row covers SQLite")


def snapshot() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_auditentry ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


def refused(sql: str, params: list[object]) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"


def test_the_model_refuses_to_change_or_delete_an_audit_row() -> None:
    entry = audit_record(actor=system_actor("tester"), action="test.write", after={"n": 1})
    audit_seal_pending()
    before = snapshot()
    entry = AuditEntry.objects.get(pk=entry.pk)
    entry.action = "forged"
    for attempt in (entry.save, entry.delete, lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="x"),
                    lambda: AuditEntry.objects.all().delete(),
                    lambda: AuditEntry.objects.bulk_update([entry], ["action"])):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert snapshot() == before


@ON_POSTGRESQL
def test_postgresql_refuses_update_and_delete_of_audit_rows_except_the_seal() -> None:
    first = audit_record(actor=system_actor("tester"), action="test.write", after={"n": 1})
    second = audit_record(actor=system_actor("tester"), action="test.write", after={"n": 2})
    unsealed = snapshot()
    # Before the seal: no edit, no delete, and no "seal" that also changes a recorded column.
    assert refused("UPDATE core_auditentry SET action = %s WHERE id = %s", ["forged", first.pk])
    assert refused("DELETE FROM core_auditentry WHERE id = %s", [first.pk])
    assert refused("UPDATE core_auditentry SET seq = 1, hash = %s, actor_label = %s WHERE id = %s",
                   ["f" * 64, "someone else", first.pk])
    assert snapshot() == unsealed

    assert audit_seal_pending() == 2  # the one transition allowed: the chain columns, once
    sealed = snapshot()
    assert [row[0] for row in sealed] == [first.pk, second.pk]
    assert AuditEntry.objects.filter(seq__isnull=False, hash__regex=r"^[0-9a-f]{64}$").count() == 2
    for sql, params in (
        ("UPDATE core_auditentry SET hash = %s WHERE id = %s", ["0" * 64, first.pk]),
        ("UPDATE core_auditentry SET seq = NULL, hash = '', prev_hash = '' WHERE id = %s", [second.pk]),
        ("UPDATE core_auditentry SET after = '{\"n\": 9}'::jsonb WHERE id = %s", [second.pk]),
        ("UPDATE core_auditentry SET ip = '10.0.0.1' WHERE id = %s", [first.pk]),
        ("DELETE FROM core_auditentry", []),
        ("UPDATE core_auditcheckpoint SET hash = %s", ["0" * 64]),
        ("DELETE FROM core_auditcheckpoint", []),
    ):
        assert refused(sql, params), sql
    assert snapshot() == sealed
    assert AuditCheckpoint.objects.count() == 1
