"""Schemas of the taxqr API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut


class DraftIn(Schema):
    data: dict[str, Any]


class DraftOut(Schema):
    id: int
    status: str
    certificate_no: str
    ruleset_version: str
    parts: int
    updated_at: datetime.datetime


class FindingOut(Schema):
    path: str
    code: str
    message: str
    severity: str


class TaxLineOut(Schema):
    tax: str
    payer: str
    base: Decimal
    rate: Decimal
    amount: Decimal
    basis: str
    note: str
    confirmed: bool


class EstimateOut(Schema):
    label: str = "仅供参考"
    on: datetime.date
    total: Decimal
    lines: list[TaxLineOut]


class CodeOut(Schema):
    id: int
    ruleset_version: str
    texts: list[str]
    svgs: list[str]
    warnings: list[FindingOut]
    estimate: EstimateOut | None


class PreviewOut(Schema):
    record: dict[str, Any]
    ruleset_version: str
    signing_kid: str
    issued_at: int
    warnings: list[FindingOut]
    estimate: EstimateOut | None


class RecordOut(Schema):
    id: int
    archive_no: str
    certificate_no: str
    contract_date: datetime.date
    district_code: str
    street_code: str
    address: str
    area: Decimal
    price: Decimal
    agency_name: str
    agency_credit_code: str
    parties: str
    window: str
    ruleset_version: str
    first_scan_at: datetime.datetime
    saved_at: datetime.datetime
    entry_seconds: int


class CorrectionOut(Schema):
    field: str
    before: str
    after: str
    reason: str
    corrected_at: datetime.datetime


class RecordDetailOut(RecordOut):
    record: dict[str, Any]
    warnings: list[dict[str, Any]]
    corrections: list[CorrectionOut]


class CorrectIn(Schema):
    field: str = Field(max_length=100)
    value: str = Field(max_length=200)
    reason: str = Field(max_length=200)


class ArchiveIn(Schema):
    date: datetime.date
    format: Literal["pdf", "xlsx"] = "pdf"
    bureau: str = Field("", max_length=4, pattern=r"^([A-Z]{2,4})?$")


class ArchiveOut(Schema):
    id: int
    reference: str
    kind: str
    day: datetime.date
    rows: int
    sha256: str
    size: int
    retention_until: datetime.date


def finding_out(finding: Any) -> FindingOut:
    return FindingOut(path=finding.path, code=finding.code, message=str(finding.message), severity=finding.severity)


def estimate_out(estimate: Any) -> EstimateOut | None:
    if estimate is None:
        return None
    return EstimateOut(on=estimate.on, total=estimate.total, lines=[
        TaxLineOut(tax=line.tax, payer=line.payer, base=line.base, rate=line.rate, amount=line.amount,
                   basis=line.basis, note=line.note, confirmed=line.confirmed) for line in estimate.lines])


def record_out(record: Any) -> dict[str, Any]:
    return {"id": record.pk, "archive_no": record.archive_no, "certificate_no": record.certificate_no,
            "contract_date": record.contract_date, "district_code": record.district_code,
            "street_code": record.street_code, "address": record.address, "area": record.area,
            "price": record.price, "agency_name": record.agency_name, "agency_credit_code": record.agency_credit_code,
            "parties": record.parties_masked, "window": record.window, "ruleset_version": record.ruleset_version,
            "first_scan_at": record.first_scan_at, "saved_at": record.saved_at,
            "entry_seconds": int((record.saved_at - record.first_scan_at).total_seconds())}


class DraftPageOut(PageOut):
    items: list[DraftOut]


class RecordPageOut(PageOut):
    items: list[RecordOut]
