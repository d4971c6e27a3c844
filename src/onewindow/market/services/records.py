"""信息归集 writes: records pooled under the credit code, their corrections, matching and objections.

Rules (issue #11 part 3; DOMAIN.md §5, GB 32100-2015; 企业信息公示暂行条例 arts. 6, 13):

- A department's records arrive by API, by spreadsheet (:mod:`.record_import`) or from the
  platform's own approved cases (:func:`licence_record_from_case`). Each is keyed by (source
  department, source record id): the same content again changes nothing; other content is a
  correction (更正) with a new revision, never a second row; a revocation (撤销) keeps the row.
- Only the source department (its 数据报送员 or 部门管理员) delivers, corrects or revokes its records
  (谁产生、谁负责); anyone else gets 403 and nothing is written.
- A record whose credit code is not in the registry waits with no entity in the matching queue
  (待匹配) and is never dropped; :func:`records_match_pending` attaches it once the entity exists.
- The entity may object (异议); the source department answers within ``MARKET_OBJECTION_DAYS``
  working days (core.calendar); a late answer is accepted and marked late.

Bad rows of a batch are reported one by one (line, field, message) while the good rows are written.
Every write locks, checks, writes and audits in one transaction (ARCHITECTURE rule 3).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Organization, User
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record, audit_record_many
from onewindow.core.codes import as_id
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department

from ..choices import RecordChannel, RecordStatus, RevisionAction
from ..models import PooledRecord, RecordRevision
from ..records_selectors import is_entity_user, sees_all_departments, writer_department_ids
from .record_import import CORRECTABLE, RecordContent, RowRefs, read_spreadsheet, record_parse, record_raw

#: Model fields of the JSON content keys that differ from them, and the columns every correction sets.
JSON_TO_MODEL = {"item_code": "item", "inspector_department": "inspector_department"}
FOREIGN_KEYS = frozenset({"item", "inspector_department", "entity", "received_by"})
UPDATED_ALWAYS = frozenset(
    {"content_hash", "revision", "updated_at", "channel", "batch_id", "received_at", "received_by"}
)


def batch_limit(channel: str) -> int:
    """The most rows one batch may carry: ``MARKET_RECORDS_API_BATCH`` (500) for the API,
    ``MARKET_RECORDS_UPLOAD_ROWS`` (20,000) for a spreadsheet."""
    if channel == RecordChannel.UPLOAD:
        return int(getattr(settings, "MARKET_RECORDS_UPLOAD_ROWS", 20_000))
    return int(getattr(settings, "MARKET_RECORDS_API_BATCH", 500))


# --------------------------------------------------------------------------- results
@dataclass
class RowResult:
    """What happened to one delivered row: created, corrected, unchanged or rejected (with errors)."""

    line: int
    source_id: str
    outcome: str
    record_id: int | None = None
    matched: bool = False
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class IngestResult:
    """The per-row results of one batch, in the order delivered."""

    batch_id: str
    department_id: int
    department_code: str
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def rejected(self) -> list[RowResult]:
        return [row for row in self.rows if row.outcome == "rejected"]


# --------------------------------------------------------------------------- who may write
def source_department(by: Actor, department: int | str | None) -> Department:
    """The department ``by`` delivers for: the one named (id or code), which must be one of theirs,
    or their only one. 403 ``records_not_data_clerk`` / ``records_not_source_department``."""
    wanted: Department | None = None
    if department not in (None, ""):
        lookup = (
            {"code": department}
            if isinstance(department, str) and not department.isdigit()
            else {"pk": as_id(department)}
        )
        wanted = Department.objects.filter(**lookup).first()
        if wanted is None:
            message = _("找不到该部门。")
            raise DomainError(message, code="records_unknown_department", status=422, fields={"department": [message]})
    if is_system(by):
        if wanted is None:
            raise DomainError(_("请指定来源部门。"), code="records_department_required", status=422)
        return wanted
    mine = writer_department_ids(by)
    if not mine:
        raise PermissionDenied(_("只有部门数据报送员可以报送或更正归集信息。"), code="records_not_data_clerk")
    if wanted is None:
        if len(mine) > 1:
            message = _("您在多个部门报送信息，请选择来源部门。")
            raise DomainError(message, code="records_department_required", status=422, fields={"department": [message]})
        return Department.objects.get(pk=next(iter(mine)))
    if wanted.pk not in mine:
        raise PermissionDenied(_("只有来源部门可以报送或更正其归集信息。"), code="records_not_source_department")
    return wanted


def actor_user(by: Actor) -> User | None:
    return account_perms.as_user(by)


def actor_role(by: Actor) -> str:
    user = actor_user(by)
    return account_perms.primary_role(user) if user is not None else ""


# --------------------------------------------------------------------------- ingest
def _apply(record: PooledRecord, content: RecordContent) -> None:
    for name, value in content.model_values().items():
        setattr(record, name, value)
    record.content_hash = content.digest()


def _revision(
    record: PooledRecord,
    content: RecordContent,
    action: str,
    *,
    by: Actor,
    channel: str,
    batch_id: str = "",
    changes: dict[str, Any] | None = None,
    reason: str = "",
    at: datetime.datetime,
) -> RecordRevision:
    return RecordRevision(
        record=record,
        revision=record.revision,
        action=action,
        content=content.as_json(),
        changes=changes or {},
        reason=reason[:200],
        channel=channel,
        batch_id=batch_id,
        at=at,
        by=actor_user(by),
    )


def _label(record: PooledRecord) -> str:
    return f"{record.get_kind_display()} {record.number or record.source_id}"


def records_ingest(
    *,
    by: Actor,
    rows: Sequence[Mapping[str, Any]],
    channel: str,
    department: int | str | None = None,
    kind: str | None = None,
    batch_id: str = "",
    lines: Sequence[int] | None = None,
) -> IngestResult:
    """Pool a batch of one department's records (department API, spreadsheet, own cases).

    Actor: the source department's data clerk or department admin (or the system for case
    licences). Each row is checked on its own; a bad row is reported with its line and fields and
    writes nothing, the good rows are written in one transaction. Idempotent per (department,
    source id): the same content is ``unchanged`` (no revision), other content ``corrected`` (one
    revision, never a second row). A credit code the registry does not know leaves the record in
    the matching queue. The batch is serialised per department (a lock on its row), so two
    deliveries of one source id never race into two rows.
    """
    if channel not in RecordChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not rows:
        raise DomainError(_("没有可归集的记录。"), code="records_batch_empty", status=422)
    limit = batch_limit(channel)
    if len(rows) > limit:
        raise DomainError(
            _("一次最多报送 %(n)s 条记录，请分批报送。") % {"n": limit}, code="records_batch_too_large", status=422
        )
    return _ingest(
        by=by,
        dept=source_department(by, department),
        rows=rows,
        channel=channel,
        kind=kind,
        batch_id=batch_id,
        lines=lines,
    )


def _ingest(
    *,
    by: Actor,
    dept: Department,
    rows: Sequence[Mapping[str, Any]],
    channel: str,
    kind: str | None,
    batch_id: str,
    lines: Sequence[int] | None,
) -> IngestResult:
    batch_id = batch_id or uuid.uuid4().hex
    refs = RowRefs.load(dept, rows)
    results: list[RowResult] = []
    valid: list[tuple[RowResult, RecordContent]] = []
    seen: set[str] = set()
    for index, raw in enumerate(rows):
        line = lines[index] if lines is not None else index + 1
        source_id, content, errors = record_parse(raw, kind=kind, refs=refs)
        if source_id and source_id in seen and "source_id" not in errors:
            errors["source_id"] = [str(_("同一批次中来源记录编号重复。"))]
        seen.add(source_id)
        result = RowResult(line=line, source_id=source_id, outcome="rejected", errors=errors)
        results.append(result)
        if content is not None and not errors:
            valid.append((result, content))
    if valid:
        _write(by=by, dept=dept, channel=channel, batch_id=batch_id, valid=valid)
    return IngestResult(batch_id=batch_id, department_id=dept.pk, department_code=dept.code, rows=results)


def _write(
    *, by: Actor, dept: Department, channel: str, batch_id: str, valid: list[tuple[RowResult, RecordContent]]
) -> None:
    now = timezone.now()
    user = actor_user(by)
    with transaction.atomic():
        Department.objects.select_for_update().filter(pk=dept.pk).first()
        source_ids = [result.source_id for result, _content in valid]
        existing: dict[str, PooledRecord] = {}
        for start in range(0, len(source_ids), 500):
            chunk = source_ids[start : start + 500]
            for record in (
                PooledRecord.objects.select_for_update(of=("self",))
                .select_related("item", "inspector_department")
                .filter(department=dept, source_id__in=chunk)
            ):
                existing[record.source_id] = record
        orgs = _organizations({content.credit_code for _result, content in valid})
        created: list[tuple[RowResult, PooledRecord, RecordContent]] = []
        changed: list[PooledRecord] = []
        touched: set[str] = set()
        revisions: list[RecordRevision] = []
        for result, content in valid:
            found = existing.get(result.source_id)
            if found is None:
                record = PooledRecord(
                    kind=content.kind,
                    department=dept,
                    source_id=result.source_id,
                    channel=channel,
                    batch_id=batch_id,
                    received_at=now,
                    received_by=user,
                    updated_at=now,
                    revision=1,
                )
                _apply(record, content)
                record.entity_id = orgs.get(content.credit_code)
                record.matched_at = now if record.entity_id else None
                created.append((result, record, content))
                result.outcome = "created"
                continue
            record = found
            result.record_id = record.pk
            if record.content_hash == content.digest():
                result.outcome, result.matched = "unchanged", record.entity_id is not None
                continue
            if record.kind != content.kind:
                result.errors = {"kind": [str(_("来源记录编号已用于另一类信息，不能更改信息类别。"))]}
                continue
            diff = _diff(record_raw(record), content)
            touched.update(JSON_TO_MODEL.get(name, name) for name in diff)
            if "credit_code" in diff:
                touched.update({"entity", "matched_at"})
            action = (
                RevisionAction.REVOKED
                if (content.status == RecordStatus.REVOKED and record.status != RecordStatus.REVOKED)
                else RevisionAction.CORRECTED
            )
            _correct_in_place(record, content, orgs, now=now, channel=channel, batch_id=batch_id, user=user)
            revisions.append(
                _revision(record, content, action, by=by, channel=channel, batch_id=batch_id, changes=diff, at=now)
            )
            changed.append(record)
            result.outcome, result.matched = "corrected", record.entity_id is not None
        PooledRecord.objects.bulk_create([record for _result, record, _content in created], batch_size=500)
        for result, record, content in created:
            result.record_id, result.matched = record.pk, record.entity_id is not None
            revisions.append(
                _revision(record, content, RevisionAction.CREATED, by=by, channel=channel, batch_id=batch_id, at=now)
            )
        if changed:
            # One UPDATE per corrected row, of the columns some correction of the batch changed:
            # Django's bulk_update builds a CASE per column and row, which costs far more here.
            columns = [f"{name}_id" if name in FOREIGN_KEYS else name for name in sorted(touched | UPDATED_ALWAYS)]
            for record in changed:
                PooledRecord.objects.filter(pk=record.pk).update(**{c: getattr(record, c) for c in columns})
        RecordRevision.objects.bulk_create(revisions, batch_size=1000)
        written = [(record, "created") for _result, record, _content in created] + [(r, "corrected") for r in changed]
        if written:
            audit_record_many(
                actor=by,
                action="market.record_ingest",
                channel=channel,
                role=actor_role(by),
                entries=[
                    (
                        ("market.pooledrecord", str(record.pk), _label(record)),
                        None,
                        {
                            "outcome": outcome,
                            "source_id": record.source_id,
                            "revision": record.revision,
                            "batch_id": batch_id,
                            "matched": record.entity_id is not None,
                        },
                    )
                    for record, outcome in written
                ],
            )
        for result, _content in valid:
            if result.errors:
                result.outcome = "rejected"


def _diff(before: Mapping[str, Any], content: RecordContent) -> dict[str, dict[str, Any]]:
    """The fields a correction changes, ``{name: {"before", "after"}}`` in their JSON form."""
    after = content.as_json()
    return {
        name: {"before": before.get(name), "after": value} for name, value in after.items() if before.get(name) != value
    }


def _correct_in_place(
    record: PooledRecord,
    content: RecordContent,
    orgs: Mapping[str, int],
    *,
    now: datetime.datetime,
    channel: str,
    batch_id: str,
    user: User | None,
) -> None:
    """Apply a correction to a locked row: new content, next revision, entity re-matched when the
    credit code changed, provenance of the delivery that corrected it."""
    code_changed = content.credit_code != record.credit_code
    _apply(record, content)
    record.revision += 1
    record.updated_at = now
    record.channel, record.batch_id, record.received_at, record.received_by = channel, batch_id, now, user
    if code_changed:
        record.entity_id = orgs.get(content.credit_code)
        record.matched_at = now if record.entity_id else None


def _organizations(codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), 500):
        found.update(
            Organization.objects.filter(credit_code__in=ordered[start : start + 500]).values_list("credit_code", "pk")
        )
    return found


def licence_record_from_case(
    *,
    by: Actor,
    case_number: str,
    credit_code: str,
    department_id: int,
    title: str,
    decision_number: str,
    issue_date: datetime.date,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    item_id: int | None = None,
) -> RowResult:
    """A licence record (行政许可) for an approved case of the platform itself, with the case number as
    its source record id (channel ``case``). Called by the cases service that approves or delivers
    (cases sits above market, so it passes plain values). Idempotent: calling it again with the same
    values changes nothing; other values correct the record. ``by``: the system or the approving
    staff member of the handling department. Invalid values raise 422 ``records_invalid``."""
    user = actor_user(by)
    if not is_system(by) and not (
        user is not None
        and (department_id in account_perms.departments_of(user) or account_perms.is_system_admin(user))
    ):
        raise PermissionDenied(_("只有办理部门可以归集本部门的许可信息。"), code="records_not_source_department")
    item_code = ServiceItem.objects.filter(pk=item_id).values_list("code", flat=True).first() if item_id else ""
    row = {
        "kind": "licence",
        "source_id": case_number,
        "credit_code": credit_code,
        "title": title,
        "number": decision_number,
        "record_date": issue_date,
        "valid_from": valid_from or issue_date,
        "valid_to": valid_to,
        "item_code": item_code or "",
    }
    dept = Department.objects.filter(pk=department_id).first()
    if dept is None:
        raise DomainError(_("找不到该部门。"), code="records_unknown_department", status=422)
    result = _ingest(by=by, dept=dept, rows=[row], channel=RecordChannel.CASE, kind=None, batch_id="", lines=None).rows[
        0
    ]
    if result.outcome == "rejected":
        raise DomainError(
            _("许可信息有误，未能归集。"),
            code="records_invalid",
            status=422,
            fields={k: list(v) for k, v in result.errors.items()},
        )
    return result


def records_upload(
    *, by: Actor, kind: str, filename: str, content: bytes | IO[bytes], department: int | str | None = None
) -> IngestResult:
    """表格上传: a department's spreadsheet (xlsx or CSV in UTF-8 or GB 18030) of one record kind, in
    the columns of its template. A file that cannot be read (encoding, wrong columns, too many
    rows) is refused whole with nothing written; otherwise each bad row is reported with its line
    and field while the good rows are pooled (:func:`records_ingest`)."""
    dept = source_department(by, department)
    rows, lines = read_spreadsheet(
        kind=kind, filename=filename, content=content, max_rows=batch_limit(RecordChannel.UPLOAD)
    )
    return _ingest(by=by, dept=dept, rows=rows, channel=RecordChannel.UPLOAD, kind=kind, batch_id="", lines=lines)


# --------------------------------------------------------------------------- corrections
def lock_record(record_id: Any, by: Actor) -> PooledRecord:
    """The record row, locked; 404 ``records_not_found`` when it does not exist or ``by`` may not see it."""
    record = (
        PooledRecord.objects.select_for_update(of=("self",))
        .select_related("department", "item", "inspector_department")
        .filter(pk=as_id(record_id))
        .first()
    )
    if record is None or not (is_system(by) or account_perms.is_staff_member(by) or is_entity_user(by, record)):
        raise NotFound(_("找不到该归集信息。"), code="records_not_found")
    return record


def require_source(by: Actor, record: PooledRecord) -> None:
    if is_system(by):
        return
    if record.department_id not in writer_department_ids(by):
        raise PermissionDenied(_("只有来源部门可以更正或撤销其归集信息。"), code="records_not_source_department")


def record_correct(
    *,
    by: Actor,
    record_id: Any,
    changes: Mapping[str, Any],
    reason: str,
    action: str = RevisionAction.CORRECTED,
    channel: str = RecordChannel.API,
) -> PooledRecord:
    """更正: the source department changes fields of one of its records, with a reason. A new revision
    keeps the history; the same content again writes nothing. Others: 403, nothing written."""
    with transaction.atomic():
        record = lock_record(record_id, by)
        require_source(by, record)
        reason = (reason or "").strip()
        if not reason:
            message = _("请填写更正原因。")
            raise DomainError(message, code="records_reason_required", status=422, fields={"reason": [message]})
        unknown = sorted(set(changes) - CORRECTABLE)
        if unknown:
            refusal = _("不能更正这些字段：%(names)s") % {"names": "、".join(unknown)}
            raise DomainError(refusal, code="records_unknown_field", status=422, fields={unknown[0]: [refusal]})
        before = record_raw(record)
        raw = {**before, **changes, "source_id": record.source_id}
        _source_id, content, errors = record_parse(raw, kind=record.kind, refs=RowRefs.load(record.department, [raw]))
        if errors or content is None:
            raise DomainError(
                _("更正内容有误，请检查标出的字段。"),
                code="records_invalid",
                status=422,
                fields={k: list(v) for k, v in errors.items()},
            )
        if content.digest() == record.content_hash:
            return record
        now = timezone.now()
        diff = _diff(before, content)
        _correct_in_place(
            record,
            content,
            _organizations({content.credit_code}),
            now=now,
            channel=channel,
            batch_id=record.batch_id,
            user=actor_user(by),
        )
        record.save()
        RecordRevision.objects.create(
            record=record,
            revision=record.revision,
            action=action,
            content=content.as_json(),
            changes=diff,
            reason=reason[:200],
            channel=channel,
            batch_id=record.batch_id,
            at=now,
            by=actor_user(by),
        )
        audit_record(
            actor=by,
            action=f"market.record_{action}",
            target=record,
            role=actor_role(by),
            channel=channel,
            before={k: v["before"] for k, v in diff.items()},
            after={k: v["after"] for k, v in diff.items()} | {"reason": reason[:200]},
        )
        return record


def record_revoke(*, by: Actor, record_id: Any, reason: str, channel: str = RecordChannel.API) -> PooledRecord:
    """撤销: the source department revokes a record; the row stays, with status revoked and a revision.
    409 ``records_already_revoked`` for a revoked record."""
    with transaction.atomic():
        record = lock_record(record_id, by)
        require_source(by, record)
        if record.status == RecordStatus.REVOKED:
            raise Conflict(_("该信息已撤销。"), code="records_already_revoked")
        return record_correct(
            by=by,
            record_id=record.pk,
            changes={"status": RecordStatus.REVOKED},
            reason=reason,
            action=RevisionAction.REVOKED,
            channel=channel,
        )


# --------------------------------------------------------------------------- matching queue
def records_match_pending(by: Actor, credit_code: str | None = None) -> int:
    """Attach every record of the matching queue (待匹配) whose credit code is now registered to its
    entity; return how many were matched. Run by the periodic task ``market.records_match``, by a
    regulator or admin for the whole queue, or by a department's data clerk for its own records."""
    scope: set[int] | None = None
    if not is_system(by) and not sees_all_departments(by):
        scope = writer_department_ids(by)
        if not scope:
            raise PermissionDenied(_("您无权处理待匹配信息。"), code="records_match_forbidden")
    with transaction.atomic():
        pending = PooledRecord.objects.select_for_update().filter(
            entity__isnull=True, credit_code__in=Organization.objects.values("credit_code")
        )
        if credit_code:
            pending = pending.filter(credit_code=credit_code.strip().upper())
        if scope is not None:
            pending = pending.filter(department_id__in=scope)
        rows = list(pending.values_list("pk", "credit_code", "kind", "source_id"))
        if not rows:
            return 0
        ids = [pk for pk, _code, _kind, _source in rows]
        now = timezone.now()
        org_id = Subquery(Organization.objects.filter(credit_code=OuterRef("credit_code")).values("pk")[:1])
        for start in range(0, len(ids), 500):
            PooledRecord.objects.filter(pk__in=ids[start : start + 500]).update(entity_id=org_id, matched_at=now)
        audit_record_many(
            actor=by,
            action="market.record_match",
            role=actor_role(by),
            channel="system" if is_system(by) else "web",
            entries=[
                (("market.pooledrecord", str(pk), f"{kind} {source}"), None, {"credit_code": code})
                for pk, code, kind, source in rows
            ],
        )
        return len(rows)
