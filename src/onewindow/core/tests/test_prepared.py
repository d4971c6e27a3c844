"""core.prepared: INSERTs built once per process write the rows the ORM would write (issue #17)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.db.models.expressions import DatabaseDefault, Value
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.core.models import AuditEntry
from onewindow.core.prepared import MAX_ROWS, insert_rows, insert_statement, row_params

pytestmark = pytest.mark.django_db

RECORDED = ["created_at", "actor_kind", "actor_id", "actor_label", "role", "action", "target_type", "target_id",
            "target_label", "before", "after", "ip", "request_id", "channel", "seq", "prev_hash", "hash", "hash_alg"]


def entry(n: int) -> AuditEntry:
    return AuditEntry(created_at=timezone.now(), actor_kind="user", actor_id=str(n), actor_label=f"张{n}",
                      role="clerk", action=f"test.step{n}", target_type="cases.case", target_id=str(100 + n),
                      target_label="申请 №1", before={"状态": "草稿"}, after={"状态": "已提交", "n": n},
                      ip="10.0.0.1", request_id="r-1", channel="api")


def test_the_rows_equal_the_orm_s_rows_and_the_ids_follow_the_objects_order() -> None:
    prepared = [entry(1), entry(2), entry(3)]
    orm = [entry(1), entry(2), entry(3)]
    for obj, twin in zip(orm, prepared, strict=True):
        twin.created_at = obj.created_at
    with CaptureQueriesContext(connection) as queries:
        insert_rows(prepared)
    AuditEntry.objects.bulk_create(orm)

    assert len(queries) == 1 and queries[0]["sql"].startswith('INSERT INTO "core_auditentry"')
    ids = [e.pk for e in prepared]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(not e._state.adding and e._state.db == "default" for e in prepared)
    stored = {row["id"]: row for row in AuditEntry.objects.values("id", *RECORDED)}
    for obj, twin in zip(orm, prepared, strict=True):
        mine, theirs = dict(stored[twin.pk]), dict(stored[obj.pk])
        mine.pop("id"), theirs.pop("id")
        assert mine == theirs


def test_one_statement_is_kept_per_model_and_row_count() -> None:
    assert insert_statement(AuditEntry, 2) is insert_statement(AuditEntry, 2)
    assert insert_statement(AuditEntry, 2).sql.count("(%s") == 2
    assert insert_statement(AuditEntry).returning is True
    assert "id" not in [f.name for f in insert_statement(AuditEntry).fields]


@pytest.mark.parametrize("rows", [0, MAX_ROWS + 1])
def test_a_row_count_outside_the_range_is_refused_and_writes_nothing(rows: int) -> None:
    with pytest.raises(ValueError, match="use bulk_create"):
        insert_statement(AuditEntry, rows)
    assert AuditEntry.objects.count() == 0


def test_a_field_left_at_its_database_default_gets_that_default() -> None:
    field: models.CharField[str, str] = models.CharField(max_length=5, db_default="")
    field.set_attributes_from_name("phone_hash")
    obj = SimpleNamespace(phone_hash=DatabaseDefault(Value(""), output_field=field))
    assert row_params(obj, [field]) == [""]  # type: ignore[arg-type]
    computed: models.CharField[str, str] = models.CharField(max_length=5, db_default=Lower(Value("X")))
    computed.set_attributes_from_name("code")
    with pytest.raises(TypeError, match="not a constant"):
        row_params(SimpleNamespace(code=DatabaseDefault(Lower(Value("X")), output_field=computed)),  # type: ignore[arg-type]
                   [computed])
