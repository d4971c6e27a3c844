"""The signed, hash-chained exchange log (交换日志): append, seal, verify, attach a peer's statement.

Rule (issue #13, after X-Road): every exchange is logged on both sides; each entry's content is
hashed (SHA-256 of canonical JSON, :func:`log_entry_content`) and signed with Ed25519 by its side's
key; the ``sharing.log_seal`` task chains the new entries in id order,
``chain_hash = SHA-256(prev_hash "|" content_hash "|" signature)``, and writes a checkpoint of the
chain head to a table and to a file outside the database, so :func:`log_verify` (``onewindow
sharing_verify_log``) detects an edited, deleted or inserted entry and a truncated tail. Writers
only insert; sealing is serialised by one core counter row, so appends never wait for it.
The format is documented in docs/sharing-log.md, with a reference verifier.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import Conflict, DomainError
from onewindow.core.locks import lock_or_create
from onewindow.core.models import Department, NumberCounter

from .. import canonical, signing
from ..choices import ExchangeOutcome, ExchangeRole
from ..models import DataResource, ExchangeCheckpoint, ExchangeLogEntry, Grant, SigningKey
from .keys import signing_key_for

#: The version of the content dict (``"v"``); a change of its key set is a new version.
CONTENT_VERSION = 1
GENESIS_HASH = "0" * 64
CHECKPOINT_FILE_PREFIX = "exchange-log-checkpoints"
SEAL_SCOPE = "sharing-log-seq"


def _iso(moment: datetime.datetime) -> str:
    if timezone.is_naive(moment):
        raise ValueError("exchange log times must be timezone-aware")
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def content_of(*, exchange_id: uuid.UUID | str, role: str, created_at: datetime.datetime, consumer_code: str,
               provider_code: str, resource_code: str, grant_id: int | None, purpose: str, case_number: str,
               fields: Sequence[str], params_digest: str, response_digest: str, outcome: str,
               error_code: str, duration_ms: int, kid: str) -> dict[str, Any]:
    """The content dict of one entry from its values (see :func:`log_entry_content`)."""
    return {
        "v": CONTENT_VERSION,
        "exchange_id": str(exchange_id),
        "role": str(role),
        "created_at": _iso(created_at),
        "consumer_code": consumer_code,
        "provider_code": provider_code,
        "resource_code": resource_code,
        "grant_id": grant_id,
        "purpose": str(purpose),
        "case_number": case_number,
        "fields": [str(name) for name in fields],
        "params_digest": params_digest,
        "response_digest": response_digest,
        "outcome": str(outcome),
        "error_code": error_code,
        "duration_ms": int(duration_ms),
        "kid": kid,
    }


def log_entry_content(entry: ExchangeLogEntry) -> dict[str, Any]:
    """The dict whose canonical JSON's SHA-256 is ``entry.content_hash`` (what the signature covers).

    Keys (docs/sharing-log.md): ``v`` (1), ``exchange_id`` (UUID text), ``role``, ``created_at``
    (ISO 8601 in UTC with microseconds, ``+00:00``), ``consumer_code``, ``provider_code``,
    ``resource_code``, ``grant_id`` (this installation's grant id or null), ``purpose``,
    ``case_number``, ``fields`` (list, in stored order), ``params_digest``, ``response_digest``,
    ``outcome``, ``error_code``, ``duration_ms``, ``kid``. Chain columns and the peer statement are
    not part of the content. Verifiers recompute it from the columns.
    """
    return content_of(
        exchange_id=entry.exchange_id, role=entry.role, created_at=entry.created_at,
        consumer_code=entry.consumer_code, provider_code=entry.provider_code,
        resource_code=entry.resource_code, grant_id=entry.grant_id, purpose=entry.purpose,
        case_number=entry.case_number, fields=list(entry.fields or []), params_digest=entry.params_digest,
        response_digest=entry.response_digest, outcome=entry.outcome, error_code=entry.error_code,
        duration_ms=entry.duration_ms, kid=entry.kid)


def signed_bytes(content_hash: str) -> bytes:
    """The bytes an entry's signature covers: its hex content hash as ASCII."""
    return content_hash.encode("ascii")


def log_append(*, role: str, exchange_id: uuid.UUID, consumer_code: str, provider_code: str,
               resource_code: str, resource: DataResource | None = None, grant: Grant | None = None,
               purpose: str, case_number: str = "", fields: Sequence[str], params_digest: str,
               response_digest: str = "", outcome: str, error_code: str = "", duration_ms: int = 0,
               signer_department: Department | None = None,
               created_at: datetime.datetime | None = None) -> ExchangeLogEntry:
    """Append one side's entry of one exchange, signed, unsealed (交换日志记录).

    Actor: the exchange service, once for the consumer side and once for the provider side (each
    signed by ``signing_key_for(signer_department)``: that side's department key, or the
    installation's), for an answer and for every refusal after authentication. The content (see
    :func:`log_entry_content`) is hashed and signed; the chain columns are set later by
    :func:`log_seal_pending`. Parameters are passed only as their digest (they may hold an ID
    number, 个人信息保护法 art. 51). Call it in a transaction that commits even when the exchange
    is refused, or the refusal's entry is rolled back with it.
    """
    if role not in ExchangeRole.values:
        raise ValueError(f"unknown exchange role {role!r}")
    if outcome not in ExchangeOutcome.values:
        raise ValueError(f"unknown exchange outcome {outcome!r}")
    key = signing_key_for(signer_department)
    created_at = created_at or timezone.now()
    field_list = [str(name) for name in fields]
    grant_id = grant.pk if grant is not None else None
    content = content_of(
        exchange_id=exchange_id, role=role, created_at=created_at, consumer_code=consumer_code,
        provider_code=provider_code, resource_code=resource_code, grant_id=grant_id, purpose=purpose,
        case_number=case_number, fields=field_list, params_digest=params_digest,
        response_digest=response_digest, outcome=outcome, error_code=error_code,
        duration_ms=duration_ms, kid=key.kid)
    content_hash = canonical.digest(content)
    return ExchangeLogEntry.objects.create(
        exchange_id=exchange_id, role=role, created_at=created_at, consumer_code=consumer_code,
        provider_code=provider_code, resource_code=resource_code, resource=resource, grant=grant,
        purpose=purpose, case_number=case_number, fields=field_list, params_digest=params_digest,
        response_digest=response_digest, outcome=outcome, error_code=error_code, duration_ms=duration_ms,
        content_hash=content_hash, kid=key.kid,
        signature=signing.sign(key.private_key, signed_bytes(content_hash)))


def chain_hash(prev_hash: str, content_hash: str, signature: str) -> str:
    """``SHA-256(prev_hash "|" content_hash "|" signature)`` in hex (ASCII input)."""
    return hashlib.sha256(f"{prev_hash}|{content_hash}|{signature}".encode("ascii")).hexdigest()


def database_tag() -> str:
    """Eight hex digits naming the configured database (engine, name, host, port). A checkpoint
    file belongs to one database: pointing an installation at another database (a fresh demo
    database, PostgreSQL instead of SQLite) starts that database's own file instead of failing
    against the other's checkpoints, while a database replaced under the same name is still
    caught by its file."""
    db = connection.settings_dict
    identity = "|".join(str(db.get(key) or "") for key in ("ENGINE", "NAME", "HOST", "PORT"))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:8]


