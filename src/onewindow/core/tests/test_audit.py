"""The audit trail: recording, append-only, sealing into the chain, and audit_verify findings."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from onewindow.core.actors import system_actor
from onewindow.core.audit import (
    AuditItem,
    audit_personal_data_view,
    audit_record,
    audit_record_batch,
    audit_seal_pending,
    audit_verify,
    checkpoint_path,
)
from onewindow.core.models import AuditCheckpoint, AuditEntry, Region
from onewindow.core.models.audit import AppendOnlyError
from onewindow.core.request_context import current_request
from onewindow.core.tasks import audit_seal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_dir(settings, tmp_path):
    settings.ONEWINDOW_AUDIT_CHECKPOINT_DIR = tmp_path / "checkpoints"
    return tmp_path / "checkpoints"


def make_entries(n: int) -> list[AuditEntry]:
    return [audit_record(actor=system_actor("tester"), action="test.write", target=("test.thing", str(i), f"thing {i}"),
                         after={"i": i, "name": "张*"}, channel="system") for i in range(1, n + 1)]


def raw(sql: str, params: list[object]) -> None:
    """Tamper as someone who bypasses the application (on PostgreSQL: past the append-only
    trigger too, as a superuser can; test_audit_protection.py shows the trigger refusing)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def problems(report) -> list[tuple[str, int | None]]:
    return [(p.kind, p.entry_id) for p in report.problems]


def test_record_from_a_request_keeps_who_what_where():
    user = get_user_model().objects.create_user(username="clerk1", password="x" * 12)
    region = Region.objects.create(code="310106", name="静安区", level="district")
    request = RequestFactory().post("/x", REMOTE_ADDR="10.1.2.3")
    request.request_id = "req-12345678"
    token = current_request.set(request)
    try:
        entry = audit_record(actor=user, action="region.rename", target=region, role="dept_admin",
                             before={"name": "闸北区"}, after={"name": "静安区"})
    finally:
        current_request.reset(token)
    entry.refresh_from_db()
    assert (entry.actor_kind, entry.actor_id, entry.actor_label, entry.role) == (
        "user", str(user.pk), "clerk1", "dept_admin")
    assert (entry.action, entry.target_type, entry.target_id, entry.target_label) == (
        "region.rename", "core.region", str(region.pk), "静安区")
    assert (entry.before, entry.after) == ({"name": "闸北区"}, {"name": "静安区"})
    assert (entry.ip, entry.request_id, entry.channel) == ("10.1.2.3", "req-12345678", "web")
    assert entry.seq is None and entry.hash == ""


