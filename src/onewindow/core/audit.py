"""The audit trail (审计日志): record, seal into a hash chain, verify.

Rule (ARCHITECTURE rule 3, data-model decision 9; 网络安全法 art. 21(3); 个人信息保护法 art. 51):
every write by a user or system actor is recorded by the service that makes it, explicitly (no
signals): who, role, action code, target, a masked before/after summary, time, IP, request id and
channel. Writers only insert; :func:`audit_seal_pending` (run by the ``audit_seal`` task every
few seconds) chains the new entries in id order under the lock of the single chain-head row, so
writers never wait for each other. Each seal writes a checkpoint of the chain head into the
database and into a file outside it; :func:`audit_verify` recomputes the chain and compares it
with both.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from .actors import Actor, SystemActor, is_device
from .locks import lock_or_create
from .models import AuditChainHead, AuditCheckpoint, AuditEntry
from .models.audit import SHA256, ActorKind
from .net import client_ip
from .prepared import MAX_ROWS, insert_rows
from .request_context import current_request

PERSONAL_DATA_VIEW = "personal_data.view"
CHECKPOINT_FILE = "checkpoints.jsonl"

Target = models.Model | tuple[str, str, str] | None


def _actor_columns(actor: Actor | None) -> dict[str, str]:
    if isinstance(actor, str):  # a bare name is not an actor (core.actors): say which system job
        raise TypeError(f"audit actor {actor!r} is a string; pass core.actors.system_actor({actor!r})")
    if isinstance(actor, SystemActor):
        return {"actor_kind": ActorKind.SYSTEM, "actor_id": "", "actor_label": actor.name[:150]}
    if actor is None or getattr(actor, "is_anonymous", False):
        return {"actor_kind": ActorKind.ANONYMOUS, "actor_id": "", "actor_label": ""}
    if is_device(actor):
        return {"actor_kind": ActorKind.DEVICE, "actor_id": str(actor.pk),
                "actor_label": str(getattr(actor, "device_label", ""))[:150]}
    label = actor.get_username() if hasattr(actor, "get_username") else str(actor)
    return {"actor_kind": ActorKind.USER, "actor_id": str(actor.pk), "actor_label": str(label)[:150]}


def _target_columns(target: Target) -> dict[str, str]:
    if target is None:
        return {"target_type": "", "target_id": "", "target_label": ""}
    if isinstance(target, tuple):
        kind, pk, label = target
        return {"target_type": kind[:100], "target_id": str(pk)[:64], "target_label": str(label)[:200]}
    return {
        "target_type": target._meta.label_lower,
        "target_id": str(target.pk)[:64],
        "target_label": str(target)[:200],
    }


def _request_columns() -> dict[str, Any]:
    request = current_request.get()
    if request is None:
        return {"ip": None, "request_id": ""}
    ip = client_ip(request) or None
    return {"ip": ip, "request_id": str(getattr(request, "request_id", ""))[:64]}


def audit_record(
    *,
    actor: Actor | None,
    action: str,
    target: Target = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    channel: str = "web",
    role: str = "",
) -> AuditEntry:
    """Append one audit entry (审计记录) for a write that a service has just made.

    ``actor`` is a user, a device, a system actor (``SYSTEM``, ``system_actor("job")``) or None;
    ``target`` a model instance or ``(type, id, label)``. ``before``/``after`` must already be
    masked: personal data never enters the trail in clear (个人信息保护法 art. 51). The IP and
    request id come from the request being served, if any. Call it inside the service's
    transaction so the entry exists exactly when the write does.
    """
    entry = AuditEntry(
        created_at=timezone.now(),
        role=role[:50],
        action=action[:100],
        before=before,
        after=after,
        channel=channel[:20],
        **_actor_columns(actor),
        **_target_columns(target),
        **_request_columns(),
    )
    insert_rows([entry])  # the INSERT built once per process (issue #17); AuditEntry.save only refuses updates
    return entry


def audit_record_many(
    *,
    actor: Actor | None,
    action: str,
    entries: Sequence[tuple[Target, dict[str, Any] | None, dict[str, Any] | None]],
    channel: str = "web",
    role: str = "",
) -> list[AuditEntry]:
    """Append one audit entry per ``(target, before, after)`` of the same action by the same actor,
    in one INSERT: for a service that changes many records at once (the calendar recomputation of
    running clocks, issue #10). Same rules as :func:`audit_record`."""
    now = timezone.now()
    common = {"created_at": now, "role": role[:50], "action": action[:100], "channel": channel[:20],
              **_actor_columns(actor), **_request_columns()}
    return AuditEntry.objects.bulk_create([
        AuditEntry(before=before, after=after, **common, **_target_columns(target))
        for target, before, after in entries])


@dataclass(frozen=True)
class AuditItem:
    """One entry of :func:`audit_record_batch`: its action, target and masked before/after."""

    action: str
    target: Target = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def audit_record_batch(*, actor: Actor | None, items: Sequence[AuditItem], channel: str = "web",
                       role: str = "") -> list[AuditEntry]:
    """One audit entry per item, for the several steps of one service call by one actor (a case
    created and submitted at once), in one INSERT (issue #17: a statement per step before).

    The entries are the ones :func:`audit_record` would write one by one, in the items' order: their
    ids rise in that order, so :func:`audit_seal_pending` chains them in that order. Same rules as
    :func:`audit_record` (``before``/``after`` already masked)."""
    common = {"created_at": timezone.now(), "role": role[:50], "channel": channel[:20],
              **_actor_columns(actor), **_request_columns()}
    entries = [AuditEntry(action=item.action[:100], before=item.before, after=item.after, **common,
                          **_target_columns(item.target))
               for item in items]
    if len(entries) > MAX_ROWS:
        return AuditEntry.objects.bulk_create(entries)
    insert_rows(entries)  # one INSERT built once per process and row count; ids in the items' order
    return entries


def changed_values(obj: models.Model, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``before``/``after`` summaries of setting ``changes`` on ``obj`` (only the fields whose
    value differs; model instances by primary key, other values as text). For reference data
    edited by administrators; never pass personal data (it must be masked first)."""

    def shown(value: Any) -> Any:
        if isinstance(value, models.Model):
            return value.pk
        return value if value is None or isinstance(value, bool | int) else str(value)

    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in changes.items():
        try:
            old = getattr(obj, name)
        except ObjectDoesNotExist:  # a required relation not set yet (a row being created)
            old = None
        if old != value:
            before[name], after[name] = shown(old), shown(value)
    return before, after


def audit_personal_data_view(*, actor: Actor | None, target: Target, fields: Sequence[str],
                             role: str = "") -> AuditEntry:
    """Record that ``actor`` saw the unmasked personal data ``fields`` of ``target`` (查看个人信息).

    Rule (ARCHITECTURE rule 6; 个人信息保护法 art. 51): personal data is shown unmasked only to
    authorised staff on a detail view, and every such view is audited.
    """
    return audit_record(actor=actor, action=PERSONAL_DATA_VIEW, target=target,
                        after={"fields": sorted(fields)}, role=role)


def chain_algorithm() -> str:
    """The hash that new seals use (``ONEWINDOW_AUDIT_HASH``: sha256 or sm3)."""
    return str(getattr(settings, "ONEWINDOW_AUDIT_HASH", "") or SHA256)


def checkpoint_path() -> Path:
    """The append-only checkpoint file kept outside the database (``ONEWINDOW_AUDIT_CHECKPOINT_DIR``)."""
    directory = getattr(settings, "ONEWINDOW_AUDIT_CHECKPOINT_DIR", None)
    if not directory:
        directory = Path(settings.VAR_DIR) / "audit-checkpoints"
    return Path(directory) / CHECKPOINT_FILE


def _append_checkpoint_file(checkpoint: AuditCheckpoint) -> None:
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": checkpoint.last_seq, "entry_id": checkpoint.last_entry_id,
                       "hash": checkpoint.hash, "at": checkpoint.created_at.isoformat()})
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def audit_seal_pending(*, batch_size: int = 1000) -> int:
    """Seal every unsealed entry into the hash chain, in id order; return how many were sealed.

    Each entry gets the next sequence number, ``prev_hash`` = the hash of the entry before it and
    ``hash = H(prev_hash + canonical JSON)`` with H = ``ONEWINDOW_AUDIT_HASH`` (sha256, or sm3 for
    密评), named in the entry's ``hash_alg`` so the chain verifies across a change of algorithm.
    Runs under the lock of the chain-head row (the only serialisation point of the trail); each
    batch ends with a checkpoint in the table and, once committed, in the checkpoint file.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            head = lock_or_create(AuditChainHead, pk=1)
            entries = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:batch_size])
            if not entries:
                return sealed
            prev_hash, seq = head.hash, head.last_seq
            algorithm = chain_algorithm()
            for entry in entries:
                seq += 1
                entry.seq = seq
                digest = entry.chain_hash(prev_hash, algorithm)
                AuditEntry.objects.filter(pk=entry.pk)._seal(seq=seq, prev_hash=prev_hash, hash=digest,
                                                             hash_alg=algorithm)
                prev_hash = digest
            head.last_seq, head.last_entry_id, head.hash = seq, entries[-1].pk, prev_hash
            head.save()
            checkpoint = AuditCheckpoint.objects.create(
                created_at=timezone.now(), last_seq=seq, last_entry_id=entries[-1].pk, hash=prev_hash)
        _append_checkpoint_file(checkpoint)
        sealed += len(entries)
        if len(entries) < batch_size:
            return sealed


