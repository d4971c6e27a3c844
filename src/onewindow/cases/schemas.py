"""Schemas of the cases API and the functions that render a case for it.

Personal data is masked in every response (GB/T 35273-2020 §3.14, PIPL art. 51): applicant,
agent, handler and actor names, the contact phone, the delivery address and the personal fields
of the application form. The unmasked record is a staff page, audited (ARCHITECTURE rule 6).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import get_language
from ninja import Schema
from pydantic import Field

from onewindow.accounts.models import User
from onewindow.core.masking import mask_name, mask_phone
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape

from .application_form import split_form
from .choices import CaseAction, CaseStatus, DeliveryMethod, DocumentKind, RefusalReason, SuspensionBasis
from .models import Case, CaseClock, CaseEvent, CaseMaterial, Document

MAX_TEXT = 1000


# --------------------------------------------------------------------------- input
class CaseApplyIn(Schema):
    """申请: a draft, or (``submit``) a submitted case at once."""

    item_code: NfkcStr = Field(..., min_length=1, max_length=36, description="实施清单事项编码")
    channel: str = Field("online", max_length=20, description="online | wechat | kiosk | window")
    form_data: dict[str, Any] = Field(default_factory=dict, description="申请表（按事项的 JSON Schema）")
    applicant_organization: NfkcStr | None = Field(None, max_length=18,
                                               description="以单位名义申请时：单位的统一社会信用代码")
    contact_phone: NfkcStr = Field("", max_length=20, description="联系手机（默认取申请人登记的手机）")
    delivery_method: DeliveryMethod = Field(DeliveryMethod.WINDOW, description="送达方式")
    delivery_address: str = Field("", max_length=300, description="邮寄地址（邮寄送达时）")
    submit: bool = Field(False, description="true：创建后立即提交（须材料齐全）")


class CaseUpdateIn(Schema):
    """Draft update; ``form_data`` is a JSON merge patch (RFC 7396): given keys replace, null removes."""

    form_data: dict[str, Any] | None = None
    contact_phone: NfkcStr | None = Field(None, max_length=20)
    delivery_method: DeliveryMethod | None = None
    delivery_address: str | None = Field(None, max_length=300)


class QueryIn(Schema):
    """一码查询, in the body (never the URL: no personal data in query strings, issue #9)."""

    code: NfkcStr = Field(..., min_length=1, max_length=32, description="查询码")
    phone_tail: NfkcStr = Field(..., pattern=r"^[0-9]{4}$", description="申请人手机号后四位")


class ReasonIn(Schema):
    reason: str = Field("", max_length=MAX_TEXT)


class NoteIn(Schema):
    note: str = Field("", max_length=500)


class RatingIn(Schema):
    """好差评 of a concluded case: 5 非常满意 … 1 非常不满意, an optional comment (≤500)."""

    level: NfkcInt = Field(..., description="5 非常满意 4 满意 3 基本满意 2 不满意 1 非常不满意")
    comment: str = Field("", max_length=500)


class RatingOut(Schema):
    level: int
    level_label: str
    comment: str
    channel: str


class CorrectionItemIn(Schema):
    material_id: NfkcInt | None = Field(None, ge=1, le=2**63 - 1)
    name: str = Field("", max_length=300)
    reason: str = Field(..., min_length=1, max_length=500)


class CorrectionIn(Schema):
    items: list[CorrectionItemIn] = Field(..., min_length=1, max_length=50)


class RefuseIn(Schema):
    reason_code: RefusalReason
    reason: str = Field("", max_length=800)


class SuspendIn(Schema):
    basis: SuspensionBasis
    reason: str = Field("", max_length=500)


class ExtendIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
    days: NfkcInt = Field(10, ge=1, le=10)


class ApproveIn(Schema):
    note: str = Field("", max_length=MAX_TEXT)
    licence_name: str = Field("", max_length=200)
    valid_to: datetime.date | None = None


class RejectIn(Schema):
    reason: str = Field(..., min_length=1, max_length=MAX_TEXT)


class DeliverIn(Schema):
    method: DeliveryMethod
    note: str = Field("", max_length=500)


class ReassignIn(Schema):
    handler_id: NfkcInt = Field(..., ge=1, le=2**63 - 1)


# --------------------------------------------------------------------------- output
class DepartmentOut(Schema):
    code: str
    name: str


class ApplicantOut(Schema):
    kind: str  # person | organization
    name: str  # a person's name masked; an organization's name (public register)
    credit_code: str | None = None


class HandlerOut(Schema):
    id: int
    name: str


class CaseRowOut(Schema):
    id: int
    number: str | None
    status: CaseStatus
    status_label: str
    channel: str
    title: str
    item_code: str
    applicant: ApplicantOut
    receiving_department: DepartmentOut
    handling_department: DepartmentOut
    handler: HandlerOut | None
    deadline_level: str
    due_date: datetime.date | None
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None


class CasePageOut(Schema):
    items: list[CaseRowOut]
    total: int
    page: int
    pages: int


class InboxOut(CasePageOut):
    counts: dict[str, int]
    #: True when a filtered total reached the count's cap (selectors.INBOX_COUNT_CAP): "1,000 or more".
    capped: bool = False


class EventOut(Schema):
    id: int
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor: str
    department: str | None
    note: str
    data: dict[str, Any]
    public: bool
    created_at: datetime.datetime


class FileOut(Schema):
    id: int
    material_id: int | None
    material_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    shared_resource: str = ""  # proven by this sharing resource, no file (已共享, issue #13 part 5)
    exchange_id: str | None = None  # the pre-fill exchange that proved it


class ClockOut(Schema):
    kind: str
    basis: str
    limit_days: int
    unit: str
    start_date: datetime.date
    extended_days: int
    suspended_days: int
    due_date: datetime.date = Field(description="内部办理期限（随工作日历调整重新计算）")
    promised_due_date: datetime.date | None = Field(None, description="已告知申请人的到期日，只会推后，不会提前")
    level: str
    stopped_on: datetime.date | None


class DocumentOut(Schema):
    number: str
    kind: DocumentKind
    department: str
    issued_at: datetime.datetime


class LicenceOut(Schema):
    number: str
    name: str
    valid_from: datetime.date
    valid_to: datetime.date | None


class CaseDetailOut(CaseRowOut):
    query_code: str
    item_version: int
    agent: str | None
    contact_phone: str
    delivery_method: str
    delivery_address: str
    form_data: dict[str, Any]
    refusal_reason: str
    accepted_at: datetime.datetime | None
    forwarded_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    timeline: list[EventOut]
    files: list[FileOut]
    clocks: list[ClockOut]
    documents: list[DocumentOut]
    licence: LicenceOut | None
    actions: list[str] = Field(description="此用户现在可执行的操作")


class PublicStepOut(Schema):
    action: str
    action_label: str
    to_status: str
    to_status_label: str
    department: str | None
    created_at: datetime.datetime


class PublicStatusOut(Schema):
    number: str
    title: str
    status: str
    status_label: str
    receiving_department: str
    handling_department: str
    submitted_at: datetime.datetime | None
    due_date: datetime.date | None
    is_final: bool
    steps: list[PublicStepOut]


# --------------------------------------------------------------------------- rendering


#: The status and action labels per language: building ``CaseStatus.values`` and translating the label
#: for each of 50 rows was 15 % of an inbox request, and for each step 15 % of a 一码查询 (issue #17).
#: The labels are the code's (gettext catalogs load once per process), so a table per language holds.
_STATUS_LABELS: dict[str | None, dict[str, str]] = {}
_ACTION_LABELS: dict[str | None, dict[str, str]] = {}


def _labelled(tables: dict[str | None, dict[str, str]], choices: Any, value: str) -> str:
    """``value``'s label among ``choices`` in the active language (the value itself if unknown)."""
    language = get_language()
    labels = tables.get(language)
    if labels is None:
        labels = tables[language] = {c.value: str(c.label) for c in choices}
    return labels.get(value, value)


def _status_label(value: str) -> str:
    return _labelled(_STATUS_LABELS, CaseStatus, value)


_label = _status_label  # a status's label in the active language (the status itself if unknown)


def _action_label(value: str) -> str:
    return _labelled(_ACTION_LABELS, CaseAction, value)


def mask_address(value: str) -> str:
    """Keep the district-level start of an address (6 characters), hide the rest."""
    return value[:6] + "*" * min(len(value) - 6, 10) if len(value) > 6 else ("*" * len(value))


def mask_form(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The application form as shown: its personal fields (``catalog.personal_fields``: marked by
    the schema, or named like one in a schema older than the marks) masked; other fields as
    entered. ``Case.form_data`` is stored this way already; masking it again changes nothing."""
    return split_form(schema if isinstance(schema, dict) else {}, data)[0]


def _person_name(user: User | None) -> str:
    if user is None:
        return ""
    return mask_name(user.person.name if user.person_id and user.person else user.get_username())


def _applicant(case: Case) -> ApplicantOut:
    if case.applicant_organization_id is not None and case.applicant_organization is not None:
        org = case.applicant_organization
        return ApplicantOut(kind="organization", name=org.name, credit_code=org.credit_code)
    person = case.applicant_person
    return ApplicantOut(kind="person", name=mask_name(person.name if person else ""))


def _department(department: Any) -> DepartmentOut:
    return DepartmentOut(code=department.code, name=department.name)


def row_out(case: Case) -> dict[str, Any]:
    """The list/inbox row of a case (needs item, departments, handler and applicant loaded)."""
    handler = HandlerOut(id=case.handler.pk, name=_person_name(case.handler)) if case.handler is not None else None
    return {"id": case.pk, "number": case.number, "status": case.status, "status_label": _label(case.status),
            "channel": case.channel, "title": case.title, "item_code": case.item.code,
            "applicant": _applicant(case), "receiving_department": _department(case.receiving_department),
            "handling_department": _department(case.handling_department), "handler": handler,
            "deadline_level": case.deadline_level, "due_date": case.due_date, "created_at": case.created_at,
            "submitted_at": case.submitted_at}


def row_from_values(row: dict[str, Any]) -> dict[str, Any]:
    """``row_out`` of a value row of ``selectors.inbox_values_for`` (masked alike), in ``CaseRowOut``'s
    shape and field order with its defaults filled in (a person has no credit code): the inbox sends it
    without validating it again (``inbox_json``)."""
    if row["applicant_organization_id"] is not None:
        applicant = {"kind": "organization", "name": row["applicant_organization__name"],
                     "credit_code": row["applicant_organization__credit_code"]}
    else:
        applicant = {"kind": "person", "name": mask_name(row["applicant_person__name"] or ""), "credit_code": None}
    handler = None
    if row["handler_id"] is not None:
        name = row["handler__person__name"]
        handler = {"id": row["handler_id"], "name": mask_name(row["handler__username"] if name is None else name)}
    return {"id": row["id"], "number": row["number"], "status": row["status"],
            "status_label": _status_label(row["status"]),
            "channel": row["channel"], "title": row["title"], "item_code": row["item__code"], "applicant": applicant,
            "receiving_department": {"code": row["receiving_department__code"],
                                     "name": row["receiving_department__name"]},
            "handling_department": {"code": row["handling_department__code"], "name": row["handling_department__name"]},
            "handler": handler, "deadline_level": row["deadline_level"], "due_date": row["due_date"],
            "created_at": row["created_at"], "submitted_at": row["submitted_at"]}


def inbox_payload(box: Any) -> dict[str, Any]:
    """``InboxOut`` of a ``selectors.inbox_values_for`` answer, as plain data in the schema's field order."""
    return {"items": [row_from_values(row) for row in box.rows], "total": box.total, "page": box.page,
            "pages": box.pages, "counts": box.counts, "capped": box.capped}


def inbox_json(box: Any) -> bytes:
    """The inbox's answer as the API renders it (``config.api.Utf8JsonRenderer``: UTF-8, Django's JSON
    encoder for dates), without the pydantic pass over every row: validating 50 rows the view has just
    built in the schema's shape was a fifth of the request's time (issue #17). The test
    ``test_inbox_json`` holds it equal, byte for byte, to the validated rendering."""
    return json.dumps(inbox_payload(box), cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def event_out(event: CaseEvent) -> EventOut:
    actor = event.actor_label if event.actor_id is None else mask_name(event.actor_label)
    return EventOut(id=event.pk, action=event.action, action_label=_action_label(event.action),
                    from_status=event.from_status, to_status=event.to_status, actor=actor,
                    department=event.department.name if event.department_id and event.department else None,
                    note=event.note, data=event.data or {}, public=event.public, created_at=event.created_at)


def file_out(f: CaseMaterial) -> FileOut:
    return FileOut(id=f.pk, material_id=f.material_id, material_name=f.material.name if f.material else "",
                   original_name=f.original_name, content_type=f.content_type, size=f.size, sha256=f.sha256,
                   uploaded_at=f.uploaded_at, shared_resource=f.shared_resource,
                   exchange_id=str(f.exchange_id) if f.exchange_id else None)


def clock_out(c: CaseClock) -> ClockOut:
    return ClockOut(kind=c.kind, basis=c.basis, limit_days=c.limit_days, unit=c.unit, start_date=c.start_date,
                    extended_days=c.extended_days, suspended_days=c.suspended_days, due_date=c.due_date,
                    promised_due_date=c.promised_due_date, level=c.level, stopped_on=c.stopped_on)


def document_out(d: Document) -> DocumentOut:
    return DocumentOut(number=d.number, kind=DocumentKind(d.kind), department=d.department.name,
                       issued_at=d.issued_at)


def detail_out(case: Case, *, timeline: list[CaseEvent], actions: list[str]) -> CaseDetailOut:
    """The case as its applicant side or staff in scope see it through the API (masked)."""
    files = case.materials.filter(removed_at__isnull=True).select_related("material").order_by("id")
    licence = getattr(case, "licence", None)  # the reverse one-to-one raises AttributeError when absent
    return CaseDetailOut(
        **row_out(case), query_code=case.query_code, item_version=case.item_version.number,
        agent=mask_name(case.agent.name) if case.agent_id and case.agent else None,
        contact_phone=mask_phone(case.contact_phone), delivery_method=case.delivery_method,
        delivery_address=mask_address(case.delivery_address),
        form_data=mask_form(case.item_version.form_schema or {}, case.form_data or {}),
        refusal_reason=case.refusal_reason, accepted_at=case.accepted_at, forwarded_at=case.forwarded_at,
        decided_at=case.decided_at, delivered_at=case.delivered_at, closed_at=case.closed_at,
        timeline=[event_out(e) for e in timeline], files=[file_out(f) for f in files],
        clocks=[clock_out(c) for c in case.clocks.order_by("id")],
        documents=[document_out(d) for d in case.documents.select_related("department").order_by("id")],
        licence=LicenceOut(number=licence.number, name=licence.name, valid_from=licence.valid_from,
                           valid_to=licence.valid_to) if licence is not None else None,
        actions=actions)


def public_out(status: Any) -> PublicStatusOut:
    """一码查询 result: progress only, no personal data (no names, no notes)."""
    steps = [PublicStepOut(action=e.action, action_label=_action_label(e.action), to_status=e.to_status,
                           to_status_label=_label(e.to_status),
                           department=e.department.name if e.department_id and e.department else None,
                           created_at=e.created_at) for e in status.steps]
    return PublicStatusOut(number=status.number, title=status.title, status=status.status,
                           status_label=status.status_label, receiving_department=status.receiving_department,
                           handling_department=status.handling_department, submitted_at=status.submitted_at,
                           due_date=status.due_date, is_final=status.is_final, steps=steps)
