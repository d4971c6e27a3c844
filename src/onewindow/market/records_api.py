"""信息归集 in the JSON API (/api/v1/market/records/): parse, call one service or selector, render.

- ``POST /batch``: a department delivers up to ``MARKET_RECORDS_API_BATCH`` records; the answer
  lists each record's outcome (created, corrected, unchanged, rejected with its fields). Idempotent
  per (department, source record id). ``department`` (a department code) is needed only by a
  clerk who delivers for more than one department.
- ``GET /entities/{credit_code}``: the records pooled under an entity, newest first, with facet
  counts; ``GET /{id}``: one record with its revisions.
- ``PATCH /{id}`` corrects and ``POST /{id}/revoke`` revokes a record (source department only).
- ``GET /queue``: the matching queue with each record's age; ``POST /queue/match`` matches now.
- ``GET /objections``, ``POST /{id}/objections`` (the entity), ``POST /objections/{id}/answer``
  (the source department).

Authentication: a session, or a bearer token of a department's data clerk with the scope
``market.records`` (others: 403 ``insufficient_scope``; a token without an owner: 403
``token_without_user``). Refusals: 401 anonymous, 403 ``records_not_data_clerk`` /
``records_not_source_department`` / ``records_queue_forbidden``, 404 ``records_not_found``, 409,
422 with the fields.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginate
from onewindow.core.schemas import ErrorOut

from . import records_selectors as selectors
from .choices import RecordChannel
from .models import Objection, PooledRecord
from .services import record_objections, records

router = Router(tags=["market records"], auth=session_or_token)

MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


# --------------------------------------------------------------------------- schemas
class RecordIn(Schema):
    """One delivered record. Values are checked per record (a bad one is reported in the answer,
    the others are pooled); labels in Chinese are accepted for the choice fields."""

    kind: str = Field(
        max_length=20, description="licence 行政许可 / filing 备案 / penalty 行政处罚 / inspection 检查结果"
    )
    source_id: NfkcStr = Field(max_length=64, description="来源记录编号（本部门内唯一）")
    credit_code: NfkcStr = Field(max_length=40, description="统一社会信用代码（或个体工商户注册号）")
    entity_name: str = Field("", max_length=200)
    status: str = Field("", max_length=20, description="active / suspended / cancelled / revoked")
    title: str = Field("", max_length=200)
    number: str = Field("", max_length=100, description="许可决定文书号、处罚决定书文号或备案编号")
    record_date: str = Field("", max_length=30, description="YYYY-MM-DD")
    item_code: NfkcStr = Field("", max_length=36, description="事项实施编码（许可）")
    valid_from: str | None = Field(None, max_length=30)
    valid_to: str | None = Field(None, max_length=30)
    legal_basis: str = Field("", max_length=2000)
    penalty_kinds: list[str] = Field(default_factory=list, max_length=5)
    amount: Decimal | str | None = Field(None, description="罚没金额（元）")
    disclosure: str = Field("", max_length=20)
    inspection_result: str = Field("", max_length=20)
    inspector_department: str = Field("", max_length=32, description="检查实施机关的部门代码")


class BatchIn(Schema):
    department: str = Field("", max_length=32, description="来源部门代码（在多个部门报送时必填）")
    records: list[RecordIn] = Field(min_length=1, max_length=5000)


class RowOut(Schema):
    line: int
    source_id: str
    outcome: str
    record_id: int | None
    matched: bool
    errors: dict[str, list[str]]


class BatchOut(Schema):
    batch_id: str
    department: str
    created: int
    corrected: int
    unchanged: int
    rejected: int
    results: list[RowOut]


class RecordOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    credit_code: str
    entity_id: int | None
    entity_name: str
    title: str
    number: str
    record_date: datetime.date
    item_code: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    legal_basis: str
    penalty_kinds: list[str]
    amount: Decimal | None
    disclosure: str
    inspection_result: str
    inspector_department: str
    department: str
    department_name: str
    source_id: str
    channel: str
    batch_id: str
    received_at: datetime.datetime
    revision: int


class RevisionOut(Schema):
    revision: int
    action: str
    content: dict[str, Any]
    changes: dict[str, Any]
    reason: str
    channel: str
    at: datetime.datetime


class RecordDetailOut(RecordOut):
    revisions: list[RevisionOut]


class FacetOut(Schema):
    value: str
    label: str
    count: int


class TimelineOut(Schema):
    entity_id: int
    credit_code: str
    name: str
    kinds: list[FacetOut]
    departments: list[FacetOut]
    items: list[RecordOut]
    total: int
    page: int
    pages: int


class QueueRowOut(RecordOut):
    age_days: int


class QueuePageOut(Schema):
    items: list[QueueRowOut]
    total: int
    page: int
    pages: int


class MatchOut(Schema):
    matched: int


class CorrectIn(Schema):
    changes: dict[str, Any] = Field(description="更正的字段及新值（与报送字段同名）")
    reason: str = Field(max_length=200)


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class AnswerIn(Schema):
    outcome: str = Field(max_length=20, description="upheld 维持 / corrected 更正")
    answer: str = Field(max_length=2000)
    changes: dict[str, Any] | None = None


class ObjectionOut(Schema):
    id: int
    record_id: int
    entity_id: int
    department: str
    reason: str
    status: str
    raised_at: datetime.datetime
    due_date: datetime.date
    answer: str
    answered_at: datetime.datetime | None
    answered_late: bool
    overdue: bool


class ObjectionPageOut(Schema):
    items: list[ObjectionOut]
    total: int
    page: int
    pages: int


def _record_out(record: PooledRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "kind": record.kind,
        "kind_label": str(record.get_kind_display()),
        "status": record.status,
        "status_label": str(record.get_status_display()),
        "credit_code": record.credit_code,
        "entity_id": record.entity_id,
        "entity_name": record.entity_name,
        "title": record.title,
        "number": record.number,
        "record_date": record.record_date,
        "item_code": record.item.code if record.item else "",
        "valid_from": record.valid_from,
        "valid_to": record.valid_to,
        "legal_basis": record.legal_basis,
        "penalty_kinds": list(record.penalty_kinds or []),
        "amount": record.amount,
        "disclosure": record.disclosure,
        "inspection_result": record.inspection_result,
        "inspector_department": record.inspector_department.code if record.inspector_department else "",
        "department": record.department.code,
        "department_name": record.department.name,
        "source_id": record.source_id,
        "channel": record.channel,
        "batch_id": record.batch_id,
        "received_at": record.received_at,
        "revision": record.revision,
    }


def _objection_out(objection: Objection, today: datetime.date) -> ObjectionOut:
    overdue = getattr(objection, "is_overdue", objection.status == "open" and objection.due_date < today)
    return ObjectionOut(
        id=objection.pk,
        record_id=objection.record_id,
        entity_id=objection.entity_id,
        department=objection.department.code,
        reason=objection.reason,
        status=objection.status,
        raised_at=objection.raised_at,
        due_date=objection.due_date,
        answer=objection.answer,
        answered_at=objection.answered_at,
        answered_late=objection.answered_late,
        overdue=bool(overdue),
    )


def _user(request: HttpRequest) -> User:
    return require_user(request, selectors.RECORDS_SCOPE)


# --------------------------------------------------------------------------- operations
@router.post("/batch", response={200: BatchOut, **WRITE_ERRORS}, summary="部门报送归集信息（批量，逐条结果）")
def records_batch(request: HttpRequest, payload: BatchIn) -> BatchOut:
    user = _user(request)
    result = records.records_ingest(
        by=user,
        rows=[row.model_dump() for row in payload.records],
        channel=RecordChannel.API,
        department=payload.department or None,
    )
    return BatchOut(
        batch_id=result.batch_id,
        department=result.department_code,
        created=result.count("created"),
        corrected=result.count("corrected"),
        unchanged=result.count("unchanged"),
        rejected=result.count("rejected"),
        results=[RowOut(**row.__dict__) for row in result.rows],
    )


@router.get("/entities/{credit_code}", response={200: TimelineOut, **ERRORS}, summary="市场主体的归集信息（时间轴）")
def records_of_entity(
    request: HttpRequest,
    credit_code: str = Path(..., max_length=18),
    kind: str = Query("", max_length=20),
    department_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
    page_size: NfkcInt = Query(50, ge=1, le=100),  # noqa: B008
) -> TimelineOut:
    user = _user(request)
    entity = selectors.entity_for(user, credit_code=credit_code)
    facets = selectors.record_facets_for(user, entity)
    rows = paginate(
        selectors.record_timeline_for(user, entity, kind=kind, department_id=department_id), page, page_size
    )
    return TimelineOut(
        entity_id=entity.pk,
        credit_code=entity.credit_code,
        name=entity.name,
        kinds=[FacetOut(**f.__dict__) for f in facets.kinds],
        departments=[FacetOut(**f.__dict__) for f in facets.departments],
        items=[RecordOut(**_record_out(r)) for r in rows.items],
        total=rows.total,
        page=rows.page,
        pages=rows.pages,
    )


@router.get("/queue", response={200: QueuePageOut, **ERRORS}, summary="待匹配信息（含等待天数）")
def records_queue(
    request: HttpRequest,
    credit_code: NfkcStr = Query("", max_length=18),  # noqa: B008
    department_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
    page_size: NfkcInt = Query(50, ge=1, le=100),  # noqa: B008
) -> QueuePageOut:
    user = _user(request)
    rows = paginate(
        selectors.record_queue_for(user, department_id=department_id, credit_code=credit_code).select_related(
            "item", "inspector_department"
        ),
        page,
        page_size,
    )
    items = [QueueRowOut(**_record_out(r), age_days=selectors.age_days(r.received_at)) for r in rows.items]
    return QueuePageOut(items=items, total=rows.total, page=rows.page, pages=rows.pages)


@router.post("/queue/match", response={200: MatchOut, **WRITE_ERRORS}, summary="立即匹配待匹配信息")
def records_queue_match(request: HttpRequest) -> MatchOut:
    return MatchOut(matched=records.records_match_pending(_user(request)))


@router.get("/objections", response={200: ObjectionPageOut, **ERRORS}, summary="异议（含逾期标记）")
def objections(
    request: HttpRequest,
    status: str = Query("", max_length=20),
    overdue: bool | None = None,
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
) -> ObjectionPageOut:
    rows = paginate(selectors.objection_list_for(_user(request), status=status, overdue=overdue), page, 50)
    today = timezone.localdate()
    return ObjectionPageOut(
        items=[_objection_out(o, today) for o in rows.items], total=rows.total, page=rows.page, pages=rows.pages
    )


@router.post(
    "/objections/{objection_id}/answer", response={200: ObjectionOut, **WRITE_ERRORS}, summary="来源部门答复异议"
)
def objection_answer(
    request: HttpRequest, payload: AnswerIn, objection_id: int = Path(..., ge=1, le=MAX_ID)
) -> ObjectionOut:
    objection = record_objections.objection_answer(
        by=_user(request),
        objection_id=objection_id,
        outcome=payload.outcome,
        answer=payload.answer,
        changes=payload.changes,
    )
    return _objection_out(objection, timezone.localdate())


@router.get("/{record_id}", response={200: RecordDetailOut, **ERRORS}, summary="归集信息详情（含历史版本）")
def record_detail(request: HttpRequest, record_id: int = Path(..., ge=1, le=MAX_ID)) -> RecordDetailOut:
    record = selectors.record_get_for(_user(request), record_id)
    revisions = [
        RevisionOut(
            revision=r.revision,
            action=r.action,
            content=r.content,
            changes=r.changes,
            reason=r.reason,
            channel=r.channel,
            at=r.at,
        )
        for r in record.revisions.all()
    ]
    return RecordDetailOut(**_record_out(record), revisions=revisions)


@router.patch("/{record_id}", response={200: RecordOut, **WRITE_ERRORS}, summary="更正归集信息（仅来源部门）")
def record_correct(request: HttpRequest, payload: CorrectIn, record_id: int = Path(..., ge=1, le=MAX_ID)) -> RecordOut:
    record = records.record_correct(
        by=_user(request), record_id=record_id, changes=payload.changes, reason=payload.reason
    )
    return RecordOut(**_record_out(record))


@router.post("/{record_id}/revoke", response={200: RecordOut, **WRITE_ERRORS}, summary="撤销归集信息（仅来源部门）")
def record_revoke(request: HttpRequest, payload: ReasonIn, record_id: int = Path(..., ge=1, le=MAX_ID)) -> RecordOut:
    record = records.record_revoke(by=_user(request), record_id=record_id, reason=payload.reason)
    return RecordOut(**_record_out(record))


@router.post(
    "/{record_id}/objections", response={201: ObjectionOut, **WRITE_ERRORS}, summary="市场主体对归集信息提出异议"
)
def objection_raise(
    request: HttpRequest, payload: ReasonIn, record_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status[ObjectionOut]:
    objection = record_objections.objection_raise(by=_user(request), record_id=record_id, reason=payload.reason)
    return Status(201, _objection_out(objection, timezone.localdate()))
