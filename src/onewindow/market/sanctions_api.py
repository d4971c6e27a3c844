"""联合惩戒 in the JSON API (/api/v1/market/sanctions/): parse, call one service or selector, render.

- ``POST /``: the listing department delivers an entry (201 created; 200 unchanged or corrected,
  idempotent per (department, source record id)).
- ``GET /``: the lists with filters (department, list kind, status, credit code); ``GET /{id}``:
  one entry with its events; ``GET /entities/{credit_code}``: an organization's entries.
- ``POST /{id}/repair`` (信用修复 request), ``POST /{id}/approve`` and ``POST /{id}/reject`` (review).

Authentication: a session, or a bearer token with the scope ``market.records`` (the department
API of pooled records); others 403 ``insufficient_scope``, a token without an owner 403
``token_without_user``. Refusals: 401, 403 ``sanction_not_listing_department`` /
``sanction_action_forbidden``, 404 ``sanction_not_found``, 409 ``sanction_illegal_transition`` /
``sanction_removal_too_early``, 422 with the fields.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginate
from onewindow.core.schemas import ErrorOut

from . import records_selectors
from . import sanctions_selectors as selectors
from .models import SanctionListing
from .services import sanctions

router = Router(tags=["market sanctions"], auth=session_or_token)

MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


class ListingIn(Schema):
    department: str = Field("", max_length=32, description="列入部门代码（在多个部门任职时必填）")
    list_kind: str = Field(max_length=30, description="business_anomaly / serious_violation / dishonest_debtor")
    source_id: NfkcStr = Field(max_length=64, description="来源记录编号（本部门内唯一）")
    subject_type: str = Field("organization", max_length=20, description="organization 组织 / person 自然人")
    credit_code: NfkcStr = Field("", max_length=40)
    id_number: NfkcStr = Field("", max_length=40, description="自然人身份证号码（加密存储，不回显）")
    subject_name: str = Field(max_length=200)
    reason: str = Field(max_length=2000)
    legal_basis: str = Field(max_length=2000)
    listed_on: str = Field(max_length=30, description="YYYY-MM-DD")
    removable_on: str | None = Field(None, max_length=30, description="最早移出日期（不早于名单期限）")
    measures: list[str] = Field(default_factory=list, max_length=4)
    refused_items: list[str] = Field(default_factory=list, max_length=200)
    refused_item_types: list[str] = Field(default_factory=list, max_length=20)
    draw_weight: Decimal | None = None


class ReasonIn(Schema):
    reason: str = Field(max_length=2000)


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


class ListingOut(Schema):
    id: int
    list_kind: str
    list_label: str
    subject_type: str
    subject: str
    credit_code: str
    reason: str
    legal_basis: str
    department: str
    department_name: str
    source_id: str
    listed_on: datetime.date
    removable_on: datetime.date
    measures: list[str]
    refused_items: list[str]
    refused_item_types: list[str]
    draw_weight: Decimal
    status: str
    status_label: str
    removed_on: datetime.date | None
    revision: int


class WrittenOut(ListingOut):
    outcome: str


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    at: datetime.datetime
    by: str
    note: str


class ListingDetailOut(ListingOut):
    events: list[EventOut]


class ListingPageOut(Schema):
    items: list[ListingOut]
    total: int
    page: int
    pages: int


def _out(listing: SanctionListing) -> dict[str, Any]:
    return {
        "id": listing.pk,
        "list_kind": listing.list_kind,
        "list_label": str(listing.get_list_kind_display()),
        "subject_type": listing.subject_type,
        "subject": listing.subject_label,
        "credit_code": listing.credit_code,
        "reason": listing.reason,
        "legal_basis": listing.legal_basis,
        "department": listing.department.code,
        "department_name": listing.department.name,
        "source_id": listing.source_id,
        "listed_on": listing.listed_on,
        "removable_on": listing.removable_on,
        "measures": list(listing.measures or []),
        "refused_items": list(listing.refused_items or []),
        "refused_item_types": list(listing.refused_item_types or []),
        "draw_weight": listing.draw_weight,
        "status": listing.status,
        "status_label": str(listing.get_status_display()),
        "removed_on": listing.removed_on,
        "revision": listing.revision,
    }


def _user(request: HttpRequest) -> User:
    return require_user(request, selectors.SANCTIONS_SCOPE)


@router.post("/", response={200: WrittenOut, 201: WrittenOut, **WRITE_ERRORS}, summary="列入联合惩戒名单（列入部门）")
def listing_add(request: HttpRequest, payload: ListingIn) -> Status[WrittenOut]:
    entry = payload.model_dump(exclude={"department"})
    result = sanctions.sanction_list(by=_user(request), entry=entry, department=payload.department or None)
    return Status(
        201 if result.outcome == "created" else 200, WrittenOut(**_out(result.listing), outcome=result.outcome)
    )


@router.get("/", response={200: ListingPageOut, **ERRORS}, summary="联合惩戒名单（可按部门、名单、状态筛选）")
def listing_list(
    request: HttpRequest,
    department_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
    list_kind: str = Query("", max_length=30),
    status: str = Query("", max_length=30),
    credit_code: NfkcStr = Query("", max_length=18),  # noqa: B008
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
) -> ListingPageOut:
    rows = paginate(
        selectors.listing_list_for(
            _user(request), department_id=department_id, list_kind=list_kind, status=status, credit_code=credit_code
        ),
        page,
        50,
    )
    return ListingPageOut(
        items=[ListingOut(**_out(r)) for r in rows.items], total=rows.total, page=rows.page, pages=rows.pages
    )


@router.get("/entities/{credit_code}", response={200: ListingPageOut, **ERRORS}, summary="市场主体的联合惩戒名单条目")
def listings_of_entity(
    request: HttpRequest,
    credit_code: str = Path(..., max_length=18),
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
) -> ListingPageOut:
    user = _user(request)
    entity = records_selectors.entity_for(user, credit_code=credit_code)
    rows = paginate(selectors.entity_listings_for(user, entity), page, 50)
    return ListingPageOut(
        items=[ListingOut(**_out(r)) for r in rows.items], total=rows.total, page=rows.page, pages=rows.pages
    )


@router.get("/{listing_id}", response={200: ListingDetailOut, **ERRORS}, summary="名单条目详情（含记录）")
def listing_detail(request: HttpRequest, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> ListingDetailOut:
    listing = selectors.listing_get_for(_user(request), listing_id)
    events = [
        EventOut(action=e.action, from_status=e.from_status, to_status=e.to_status, at=e.at, by=e.by_label, note=e.note)
        for e in listing.events.all()
    ]
    return ListingDetailOut(**_out(listing), events=events)


@router.post("/{listing_id}/repair", response={200: ListingOut, **WRITE_ERRORS}, summary="申请信用修复（移出名单）")
def listing_repair(request: HttpRequest, payload: ReasonIn, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> ListingOut:
    listing = sanctions.sanction_request_repair(
        by=_user(request), listing_id=listing_id, reason=payload.reason, channel="api"
    )
    return ListingOut(**_out(listing))


@router.post("/{listing_id}/approve", response={200: ListingOut, **WRITE_ERRORS}, summary="准予移出（列入部门审核）")
def listing_approve(request: HttpRequest, payload: NoteIn, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> ListingOut:
    listing = sanctions.sanction_repair_approve(
        by=_user(request), listing_id=listing_id, note=payload.note, channel="api"
    )
    return ListingOut(**_out(listing))


@router.post("/{listing_id}/reject", response={200: ListingOut, **WRITE_ERRORS}, summary="不予移出（列入部门审核）")
def listing_reject(request: HttpRequest, payload: NoteIn, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> ListingOut:
    listing = sanctions.sanction_repair_reject(
        by=_user(request), listing_id=listing_id, note=payload.note, channel="api"
    )
    return ListingOut(**_out(listing))
