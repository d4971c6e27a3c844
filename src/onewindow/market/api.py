"""The registry part of the JSON API (/api/v1/market/): parse, call one selector or service, render.

- ``GET /entities``: search (信息共享) by ``q`` (credit code, a name fragment of two characters or
  more, or pinyin initials) and/or ``district``, ``street``, ``industry``, ``status``; a page of
  ``{items, total, page, pages, capped}``.
- ``GET /entities/{credit_code}``: the registration with its versions and former names (masked).
- ``POST /entities/{credit_code}/unmask``: the legal representative's ID number and phone in
  clear, for a regulator or department admin in a browser session after re-authentication;
  audited and rate-limited (a machine token never unmasks: 403 ``unmask_machine_forbidden``).
- ``POST /entities``: register an entity (设立登记; the registration authority's staff).
- ``GET /imports/{id}``: a bulk import's counts and per-row errors.

Authentication: a session, or a bearer token of a user with the scope ``market:read`` (reads) or
``market:write`` (registration); a token without an owner is refused (403
``token_without_user``), a token without the scope too (403 ``insufficient_scope``). Who may do
what is ``permissions`` (403 ``market_registry_forbidden``). Refusals: 401 anonymous, 404
``entity_not_found``, 409 ``market_entity_exists``, 422 with the fields.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.reauth import require_reauth
from onewindow.accounts.unmask import is_machine_request
from onewindow.core.normalize import NfkcInt, NfkcStr

from . import selectors, services
from .schemas import (
    EntityIn,
    EntityOut,
    EntityPageOut,
    EntityRowOut,
    ErrorOut,
    ImportOut,
    LegalRepOut,
    detail_out,
    import_out,
    row_out,
)

router = Router(tags=["market"], auth=session_or_token)

READ = "market:read"
WRITE = "market:write"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
CODE = Path(..., max_length=40)


@router.get("/entities", response={200: EntityPageOut, **ERRORS}, summary="市场主体查询（信息共享）")
def entity_search(
    request: HttpRequest,
    q: NfkcStr = Query("", max_length=60),  # noqa: B008
    district: NfkcStr = Query("", max_length=12),  # noqa: B008
    street: NfkcStr = Query("", max_length=12),  # noqa: B008
    industry: NfkcStr = Query("", max_length=5),  # noqa: B008
    status: str = Query("", max_length=20),
    page: NfkcInt = Query(1, ge=1, le=100_000),  # noqa: B008
    page_size: NfkcInt = Query(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE),  # noqa: B008
) -> EntityPageOut:
    user = require_user(request, READ)
    filters = selectors.SearchFilters(q=q, district=district, street=street, industry=industry, status=status)
    result = selectors.entity_search_for(user, filters, page=page, page_size=page_size)
    return EntityPageOut(
        items=[EntityRowOut(**row_out(p)) for p in result.items],
        total=result.total,
        page=result.page,
        pages=result.pages,
        capped=result.capped,
    )


@router.post("/entities", response={201: EntityOut, **ERRORS, 409: ErrorOut}, summary="设立登记（登记机关）")
def entity_register(request: HttpRequest, payload: EntityIn) -> Status[EntityOut]:
    user = require_user(request, WRITE)
    profile = services.entity_register(by=user, data=payload.dict())
    return Status(201, EntityOut(**detail_out(selectors.entity_profile_for(user, profile.organization.credit_code))))


@router.get("/entities/{credit_code}", response={200: EntityOut, **ERRORS}, summary="市场主体登记信息")
def entity_detail(request: HttpRequest, credit_code: str = CODE) -> EntityOut:
    user = require_user(request, READ)
    return EntityOut(**detail_out(selectors.entity_profile_for(user, credit_code)))


@router.post(
    "/entities/{credit_code}/unmask",
    response={200: LegalRepOut, **ERRORS, 429: ErrorOut},
    summary="查看法定代表人完整信息（审计）",
)
def entity_unmask(request: HttpRequest, credit_code: str = CODE) -> LegalRepOut:
    user = require_user(request, READ)
    machine = is_machine_request(request)
    if not machine:
        require_reauth(request)
    profile = selectors.entity_unmasked_for(user, credit_code, machine=machine)
    org = profile.organization
    return LegalRepOut(
        credit_code=org.credit_code,
        legal_representative_name=org.legal_representative_name,
        legal_rep_id_number=profile.legal_rep_id_number,
        legal_rep_phone=profile.legal_rep_phone,
    )


@router.get("/imports/{import_id}", response={200: ImportOut, **ERRORS}, summary="批量导入结果")
def import_detail(request: HttpRequest, import_id: NfkcInt = Path(..., ge=1, le=MAX_ID)) -> ImportOut:  # noqa: B008
    user = require_user(request, READ)
    return ImportOut(**import_out(selectors.entity_import_for(user, import_id)))