def test_a_batch_writes_the_entries_record_would_in_one_insert_and_they_chain_in_order():
    """audit_record_batch (issue #17: a service's several steps): one INSERT, the entries of record, in order."""
    user = get_user_model().objects.create_user(username="clerk2", password="x" * 12)
    region = Region.objects.create(code="310104", name="徐汇区", level="district")
    request = RequestFactory().post("/x", REMOTE_ADDR="10.1.2.4")
    request.request_id = "req-batch-1"
    token = current_request.set(request)
    try:
        with CaptureQueriesContext(connection) as queries:
            batch = audit_record_batch(actor=user, role="window_clerk", items=[
                AuditItem("cases.create", ("cases.case", "7", "草稿 事项"), {"status": ""}, {"status": "draft"}),
                AuditItem("cases.submit", region, {"status": "draft"}, {"status": "submitted", "number": "N-1"})])
    finally:
        current_request.reset(token)
    assert [q["sql"].split(" ", 2)[:2] for q in queries.captured_queries] == [["INSERT", "INTO"]]
    rows = list(AuditEntry.objects.order_by("id"))
    assert [e.pk for e in rows] == [e.pk for e in batch]
    assert [(e.action, e.target_type, e.target_id, e.target_label, e.before, e.after) for e in rows] == [
        ("cases.create", "cases.case", "7", "草稿 事项", {"status": ""}, {"status": "draft"}),
        ("cases.submit", "core.region", str(region.pk), "徐汇区", {"status": "draft"},
         {"status": "submitted", "number": "N-1"})]
    assert {(e.actor_kind, e.actor_id, e.actor_label, e.role, str(e.ip), e.request_id, e.channel) for e in rows} == {
        ("user", str(user.pk), "clerk2", "window_clerk", "10.1.2.4", "req-batch-1", "web")}
    make_entries(1)
    assert audit_seal_pending() == 3
    assert list(AuditEntry.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_verify().ok


def test_system_and_anonymous_actors_outside_a_request():
    system = audit_record(actor=system_actor("scheduler"), action="job.run", channel="system")
    anonymous = audit_record(actor=None, action="login.failed")
    assert (system.actor_kind, system.actor_label, system.ip, system.request_id) == ("system", "scheduler", None, "")
    assert (anonymous.actor_kind, anonymous.actor_label) == ("anonymous", "")


def test_personal_data_view_is_audited_with_field_names_only():
    entry = audit_personal_data_view(actor=system_actor("clerk"), target=("accounts.person", "7", "张* (310***1234)"),
                                     fields=["phone", "id_number"], role="clerk")
    assert (entry.action, entry.after, entry.target_id, entry.role) == (
        "personal_data.view", {"fields": ["id_number", "phone"]}, "7", "clerk")


def test_entries_cannot_be_changed_or_removed_through_the_orm():
    entry = make_entries(1)[0]
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    stored = AuditEntry.objects.get()
    assert (stored.pk, stored.action) == (entry.pk, "test.write")


def test_sealing_chains_entries_in_id_order_and_writes_checkpoints(checkpoint_dir):
    entries = make_entries(5)
    assert audit_seal_pending(batch_size=2) == 5
    sealed = list(AuditEntry.objects.order_by("id"))
    assert [e.seq for e in sealed] == [1, 2, 3, 4, 5]
    assert sealed[0].prev_hash == ""
    assert [e.prev_hash for e in sealed[1:]] == [e.hash for e in sealed[:-1]]
    assert all(e.hash == e.chain_hash(e.prev_hash) for e in sealed)
    assert list(AuditCheckpoint.objects.order_by("last_seq").values_list("last_seq", "last_entry_id", "hash")) == [
        (2, entries[1].pk, sealed[1].hash), (4, entries[3].pk, sealed[3].hash), (5, entries[4].pk, sealed[4].hash)]
    lines = [json.loads(line) for line in checkpoint_path().read_text().splitlines()]
    assert [(p["seq"], p["entry_id"], p["hash"]) for p in lines] == [
        (2, entries[1].pk, sealed[1].hash), (4, entries[3].pk, sealed[3].hash), (5, entries[4].pk, sealed[4].hash)]
    assert checkpoint_path().parent == checkpoint_dir
    assert audit_seal_pending() == 0
    assert AuditCheckpoint.objects.count() == 3


def test_the_task_seals_and_continues_the_chain():
    make_entries(2)
    audit_seal.enqueue()
    make_entries(1)
    result = audit_seal.enqueue()
    assert result.return_value == 1
    assert list(AuditEntry.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    assert audit_verify().ok


def test_verify_accepts_an_intact_chain_with_pending_entries():
    make_entries(4)
    audit_seal_pending()
    make_entries(2)
    report = audit_verify()
    assert (report.ok, report.checked, report.unsealed, report.problems) == (True, 4, 2, [])
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().splitlines() == ["4 sealed entries checked, 2 not yet sealed", "audit chain OK"]


def test_an_entry_edited_by_sql_is_reported_with_its_id():
    entries = make_entries(5)
    audit_seal_pending()
    raw("UPDATE core_auditentry SET actor_label = %s WHERE id = %s", ["someone else", entries[2].pk])
    assert problems(audit_verify()) == [("edited", entries[2].pk)]


def test_an_edit_with_a_recomputed_hash_breaks_the_link_to_the_next_entry():
    entries = make_entries(4)
    audit_seal_pending()
    raw("UPDATE core_auditentry SET action = %s WHERE id = %s", ["forged", entries[1].pk])
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    raw("UPDATE core_auditentry SET hash = %s WHERE id = %s", [forged.chain_hash(forged.prev_hash), forged.pk])
    assert problems(audit_verify()) == [("edited", entries[1].pk)]


def test_a_deleted_entry_is_reported(capsys):
    entries = make_entries(5)
    audit_seal_pending()
    raw("DELETE FROM core_auditentry WHERE id = %s", [entries[2].pk])
    report = audit_verify()
    assert [(p.kind, p.entry_id, p.seq) for p in report.problems] == [("deleted", entries[1].pk, 3)]
    assert report.problems[0].detail == f"sequence 3 missing between entry {entries[1].pk} and entry {entries[3].pk}"
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", stdout=out)
    assert exit_info.value.code == 1
    assert f"FIRST DELETED entry {entries[1].pk}: sequence 3 missing" in out.getvalue()


def test_a_truncated_tail_is_reported_even_without_the_checkpoint_rows():
    entries = make_entries(5)
    audit_seal_pending(batch_size=5)
    raw("DELETE FROM core_auditentry WHERE id >= %s", [entries[3].pk])
    raw("DELETE FROM core_auditcheckpoint", [])
    report = audit_verify()
    assert [(p.kind, p.seq) for p in report.problems] == [("truncated", 5)]
    assert report.problems[0].detail == "checkpoint file:1 records sequence 5, but the chain ends at 3"


def test_a_sealed_entry_inserted_beyond_the_last_checkpoint_is_reported():
    make_entries(3)
    audit_seal_pending()
    forged = audit_record(actor=system_actor("intruder"), action="test.write")
    raw("UPDATE core_auditentry SET seq = %s, prev_hash = %s WHERE id = %s",
        [4, AuditEntry.objects.get(seq=3).hash, forged.pk])
    forged = AuditEntry.objects.get(pk=forged.pk)
    raw("UPDATE core_auditentry SET hash = %s WHERE id = %s", [forged.chain_hash(forged.prev_hash), forged.pk])
    assert problems(audit_verify()) == [("inserted", forged.pk)]


def test_an_old_unsealed_entry_behind_the_chain_is_reported_as_inserted():
    entries = make_entries(3)
    audit_seal_pending()
    forged = audit_record(actor=system_actor("intruder"), action="test.write")
    # Slipped in behind the sealed entries (a lower id, an old time) without a place in the chain.
    raw("UPDATE core_auditentry SET id = %s, created_at = %s WHERE id = %s",
        [0, entries[0].created_at.replace(year=2020), forged.pk])
    assert problems(audit_verify()) == [("inserted", 0)]


def test_rewriting_the_newest_entry_is_caught_by_the_checkpoints():
    entries = make_entries(3)
    audit_seal_pending()
    raw("UPDATE core_auditentry SET action = %s WHERE id = %s", ["forged", entries[2].pk])
    forged = AuditEntry.objects.get(pk=entries[2].pk)
    raw("UPDATE core_auditentry SET hash = %s WHERE id = %s", [forged.chain_hash(forged.prev_hash), forged.pk])
    report = audit_verify()
    assert [(p.kind, p.entry_id, p.seq) for p in report.problems] == [
        ("edited", entries[2].pk, 3), ("edited", entries[2].pk, 3)]
    assert [p.detail for p in report.problems] == [
        f"checkpoint table:{AuditCheckpoint.objects.get().pk} disagrees with the chain at sequence 3",
        "checkpoint file:1 disagrees with the chain at sequence 3"]