def checkpoint_path() -> Path:
    """The append-only checkpoint file outside the database: ``SHARING_LOG_CHECKPOINT_DIR`` (or,
    when empty, the audit trail's ``ONEWINDOW_AUDIT_CHECKPOINT_DIR``) /
    ``exchange-log-checkpoints-<database tag>.jsonl`` (:func:`database_tag`)."""
    directory = getattr(settings, "SHARING_LOG_CHECKPOINT_DIR", "") or getattr(
        settings, "ONEWINDOW_AUDIT_CHECKPOINT_DIR", None) or Path(settings.VAR_DIR) / "audit-checkpoints"
    return Path(directory) / f"{CHECKPOINT_FILE_PREFIX}-{database_tag()}.jsonl"


def _append_checkpoint_file(checkpoint: ExchangeCheckpoint, entry_id: int) -> None:
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": checkpoint.seq, "entry_id": entry_id, "chain_hash": checkpoint.chain_hash,
                       "at": checkpoint.created_at.isoformat()}, sort_keys=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _head_hash(last_seq: int) -> str:
    """The chain hash at ``last_seq`` (the genesis hash before the first entry)."""
    if last_seq == 0:
        return GENESIS_HASH
    value = ExchangeLogEntry.objects.filter(seq=last_seq).values_list("chain_hash", flat=True).first()
    if value is None:  # the head entry is gone: chain on from its checkpoint; verification reports it
        value = ExchangeCheckpoint.objects.filter(seq=last_seq).values_list("chain_hash", flat=True).first()
    return value or GENESIS_HASH


