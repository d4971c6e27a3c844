"""The access part of the sharing API (/api/v1/sharing/requests, /grants): parse, call, render.

- ``GET /requests`` (filters ``side`` = ``mine`` | ``to_decide``, ``status``, ``q``) and
  ``GET /requests/{number}`` with its timeline and the caller's actions;
- ``POST /requests``: submit (a requester of the consumer department); an 无条件共享 resource is
  granted at once and the answer carries the grant's ``token`` — the only time it is shown;
- ``POST /requests/{number}/approve`` (scope: ``fields``, ``valid_from``, ``valid_to``,
  ``rate_per_minute``, each at most what was asked), ``/refuse`` (``reason``), ``/withdraw``;
- ``GET /grants`` (filters ``side``, ``status`` = ``active`` | ``expired`` | ``revoked``,
  ``resource_code``), ``POST /grants/{id}/revoke`` (``reason``, the provider) and
  ``POST /grants/{id}/token`` (the requester: a new token, shown once; the old one stops working).

The approval's answer does not carry the token: a token is the consumer's credential, so the
provider who approves never sees it; the consumer takes one with ``POST /grants/{id}/token``.

Who: as for the catalogue (``sharing:read`` reads, ``sharing:manage`` writes; staff only).
Refusals: 401; 403 ``sharing_staff_only``, ``insufficient_scope``, ``token_without_user``,
``sharing_request_forbidden``, ``sharing_request_action_forbidden``, ``sharing_grant_forbidden``;
404 ``sharing_request_not_found``, ``sharing_grant_not_found``, ``sharing_resource_not_found``,
``department_not_found``; 409 ``sharing_resource_not_shared``, ``sharing_resource_not_published``,
``sharing_request_duplicate``, ``sharing_request_illegal_transition``,
``sharing_grant_already_revoked``; 422 invalid input (``sharing_fields_unknown``,
``sharing_scope_wider``, …).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from onewindow.accounts.api_auth import session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.models import Department
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginated
from onewindow.core.schemas import PageOut

from . import permissions as perms
from .catalogue_api import ERRORS, MANAGE, MAX_ID, PAGE, PAGE_SIZE, READ, WRITE_ERRORS, bad_filter, reader
from .choices import GrantStatus, Purpose, RequestStatus
from .models import AccessEvent, AccessRequest, Grant
from .selectors import access as selectors
from .selectors import catalogue as catalogue_selectors
from .services import access as services

router = Router(tags=["sharing"], auth=session_or_token)

NUMBER = Path(..., min_length=1, max_length=20)
GRANT_ID = Path(..., ge=1, le=MAX_ID)
GRANT_STATES = ("active", "expired", GrantStatus.REVOKED)


class GrantOut(Schema):
    id: int
    request_number: str
    resource_code: str
    resource_name: str
    provider_department: str
    consumer_department_id: int
    consumer_department: str
    purpose: str
    purpose_label: str
    fields: list[str]
    valid_from: datetime.date
    valid_to: datetime.date
    rate_per_minute: int
    state: str
    token_prefix: str
    revoke_reason: str
    revoked_at: datetime.datetime | None
    created_at: datetime.datetime


class GrantPageOut(PageOut):
    items: list[GrantOut]


class RequestOut(Schema):
    number: str
    resource_code: str
    resource_name: str
    version: int
    provider_department: str
    consumer_department_id: int
    consumer_department: str
    purpose: str
    purpose_label: str
    purpose_text: str
    legal_basis: str
    fields: list[str]
    valid_from: datetime.date
    valid_to: datetime.date
    rate_per_minute: int
    status: str
    status_label: str
    reason: str
    created_at: datetime.datetime
    decided_at: datetime.datetime | None


class RequestPageOut(PageOut):
    items: list[RequestOut]


class EventOut(Schema):
    action: str
    by: str
    note: str
    at: datetime.datetime


class RequestDetailOut(RequestOut):
    events: list[EventOut]
    actions: list[str]
    grant: GrantOut | None
    token: str | None = None


class GrantTokenOut(Schema):
    grant: GrantOut
    token: str


class RequestIn(Schema):
    resource_code: NfkcStr = Field(..., max_length=40)
    consumer_department_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    purpose: str = Field(..., max_length=20)
    purpose_text: str = Field(..., max_length=2000)
    legal_basis: str = Field(..., max_length=2000)
    fields: list[str] = Field(..., max_length=200)
    valid_from: datetime.date
    valid_to: datetime.date
    rate_per_minute: NfkcInt = Field(60, ge=1, le=services.MAX_RATE)


class ApproveIn(Schema):
    fields: list[str] | None = Field(None, max_length=200)
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    rate_per_minute: NfkcInt | None = Field(None, ge=1, le=services.MAX_RATE)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


def grant_out(grant: Grant) -> dict[str, Any]:
    resource = grant.resource
    return {
        "id": grant.pk, "request_number": grant.request.number, "resource_code": resource.code,
        "resource_name": resource.current.name if resource.current else "",
        "provider_department": resource.provider_department.name,
        "consumer_department_id": grant.consumer_department_id, "consumer_department": grant.consumer_department.name,
        "purpose": grant.purpose, "purpose_label": str(Purpose(grant.purpose).label), "fields": list(grant.fields),
        "valid_from": grant.valid_from, "valid_to": grant.valid_to, "rate_per_minute": grant.rate_per_minute,
        "state": selectors.grant_state(grant), "token_prefix": grant.token_prefix,
        "revoke_reason": grant.revoke_reason, "revoked_at": grant.revoked_at, "created_at": grant.created_at,
    }


def request_out(request: AccessRequest) -> dict[str, Any]:
    return {
        "number": request.number, "resource_code": request.resource.code, "resource_name": request.version.name,
        "version": request.version.number, "provider_department": request.resource.provider_department.name,
        "consumer_department_id": request.consumer_department_id,
        "consumer_department": request.consumer_department.name, "purpose": request.purpose,
        "purpose_label": str(Purpose(request.purpose).label), "purpose_text": request.purpose_text,
        "legal_basis": request.legal_basis, "fields": list(request.fields), "valid_from": request.valid_from,
        "valid_to": request.valid_to, "rate_per_minute": request.rate_per_minute, "status": request.status,
        "status_label": str(RequestStatus(request.status).label), "reason": request.reason,
        "created_at": request.created_at, "decided_at": request.decided_at,
    }


def _event_out(event: AccessEvent) -> dict[str, Any]:
    by = event.by_label or (event.by.get_full_name() or event.by.get_username() if event.by else "")
    return {"action": event.action, "by": by, "note": event.note, "at": event.created_at}


def _detail(user: User, number: str, token: str | None = None) -> dict[str, Any]:
    request = selectors.request_detail_for(user, number)
    grant = Grant.objects.filter(request=request).select_related(
        "resource", "resource__current", "resource__provider_department", "consumer_department", "request").first()
    return {
        **request_out(request),
        "events": [_event_out(e) for e in selectors.request_events(request)],
        "actions": selectors.request_actions_for(user, request),
        "grant": grant_out(grant) if grant else None,
        "token": token,
    }


@router.get("/requests", response={200: RequestPageOut, **ERRORS}, summary="共享申请")
def request_list(
    request: HttpRequest,
    side: str = Query("", max_length=10),
    status: str = Query("", max_length=10),
    q: str = Query("", max_length=100),
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = reader(request, READ)
    if side and side not in selectors.SIDES:
        raise bad_filter("side")
    if status and status not in RequestStatus.values:
        raise bad_filter("status")
    return paginated(selectors.request_list_for(user, side=side, status=status, q=q), page, page_size,
                     render=request_out)


@router.get("/requests/{number}", response={200: RequestDetailOut, **ERRORS}, summary="共享申请详情")
def request_detail(request: HttpRequest, number: str = NUMBER) -> dict[str, Any]:
    return _detail(reader(request, READ), number)


def _consumer(user: User, department_id: int | None) -> Department:
    own = perms.requester_department_ids(user)
    if department_id is None:
        if len(own) != 1:
            raise DomainError(_("请选择使用部门。"), code="sharing_request_invalid", status=422,
                              fields={"consumer_department_id": [_("此项必填。")]})
        department_id = next(iter(own))
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found")
    return department


@router.post("/requests", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="提交共享申请")
def request_submit(request: HttpRequest, response: HttpResponse, payload: RequestIn) -> dict[str, Any]:
    user = reader(request, MANAGE)
    response["Cache-Control"] = "no-store"
    resource = catalogue_selectors.resource_detail_for(user, payload.resource_code)
    submitted, token = services.request_submit(
        by=user, resource=resource, consumer_department=_consumer(user, payload.consumer_department_id),
        purpose=payload.purpose, purpose_text=payload.purpose_text, legal_basis=payload.legal_basis,
        fields=payload.fields, valid_from=payload.valid_from, valid_to=payload.valid_to,
        rate_per_minute=payload.rate_per_minute)
    return _detail(user, submitted.number, token)


@router.post("/requests/{number}/approve", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="批准共享申请")
def request_approve(request: HttpRequest, payload: ApproveIn, number: str = NUMBER) -> dict[str, Any]:
    user = reader(request, MANAGE)
    target = selectors.request_detail_for(user, number)
    services.request_approve(by=user, request=target, fields=payload.fields, valid_from=payload.valid_from,
                             valid_to=payload.valid_to, rate_per_minute=payload.rate_per_minute)
    return _detail(user, number)


@router.post("/requests/{number}/refuse", response={200: RequestDetailOut, **WRITE_ERRORS}, summary="拒绝共享申请")
def request_refuse(request: HttpRequest, payload: ReasonIn, number: str = NUMBER) -> dict[str, Any]:
    user = reader(request, MANAGE)
    services.request_refuse(by=user, request=selectors.request_detail_for(user, number), reason=payload.reason)
    return _detail(user, number)


@router.post("/requests/{number}/withdraw", response={200: RequestDetailOut, **WRITE_ERRORS},
             summary="撤回共享申请")
def request_withdraw(request: HttpRequest, number: str = NUMBER) -> dict[str, Any]:
    user = reader(request, MANAGE)
    services.request_withdraw(by=user, request=selectors.request_detail_for(user, number))
    return _detail(user, number)


@router.get("/grants", response={200: GrantPageOut, **ERRORS}, summary="共享授权")
def grant_list(
    request: HttpRequest,
    side: str = Query("", max_length=10),
    status: str = Query("", max_length=10),
    resource_code: NfkcStr = Query("", max_length=40),  # noqa: B008
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = reader(request, READ)
    if side and side not in selectors.SIDES:
        raise bad_filter("side")
    if status and status not in GRANT_STATES:
        raise bad_filter("status")
    rows = selectors.grant_list_for(user, side=side, status=status, resource_code=resource_code)
    return paginated(rows, page, page_size, render=grant_out)


@router.post("/grants/{grant_id}/revoke", response={200: GrantOut, **WRITE_ERRORS}, summary="撤销共享授权")
def grant_revoke(request: HttpRequest, payload: ReasonIn, grant_id: int = GRANT_ID) -> dict[str, Any]:
    user = reader(request, MANAGE)
    grant = services.grant_revoke(by=user, grant=selectors.grant_detail_for(user, grant_id), reason=payload.reason)
    return grant_out(selectors.grant_detail_for(user, grant.pk))


@router.post("/grants/{grant_id}/token", response={200: GrantTokenOut, **WRITE_ERRORS},
             summary="重新签发授权令牌（仅显示一次）")
def grant_token(request: HttpRequest, response: HttpResponse, grant_id: int = GRANT_ID) -> dict[str, Any]:
    user = reader(request, MANAGE)
    response["Cache-Control"] = "no-store"
    token = services.grant_token_reissue(by=user, grant=selectors.grant_detail_for(user, grant_id))
    return {"grant": grant_out(selectors.grant_detail_for(user, grant_id)), "token": token}
