"""The signed, hash-chained exchange log: append, seal, verify, and what verification catches.

Tampering goes through raw SQL (the ORM refuses to change a stored entry), as an attacker with
database access would."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.sharing import canonical, signing
from onewindow.sharing.models import ExchangeCheckpoint, ExchangeLogEntry, SigningKey
from onewindow.sharing.models.exchange import AppendOnlyError
from onewindow.sharing.services import keys as key_service
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SharingWorld

TABLE = ExchangeLogEntry._meta.db_table
assert ExchangeCheckpoint._meta.db_table == "sharing_exchangecheckpoint"


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


def sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{table}", TABLE), params)


def problems(report: log_service.LogReport) -> list[tuple[int | None, str]]:
    return [(p.entry_id, p.code) for p in report.problems]


def sealed_world(world: SharingWorld, count: int = 3) -> list[ExchangeLogEntry]:
    entries = [append(world, role="consumer" if i % 2 == 0 else "provider") for i in range(count)]
    assert log_service.log_seal_pending() == count
    return [ExchangeLogEntry.objects.get(pk=e.pk) for e in entries]


def test_append_seal_verify_ok(sharing_world: SharingWorld, _checkpoint_dir: Path) -> None:
    entries = [append(sharing_world), append(sharing_world, role="provider")]
    assert [e.seq for e in entries] == [None, None]
    assert log_service.log_seal_pending() == 2
    report = log_service.log_verify()
    assert report.ok, report.problems
    assert (report.checked, report.unsealed) == (2, 0)
    first, second = (ExchangeLogEntry.objects.get(pk=e.pk) for e in entries)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "0" * 64
    assert first.chain_hash == log_service.chain_hash("0" * 64, first.content_hash, first.signature)
    assert second.prev_hash == first.chain_hash
    assert list(ExchangeCheckpoint.objects.values_list("seq", "chain_hash")) == [(2, second.chain_hash)]
    lines = log_service.checkpoint_path().read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [2]
    assert json.loads(lines[0])["chain_hash"] == second.chain_hash
    assert json.loads(lines[0])["entry_id"] == second.pk


def test_each_side_signs_with_its_department_key(sharing_world: SharingWorld) -> None:
    consumer = append(sharing_world)
    provider = append(sharing_world, role="provider")
    installation = append(sharing_world, signer_department=None)
    assert consumer.kid == "OW-LOCAL-TEST-310106-XZFW-1"
    assert provider.kid == "OW-LOCAL-TEST-310106-SCJ-1"
    assert installation.kid == "OW-LOCAL-install-1"
    key = SigningKey.objects.get(kid=consumer.kid)
    assert signing.verify(key.public_key, consumer.content_hash.encode("ascii"), consumer.signature)


def test_content_is_the_documented_dict(sharing_world: SharingWorld) -> None:
    grant = sharing_world.grant(sharing_world.resource())[0]
    entry = append(sharing_world, grant=grant, case_number="310106202600000001", error_code="")
    content = log_service.log_entry_content(ExchangeLogEntry.objects.get(pk=entry.pk))
    assert sorted(content) == sorted([
        "v", "exchange_id", "role", "created_at", "consumer_code", "provider_code", "resource_code",
        "grant_id", "purpose", "case_number", "fields", "params_digest", "response_digest", "outcome",
        "error_code", "duration_ms", "kid"])
    assert content["v"] == 1
    assert content["grant_id"] == grant.pk
    assert content["exchange_id"] == str(entry.exchange_id)
    assert content["created_at"].endswith("+00:00") and len(content["created_at"]) == 32
    assert canonical.digest(content) == entry.content_hash


def test_append_refuses_an_unknown_role_or_outcome(sharing_world: SharingWorld) -> None:
    with pytest.raises(ValueError):
        append(sharing_world, role="witness")
    with pytest.raises(ValueError):
        append(sharing_world, outcome="maybe")
    assert ExchangeLogEntry.objects.count() == 0


def test_the_orm_refuses_to_change_or_remove_an_entry(sharing_world: SharingWorld) -> None:
    entry = append(sharing_world)
    entry.outcome = "refused"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ExchangeLogEntry.objects.filter(pk=entry.pk).update(outcome="refused")
    with pytest.raises(AppendOnlyError):
        ExchangeLogEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyError):
        ExchangeLogEntry.objects.bulk_update([entry], ["outcome"])
    assert ExchangeLogEntry.objects.get(pk=entry.pk).outcome == "ok"


def test_entries_appended_after_a_seal_are_sealed_next_time(sharing_world: SharingWorld) -> None:
    first = sealed_world(sharing_world, 2)
    assert log_service.log_seal_pending() == 0
    late = append(sharing_world)
    assert log_service.log_verify().unsealed == 1
    assert log_service.log_seal_pending() == 1
    late = ExchangeLogEntry.objects.get(pk=late.pk)
    assert late.seq == 3 and late.prev_hash == first[-1].chain_hash
    assert list(ExchangeCheckpoint.objects.values_list("seq", flat=True)) == [2, 3]
    assert log_service.log_verify().ok


def test_sealing_in_batches_checkpoints_each_batch(sharing_world: SharingWorld, _checkpoint_dir: Path) -> None:
    for _ in range(5):
        append(sharing_world)
    assert log_service.log_seal_pending(batch_size=2) == 5
    assert list(ExchangeCheckpoint.objects.values_list("seq", flat=True)) == [2, 4, 5]
    lines = log_service.checkpoint_path().read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [2, 4, 5]
    assert log_service.log_verify().ok


def test_an_edited_column_is_named(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("UPDATE {table} SET outcome = %s WHERE id = %s", "refused", entries[1].pk)
    report = log_service.log_verify()
    assert not report.ok
    assert problems(report) == [(entries[1].pk, "content_hash_mismatch")]


def test_edited_fields_and_case_number_are_named(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("UPDATE {table} SET fields = %s WHERE id = %s", json.dumps(["credit_code"]), entries[0].pk)
    sql("UPDATE {table} SET case_number = %s WHERE id = %s", "X1", entries[2].pk)
    assert problems(log_service.log_verify()) == [(entries[0].pk, "content_hash_mismatch"),
                                                 (entries[2].pk, "content_hash_mismatch")]


def test_an_edit_with_a_recomputed_content_hash_fails_the_signature(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    target = entries[1]
    content = log_service.log_entry_content(target)
    content["outcome"] = "refused"
    sql("UPDATE {table} SET outcome = %s, content_hash = %s WHERE id = %s", "refused",
        canonical.digest(content), target.pk)
    assert problems(log_service.log_verify()) == [(target.pk, "signature_invalid"),
                                                 (target.pk, "chain_hash_mismatch")]


def test_a_signature_copied_from_another_entry_is_caught(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("UPDATE {table} SET signature = %s WHERE id = %s", entries[0].signature, entries[2].pk)
    assert problems(log_service.log_verify()) == [(entries[2].pk, "signature_invalid"),
                                                 (entries[2].pk, "chain_hash_mismatch")]


def test_an_unknown_kid_is_caught(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world, 1)
    sql("UPDATE {table} SET kid = %s WHERE id = %s", "OW-LOCAL-nobody-1", entries[0].pk)
    assert problems(log_service.log_verify()) == [(entries[0].pk, "content_hash_mismatch"),
                                                 (entries[0].pk, "key_unknown")]


def test_an_insider_who_re_signs_and_re_chains_is_caught_by_the_checkpoints(sharing_world: SharingWorld) -> None:
    """Even with the department's private key, rewriting an entry and the chain after it
    disagrees with the checkpoint already written (table and file)."""
    entries = sealed_world(sharing_world)
    target = entries[1]
    content = log_service.log_entry_content(target)
    content["outcome"] = "refused"
    content_hash = canonical.digest(content)
    signature = signing.sign(SigningKey.objects.get(kid=target.kid).private_key, content_hash.encode("ascii"))
    new_chain = log_service.chain_hash(target.prev_hash, content_hash, signature)
    sql("UPDATE {table} SET outcome = %s, content_hash = %s, signature = %s, chain_hash = %s WHERE id = %s",
        "refused", content_hash, signature, new_chain, target.pk)
    last = entries[2]
    last_chain = log_service.chain_hash(new_chain, last.content_hash, last.signature)
    sql("UPDATE {table} SET prev_hash = %s, chain_hash = %s WHERE id = %s", new_chain, last_chain, last.pk)
    report = log_service.log_verify()
    assert [p.code for p in report.problems] == ["checkpoint_mismatch", "checkpoint_mismatch"]
    assert {p.entry_id for p in report.problems} == {last.pk}
    assert [p.message.split(" ")[0] for p in report.problems] == ["checkpoint", "file"]


def test_a_deleted_entry_is_caught(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("DELETE FROM {table} WHERE id = %s", entries[1].pk)
    report = log_service.log_verify()
    assert problems(report) == [(entries[2].pk, "seq_gap")]
    assert "sequence 2 missing" in report.problems[0].message


def test_a_truncated_tail_is_caught_by_the_checkpoint(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("DELETE FROM {table} WHERE id IN (%s, %s)", entries[1].pk, entries[2].pk)
    report = log_service.log_verify()
    assert problems(report) == [(None, "checkpoint_beyond_end"), (entries[2].pk, "checkpoint_beyond_end")]
    assert "chain ends at 1" in report.problems[0].message


def test_a_truncated_tail_with_its_checkpoint_rows_removed_is_caught_by_the_file(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("DELETE FROM {table} WHERE id = %s", entries[2].pk)
    sql("DELETE FROM sharing_exchangecheckpoint")
    report = log_service.log_verify()
    assert problems(report) == [(entries[2].pk, "checkpoint_beyond_end"), (entries[2].pk, "checkpoint_row_missing")]


def test_an_edited_checkpoint_row_is_caught(sharing_world: SharingWorld) -> None:
    entries = sealed_world(sharing_world)
    sql("UPDATE sharing_exchangecheckpoint SET chain_hash = %s", "f" * 64)
    assert problems(log_service.log_verify()) == [(entries[2].pk, "checkpoint_mismatch")]


def test_an_unreadable_checkpoint_file_line_is_reported(sharing_world: SharingWorld, _checkpoint_dir: Path) -> None:
    sealed_world(sharing_world, 1)
    with log_service.checkpoint_path().open("a") as handle:
        handle.write("not json\n")
    assert problems(log_service.log_verify()) == [(None, "checkpoint_unreadable")]


def test_a_retired_key_still_verifies(sharing_world: SharingWorld) -> None:
    before = append(sharing_world)
    new_key = key_service.key_rotate(by=system_actor("test"), department=sharing_world.consumer)
    after = append(sharing_world)
    assert before.kid == "OW-LOCAL-TEST-310106-XZFW-1"
    assert after.kid == new_key.kid == "OW-LOCAL-TEST-310106-XZFW-2"
    old = SigningKey.objects.get(kid=before.kid)
    assert old.active is False and old.retired_at is not None
    log_service.log_seal_pending()
    report = log_service.log_verify()
    assert report.ok, report.problems
    assert report.checked == 2


def _peer_world(world: SharingWorld) -> tuple[str, str]:
    """Import a peer installation with one key; return (kid, private key)."""
    private, public = signing.new_key_pair()
    key_service.peer_keys_import(by=system_actor("test"), peer_code="OW-PEER", name="对端平台",
                                 base_url="http://127.0.0.1:8001",
                                 keys_json={"keys": [{"kid": "OW-PEER-install-1", "public_key": public}]})
    return "OW-PEER-install-1", private


def test_a_peer_statement_verifies(sharing_world: SharingWorld) -> None:
    kid, private = _peer_world(sharing_world)
    entry = append(sharing_world)
    peer_hash = canonical.digest({"exchange_id": str(entry.exchange_id), "role": "provider"})
    log_service.log_attach_peer(entry=entry, peer_kid=kid, peer_content_hash=peer_hash,
                                peer_signature=signing.sign(private, peer_hash.encode("ascii")))
    stored = ExchangeLogEntry.objects.get(pk=entry.pk)
    assert (stored.peer_kid, stored.peer_content_hash) == (kid, peer_hash)
    assert stored.content_hash == entry.content_hash  # the statement is not part of the signed content
    log_service.log_seal_pending()
    assert log_service.log_verify().ok
    sql("UPDATE {table} SET peer_content_hash = %s WHERE id = %s", "0" * 64, entry.pk)
    assert problems(log_service.log_verify()) == [(entry.pk, "peer_signature_invalid")]


def test_attaching_a_peer_statement_refuses_bad_statements(sharing_world: SharingWorld) -> None:
    kid, private = _peer_world(sharing_world)
    entry = append(sharing_world)
    peer_hash = "cd" * 32
    signature = signing.sign(private, peer_hash.encode("ascii"))
    own_kid = entry.kid
    cases = [
        ({"peer_kid": "OW-PEER-install-9", "peer_signature": signature}, "sharing_peer_key_unknown"),
        ({"peer_kid": own_kid, "peer_signature": signature}, "sharing_peer_key_unknown"),
        ({"peer_kid": kid, "peer_signature": signing.sign(private, b"other")}, "sharing_peer_signature_invalid"),
    ]
    for arguments, code in cases:
        with pytest.raises(DomainError) as refused:
            log_service.log_attach_peer(entry=entry, peer_content_hash=peer_hash, **arguments)
        assert (refused.value.code, refused.value.status) == (code, 502)
        assert ExchangeLogEntry.objects.get(pk=entry.pk).peer_signature == ""
    log_service.log_attach_peer(entry=entry, peer_kid=kid, peer_signature=signature, peer_content_hash=peer_hash)
    other_hash = "ef" * 32
    with pytest.raises(DomainError) as refused:
        log_service.log_attach_peer(entry=entry, peer_kid=kid, peer_content_hash=other_hash,
                                    peer_signature=signing.sign(private, other_hash.encode("ascii")))
    assert (refused.value.code, refused.value.status) == ("sharing_log_peer_attached", 409)
    assert ExchangeLogEntry.objects.get(pk=entry.pk).peer_content_hash == peer_hash


def test_an_own_entry_signed_with_a_peer_key_is_caught(sharing_world: SharingWorld) -> None:
    kid, private = _peer_world(sharing_world)
    entry = append(sharing_world)
    content = log_service.log_entry_content(entry)
    content["kid"] = kid
    content_hash = canonical.digest(content)
    sql("UPDATE {table} SET kid = %s, content_hash = %s, signature = %s WHERE id = %s", kid, content_hash,
        signing.sign(private, content_hash.encode("ascii")), entry.pk)
    assert problems(log_service.log_verify()) == [(entry.pk, "key_not_own")]


def test_the_seal_task_seals(sharing_world: SharingWorld) -> None:
    from onewindow.core import scheduling
    from onewindow.sharing import tasks

    append(sharing_world)
    assert tasks.log_seal.call() == 1
    scheduling.discover()
    assert scheduling.registered()["sharing.log_seal"].every == datetime.timedelta(minutes=1)