def log_seal_pending(*, batch_size: int = 1000) -> int:
    """Seal every unsealed entry into the chain, in id order; return how many were sealed.

    Each entry gets the next sequence number (gap-free: the core counter ``sharing-log-seq``, whose
    row lock also keeps two sealers from interleaving), ``prev_hash`` = the chain hash before it
    (64 zeros for the first) and ``chain_hash = SHA-256(prev_hash|content_hash|signature)``. Each
    batch ends with a checkpoint row and, once committed, a line in the checkpoint file. Entries
    appended while a seal runs are sealed by the next run. Actor: the ``sharing.log_seal`` task.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            counter = lock_or_create(NumberCounter, scope=SEAL_SCOPE)
            entries = list(ExchangeLogEntry.objects.filter(seq__isnull=True).order_by("id")
                           .values("id", "content_hash", "signature")[:batch_size])
            if not entries:
                return sealed
            seq, prev_hash = counter.value, _head_hash(counter.value)
            for entry in entries:
                seq += 1
                digest = chain_hash(prev_hash, entry["content_hash"], entry["signature"])
                ExchangeLogEntry.objects.filter(pk=entry["id"])._seal(seq=seq, prev_hash=prev_hash,
                                                                      chain_hash=digest)
                prev_hash = digest
            counter.value = seq
            counter.save(update_fields=["value"])
            checkpoint = ExchangeCheckpoint.objects.create(seq=seq, chain_hash=prev_hash, created_at=timezone.now())
        _append_checkpoint_file(checkpoint, entries[-1]["id"])
        sealed += len(entries)
        if len(entries) < batch_size:
            return sealed


#: What each problem code means, for people (the log pages); the message adds the details.
PROBLEM_TITLES: dict[str, Any] = {
    "content_hash_mismatch": _("条目内容已被修改（与内容摘要不符）"),
    "signature_invalid": _("签名无效"),
    "key_unknown": _("签名密钥未知"),
    "key_not_own": _("签名密钥不是本平台的密钥"),
    "peer_key_unknown": _("对端签名密钥未知"),
    "peer_signature_invalid": _("对端签名无效"),
    "seq_gap": _("哈希链缺号（条目被删除）"),
    "chain_broken": _("哈希链断裂"),
    "chain_hash_mismatch": _("链值不符"),
    "checkpoint_beyond_end": _("检查点超出链尾（末尾条目被删除）"),
    "checkpoint_mismatch": _("检查点与哈希链不符"),
    "checkpoint_unreadable": _("检查点文件无法读取"),
    "checkpoint_row_missing": _("数据库中缺少检查点"),
    "not_checkpointed": _("已封存的条目没有检查点"),
    "unsealed_stale": _("条目未被串入哈希链"),
}


class LogProblem(NamedTuple):
    """One finding of :func:`log_verify`: the entry it concerns (None when no entry can be named),
    a stable code and a message for the operator (``title`` says what the code means)."""

    entry_id: int | None
    code: str
    message: str

    @property
    def title(self) -> Any:
        return PROBLEM_TITLES.get(self.code, self.code)


@dataclass
class LogReport:
    """The result of :func:`log_verify`: ``checked`` entries, ``unsealed`` of them not yet chained."""

    checked: int = 0
    unsealed: int = 0
    problems: list[LogProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _file_checkpoints() -> list[dict[str, Any]]:
    path = checkpoint_path()
    if not path.exists():
        return []
    points = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            point = json.loads(line)
            points.append({"seq": int(point["seq"]), "hash": str(point["chain_hash"]),
                           "entry_id": point.get("entry_id"), "source": f"file line {number}"})
        except (ValueError, KeyError, TypeError):
            points.append({"seq": -1, "hash": "", "entry_id": None, "source": f"file line {number}"})
    return points


def _checkpoints() -> Iterable[dict[str, Any]]:
    for row in ExchangeCheckpoint.objects.order_by("seq").values("seq", "chain_hash", "id"):
        yield {"seq": row["seq"], "hash": row["chain_hash"], "entry_id": None, "source": f"checkpoint {row['id']}"}
    yield from _file_checkpoints()


class _Keys:
    """Public keys by kid, loaded once per verification; own keys are the ones without a peer."""

    def __init__(self) -> None:
        self.public: dict[str, str] = {}
        self.own: set[str] = set()
        for kid, public, peer_id in SigningKey.objects.values_list("kid", "public_key", "peer_id"):
            self.public[kid] = public
            if peer_id is None:
                self.own.add(kid)


def _check_entry(entry: ExchangeLogEntry, keys: _Keys, problems: list[LogProblem]) -> None:
    """Content hash, signature and peer statement of one entry."""
    try:
        recomputed = canonical.digest(log_entry_content(entry))
    except (ValueError, TypeError):
        recomputed = ""
    if recomputed != entry.content_hash:
        problems.append(LogProblem(entry.pk, "content_hash_mismatch",
                                   f"entry {entry.pk}: its columns no longer match its content hash"))
    if entry.kid not in keys.own:
        code = "key_not_own" if entry.kid in keys.public else "key_unknown"
        problems.append(LogProblem(entry.pk, code, f"entry {entry.pk}: signed by {entry.kid!r}, not a key of "
                                                   "this installation"))
    elif not signing.verify(keys.public[entry.kid], signed_bytes(entry.content_hash), entry.signature):
        problems.append(LogProblem(entry.pk, "signature_invalid",
                                   f"entry {entry.pk}: the signature by {entry.kid} does not verify"))
    if entry.peer_signature or entry.peer_kid or entry.peer_content_hash:
        public = keys.public.get(entry.peer_kid)
        if public is None:
            problems.append(LogProblem(entry.pk, "peer_key_unknown",
                                       f"entry {entry.pk}: the peer key {entry.peer_kid!r} is unknown"))
        elif not signing.verify(public, signed_bytes(entry.peer_content_hash), entry.peer_signature):
            problems.append(LogProblem(entry.pk, "peer_signature_invalid",
                                       f"entry {entry.pk}: the peer statement by {entry.peer_kid} does not verify"))


def log_entry_check(entry: ExchangeLogEntry) -> list[LogProblem]:
    """The checks of one entry alone (content hash, signature, peer statement) — what the entry's
    page shows; the chain and checkpoints need :func:`log_verify`."""
    keys = _Keys()
    found: list[LogProblem] = []
    _check_entry(entry, keys, found)
    if entry.seq is not None and chain_hash(entry.prev_hash, entry.content_hash, entry.signature) != entry.chain_hash:
        found.append(LogProblem(entry.pk, "chain_hash_mismatch",
                                f"entry {entry.pk} (seq {entry.seq}) does not match its chain hash"))
    return found


def log_verify(*, grace: datetime.timedelta | None = None) -> LogReport:
    """Verify the whole exchange log (交换日志校验): every entry's content hash and signature (with
    its kid's public key — retired keys included), the peer statements, the chain in sequence order
    and every checkpoint of the table and the file.

    Problem codes: ``content_hash_mismatch`` (a column edited), ``signature_invalid``,
    ``key_unknown`` / ``key_not_own``, ``peer_key_unknown`` / ``peer_signature_invalid``,
    ``seq_gap`` (an entry deleted), ``chain_broken`` (an entry's prev_hash is not the chain hash
    before it), ``chain_hash_mismatch``, ``checkpoint_beyond_end`` (a truncated tail),
    ``checkpoint_mismatch``, ``checkpoint_unreadable``, ``checkpoint_row_missing`` (a checkpoint
    of the file missing from the table), ``not_checkpointed`` (entries sealed
    beyond the last checkpoint), ``unsealed_stale`` (an entry left out of the chain although later
    ones were sealed more than ``grace`` ago — default 10 minutes). Actor: an auditor, the operator
    (``onewindow sharing_verify_log``) or a system admin on the log page.
    """
    grace = grace if grace is not None else datetime.timedelta(minutes=10)
    report = LogReport()
    problems = report.problems
    keys = _Keys()
    points = list(_checkpoints())
    wanted = {point["seq"] for point in points}
    checkpoint_max = max((point["seq"] for point in points), default=0)
    at_seq: dict[int, tuple[int, str]] = {}
    expected, prev_hash, prev_id = 1, GENESIS_HASH, None
    last_sealed_id = 0
    sealed = ExchangeLogEntry.objects.filter(seq__isnull=False).order_by("seq")
    for entry in sealed.iterator(chunk_size=2000):
        seq = int(entry.seq or 0)
        report.checked += 1
        _check_entry(entry, keys, problems)
        if seq != expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
            problems.append(LogProblem(entry.pk, "seq_gap",
                                       f"sequence {missing} missing before entry {entry.pk} (deleted)"))
        elif entry.prev_hash != prev_hash:
            problems.append(LogProblem(entry.pk, "chain_broken",
                                       f"entry {entry.pk} (seq {seq}) does not chain to the entry before it"))
        if chain_hash(entry.prev_hash, entry.content_hash, entry.signature) != entry.chain_hash:
            problems.append(LogProblem(entry.pk, "chain_hash_mismatch",
                                       f"entry {entry.pk} (seq {seq}) does not match its chain hash"))
        if seq in wanted or seq == checkpoint_max + 1:
            at_seq[seq] = (entry.pk, entry.chain_hash)
        last_sealed_id = max(last_sealed_id, entry.pk)
        expected, prev_hash, prev_id = seq + 1, entry.chain_hash, entry.pk
    last_seq = expected - 1

    for point in points:
        seq = point["seq"]
        if seq < 0:
            problems.append(LogProblem(None, "checkpoint_unreadable", f"{point['source']} is unreadable"))
        elif seq > last_seq:
            problems.append(LogProblem(point["entry_id"], "checkpoint_beyond_end",
                                       f"{point['source']} records sequence {seq}, but the chain ends at "
                                       f"{last_seq} (entries removed from the tail)"))
        elif seq in at_seq and at_seq[seq][1] != point["hash"]:
            problems.append(LogProblem(at_seq[seq][0], "checkpoint_mismatch",
                                       f"{point['source']} disagrees with the chain at sequence {seq}"))
    table_seqs = {point["seq"] for point in points if point["source"].startswith("checkpoint")}
    for point in points:
        if point["source"].startswith("file") and point["seq"] >= 0 and point["seq"] not in table_seqs:
            problems.append(LogProblem(point["entry_id"], "checkpoint_row_missing",
                                       f"{point['source']} records sequence {point['seq']}, which no "
                                       "checkpoint row of the database has (removed)"))
    if last_seq > checkpoint_max:
        first = checkpoint_max + 1
        problems.append(LogProblem(at_seq.get(first, (prev_id, ""))[0], "not_checkpointed",
                                   f"sealed entries {first}-{last_seq} are not covered by any checkpoint"))

    unsealed = ExchangeLogEntry.objects.filter(seq__isnull=True)
    head_time = ExchangeCheckpoint.objects.order_by("-seq").values_list("created_at", flat=True).first()
    for entry in unsealed.order_by("id").iterator(chunk_size=2000):
        report.checked += 1
        report.unsealed += 1
        _check_entry(entry, keys, problems)
        if head_time is not None and entry.pk < last_sealed_id and entry.created_at < head_time - grace:
            problems.append(LogProblem(entry.pk, "unsealed_stale",
                                       f"entry {entry.pk} is not in the chain although later entries were sealed"))
    return report


def log_attach_peer(*, entry: ExchangeLogEntry, peer_kid: str, peer_signature: str,
                    peer_content_hash: str) -> None:
    """Store the other installation's signed statement of the same exchange on this side's entry.

    Actor: the HTTP exchange (the peer client on the consumer side, the peer endpoint on the
    provider side). The statement is the peer's content hash and its Ed25519 signature by
    ``peer_kid`` (a key imported with ``sharing_keys import``); it is checked before it is stored
    and stored once. Refusals: ``sharing_peer_key_unknown`` / ``sharing_peer_signature_invalid``
    (502: the peer's answer cannot be trusted), ``sharing_log_peer_attached`` (409).
    """
    public = SigningKey.objects.filter(kid=peer_kid, peer__isnull=False).values_list("public_key", flat=True).first()
    if public is None:
        raise DomainError(_("对端签名密钥 %(kid)s 未导入，无法验证对端的交换记录。") % {"kid": peer_kid[:60]},
                          code="sharing_peer_key_unknown", status=502)
    if len(peer_content_hash) != 64 or not signing.verify(public, signed_bytes(peer_content_hash), peer_signature):
        raise DomainError(_("对端交换记录的签名无效。"), code="sharing_peer_signature_invalid", status=502)
    updated = ExchangeLogEntry.objects.filter(pk=entry.pk)._set_peer(
        peer_kid=peer_kid, peer_signature=peer_signature, peer_content_hash=peer_content_hash)
    if not updated:
        raise Conflict(_("该交换日志条目已记录对端签名。"), code="sharing_log_peer_attached")
    entry.peer_kid, entry.peer_signature, entry.peer_content_hash = peer_kid, peer_signature, peer_content_hash