@dataclass(frozen=True)
class AuditProblem:
    """One finding of :func:`audit_verify`: kind is edited, inserted, deleted or truncated."""

    kind: str
    entry_id: int | None
    seq: int | None
    detail: str


@dataclass
class AuditReport:
    checked: int = 0
    unsealed: int = 0
    problems: list[AuditProblem] = field(default_factory=list)

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
            points.append({"seq": int(point["seq"]), "hash": str(point["hash"]), "source": f"file:{number}"})
        except (ValueError, KeyError, TypeError):
            points.append({"seq": -1, "hash": "", "source": f"file:{number} (unreadable)"})
    return points


def _checkpoints() -> Iterable[dict[str, Any]]:
    for row in AuditCheckpoint.objects.order_by("last_seq").values("last_seq", "hash", "id"):
        yield {"seq": row["last_seq"], "hash": row["hash"], "source": f"table:{row['id']}"}
    yield from _file_checkpoints()


def audit_verify(*, grace: datetime.timedelta | None = None) -> AuditReport:
    """Recompute the audit chain and compare it with every checkpoint (审计链校验).

    Reports, in chain order: an **edited** entry (its hash does not match its content, or the
    next entry's ``prev_hash`` does not match its hash), a **deleted** entry (a gap in the
    sequence), an **inserted** entry (a sealed entry beyond the last checkpoint, or an unsealed
    entry older than a seal that should have taken it), and a **truncated** tail (a checkpoint
    beyond the last entry). Actor: an auditor or the operator, via ``onewindow audit_verify``.
    """
    grace = grace if grace is not None else datetime.timedelta(
        seconds=getattr(settings, "ONEWINDOW_AUDIT_SEAL_GRACE_SECONDS", 600))
    report = AuditReport()
    points = list(_checkpoints())
    wanted = {point["seq"] for point in points}
    checkpoint_max = max((point["seq"] for point in points), default=0)
    # Only the entries that checkpoints name (and the first one past them) are kept in memory.
    hashes: dict[int, tuple[int, str]] = {}
    last_sealed_id = 0
    expected, prev_hash, prev_id = 1, "", None
    for entry in AuditEntry.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000):
        seq = int(entry.seq or 0)
        report.checked += 1
        if seq != expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}–{seq - 1}"
            report.problems.append(AuditProblem(
                "deleted", prev_id, expected,
                f"sequence {missing} missing between entry {prev_id} and entry {entry.pk}"))
        elif entry.prev_hash != prev_hash and prev_id is not None:
            report.problems.append(AuditProblem(
                "edited", prev_id, seq - 1,
                f"entry {prev_id} no longer matches the hash that entry {entry.pk} chained to"))
        if entry.chain_hash(entry.prev_hash) != entry.hash:
            report.problems.append(AuditProblem(
                "edited", entry.pk, seq, f"entry {entry.pk} (seq {seq}) does not match its hash"))
        if seq in wanted or seq == checkpoint_max + 1:
            hashes[seq] = (entry.pk, entry.hash)
        last_sealed_id = max(last_sealed_id, entry.pk)
        expected, prev_hash, prev_id = seq + 1, entry.hash, entry.pk
    last_seq = expected - 1

    for point in points:
        seq, digest = point["seq"], point["hash"]
        if seq < 0:
            report.problems.append(AuditProblem("edited", None, None, f"checkpoint {point['source']} unreadable"))
        elif seq > last_seq:
            report.problems.append(AuditProblem(
                "truncated", None, seq,
                f"checkpoint {point['source']} records sequence {seq}, but the chain ends at {last_seq}"))
        elif seq in hashes and hashes[seq][1] != digest:
            report.problems.append(AuditProblem(
                "edited", hashes[seq][0], seq,
                f"checkpoint {point['source']} disagrees with the chain at sequence {seq}"))
    if last_seq > checkpoint_max:
        first = checkpoint_max + 1
        report.problems.append(AuditProblem(
            "inserted", hashes.get(first, (None, ""))[0], first,
            f"sealed entries {first}–{last_seq} are not covered by any checkpoint"))

    head_time = AuditCheckpoint.objects.order_by("-last_seq").values_list("created_at", flat=True).first()
    unsealed = AuditEntry.objects.filter(seq__isnull=True)
    report.unsealed = unsealed.count()
    if head_time is not None:
        stale = unsealed.filter(id__lt=last_sealed_id, created_at__lt=head_time - grace).order_by("id").first()
        if stale is not None:
            report.problems.append(AuditProblem(
                "inserted", stale.pk, None,
                f"entry {stale.pk} is not in the chain although later entries were sealed"))
    report.problems.sort(key=lambda p: (p.seq if p.seq is not None else 1 << 62, p.kind))
    return report
