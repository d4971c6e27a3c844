"""The accounts part of the JSON API (/api/v1/accounts/).

Handlers parse, call one selector or service, and render. Status codes: 401 anonymous, 403
logged in but not allowed (or a token without the scope), 404 not visible (existence is not
leaked), 409 conflicts, 400/422 invalid input; every error is ``{code, message, fields}``.
Personal data is masked unless ``unmasked`` is true (authorized staff, audited).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Status

from onewindow.core.masking import mask_id_number, mask_name
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginate

from . import permissions as perms
from . import selectors, services
from .api_auth import principal_of, require_scope, require_user, session_or_token
from .models import ApiToken, Mandate, Organization
from .reauth import require_reauth
from .schemas import (
    AccessLogItemOut,
    AccessLogOut,
    ErrorOut,
    MandateIn,
    MandateOut,
    MandatePageOut,
    MeOut,
    OrganizationOut,
    PersonIn,
    PersonLookupIn,
    PersonOut,
    PersonPageOut,
    RegionOut,
    RevokeIn,
    RoleOut,
    TokenIn,
    TokenIssuedOut,
    TokenOut,
    TokenPageOut,
)
from .unmask import is_machine_request

router = Router(tags=["accounts"], auth=session_or_token)

MAX_ID = 2**63 - 1
READ = "accounts:read"
WRITE = "accounts:write"
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _org_out(org: Organization | None) -> OrganizationOut | None:
    if org is None:
        return None
    region = RegionOut(code=org.region.code, name=org.region.name) if org.region_id and org.region else None
    return OrganizationOut(credit_code=org.credit_code, name=org.name, kind=org.kind,
                           legal_representative_name=org.legal_representative_name, region=region)


def _mandate_out(m: Mandate) -> MandateOut:
    if m.principal_organization is not None:
        kind, name, ref = "organization", m.principal_organization.name, m.principal_organization.credit_code
    else:
        assert m.principal_person is not None
        kind, name = "person", mask_name(m.principal_person.name)
        ref = mask_id_number(m.principal_person.id_number)
    return MandateOut(id=m.pk, agent_name=mask_name(m.agent.name), agent_id_number=mask_id_number(m.agent.id_number),
                      principal_kind=kind, principal_name=name, principal_reference=ref, scope=m.scope,
                      item_codes=list(m.item_codes or []), valid_from=m.valid_from, valid_to=m.valid_to,
                      revoked_at=m.revoked_at, revoked_reason=m.revoked_reason,
                      in_force=m.is_valid_on(timezone.localdate()))


def _token_out(t: ApiToken) -> dict[str, object]:
    return {"id": t.pk, "name": t.name, "prefix": t.prefix, "owner": t.owner.get_username() if t.owner else None,
            "system_name": t.system_name, "scopes": list(t.scopes or []), "created_at": t.created_at,
            "expires_at": t.expires_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
            "revoked_reason": t.revoked_reason}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前登录用户或令牌")
def me(request: HttpRequest) -> MeOut:
    principal = principal_of(request)
    user = principal.user
    person = None
    if user is not None and user.person is not None:
        person = selectors.person_detail_for(user, user.person.ref)
    roles = [RoleOut(role=r.role, department=r.department.code if r.department else None,
                     region=r.region.code if r.region else None) for r in selectors.staff_roles_for(user)]
    return MeOut(
        kind=principal.kind, username=user.get_username() if user else None,
        person=PersonOut(**person.__dict__) if person else None,
        organization=_org_out(user.organization) if user else None, roles=roles,
        is_staff=perms.is_staff_member(user), is_system_admin=perms.is_system_admin(user),
        token_name=principal.token.name if principal.token else None,
        scopes=sorted(principal.scopes) if principal.scopes is not None else None,
    )


@router.get("/persons", response={200: PersonPageOut, **ERRORS}, summary="自然人：可见列表")
def persons(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
            page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> PersonPageOut:  # noqa: B008
    user = require_scope(request, READ).user
    rows = paginate(selectors.person_list_for(user), page, page_size)
    return PersonPageOut(**{**rows.__dict__, "items": [PersonOut(**v.__dict__) for v in rows.items]})


@router.post("/persons/lookup", response={200: PersonPageOut, **ERRORS}, summary="按证件号码查询自然人（工作人员）")
def person_lookup(request: HttpRequest, payload: PersonLookupIn) -> PersonPageOut:
    """The persons with this ID number (at most a few: one page)."""
    user = require_scope(request, READ).user
    rows = paginate(selectors.person_lookup_for(user, payload.id_number, payload.id_type), 1, MAX_PAGE_SIZE)
    return PersonPageOut(**{**rows.__dict__, "items": [PersonOut(**v.__dict__) for v in rows.items]})


@router.get("/persons/{ref}", response={200: PersonOut, **ERRORS, 429: ErrorOut}, summary="自然人详情")
def person_detail(request: HttpRequest, ref: str = Path(..., max_length=40), unmask: bool = False) -> PersonOut:
    """Masked; ``unmask=true`` for staff in scope (purpose recorded), after re-authentication."""
    user = require_scope(request, READ).user
    view = selectors.person_detail_for(user, ref, unmask=unmask, machine=is_machine_request(request),
                                       confirm=lambda: require_reauth(request))
    return PersonOut(**view.__dict__)


@router.post("/persons", response={201: PersonOut, **ERRORS}, summary="实名登记")
def person_register(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    user = require_user(request, WRITE)
    person = services.person_register(by=user, name=payload.name, id_type=payload.id_type,
                                      id_number=payload.id_number, phone=payload.phone,
                                      link_to_self=payload.for_self)
    return Status(201, PersonOut(**selectors.person_detail_for(user, person.ref).__dict__))


@router.get("/me/access-log", response={200: AccessLogOut, **ERRORS}, summary="谁查看了我的个人信息")
def my_access_log(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=100_000)) -> AccessLogOut:  # noqa: B008
    """The unmasked views of the caller's own data (个人信息保护法 art. 45), newest first."""
    user = require_scope(request, READ).user
    result = selectors.access_log_for(user, page)
    pages = max(1, -(-result.count // result.page_size))
    return AccessLogOut(total=result.count, page=result.page, pages=pages, items=[
        AccessLogItemOut(at=a.at, department=a.department.name if a.department else None,
                         viewer_role=a.viewer_role, viewer_role_label=str(a.get_viewer_role_display()),
                         purpose_kind=a.purpose_kind, purpose_label=str(a.get_purpose_kind_display()),
                         purpose_reference=a.purpose_reference) for a in result.items])


@router.get("/organizations/{credit_code}", response={200: OrganizationOut, **ERRORS}, summary="组织详情")
def organization_detail(request: HttpRequest, credit_code: str) -> OrganizationOut | None:
    user = require_scope(request, READ).user
    return _org_out(selectors.organization_detail_for(user, credit_code[:40]))


@router.get("/mandates", response={200: MandatePageOut, **ERRORS}, summary="我的委托")
def mandates(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
             page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> MandatePageOut:  # noqa: B008
    user = require_scope(request, READ).user
    rows = paginate(selectors.mandate_list_for(user), page, page_size)
    return MandatePageOut(**{**rows.__dict__, "items": [_mandate_out(m) for m in rows.items]})


@router.post("/mandates", response={201: MandateOut, **ERRORS}, summary="委托授权")
def mandate_grant(request: HttpRequest, payload: MandateIn) -> Status[MandateOut]:
    user = require_user(request, WRITE)
    mandate = services.mandate_grant_by_reference(
        by=user, agent_id_type=payload.agent_id_type, agent_id_number=payload.agent_id_number,
        principal_person_ref=payload.principal_person_ref, principal_credit_code=payload.principal_credit_code,
        scope=payload.scope, item_codes=payload.item_codes, valid_from=payload.valid_from,
        valid_to=payload.valid_to)
    return Status(201, _mandate_out(mandate))


@router.post("/mandates/{mandate_id}/revoke", response={200: MandateOut, **ERRORS}, summary="撤销委托")
def mandate_revoke(request: HttpRequest, payload: RevokeIn,
                   mandate_id: int = Path(..., ge=1, le=MAX_ID)) -> MandateOut:
    user = require_user(request, WRITE)
    mandate = services.mandate_revoke(by=user, mandate=selectors.mandate_get_for(user, mandate_id),
                                      reason=payload.reason)
    return _mandate_out(mandate)


@router.get("/tokens", response={200: TokenPageOut, **ERRORS}, summary="机器令牌列表（系统管理员）")
def tokens(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
           page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> TokenPageOut:  # noqa: B008
    user = require_scope(request, "tokens:manage").user
    rows = paginate(selectors.api_token_list_for(user), page, page_size)
    return TokenPageOut(**{**rows.__dict__, "items": [_token_out(t) for t in rows.items]})


@router.post("/tokens", response={201: TokenIssuedOut, **ERRORS}, summary="签发机器令牌（系统管理员）")
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    user = require_user(request, "tokens:manage")
    require_reauth(request)  # a key operation (reauth.py); machine tokens are exempt
    token, bearer = services.api_token_issue_by_reference(
        by=user, name=payload.name, scopes=payload.scopes, owner_username=payload.owner_username,
        system_name=payload.system_name, expires_at=payload.expires_at)
    return Status(201, {**_token_out(token), "token": bearer})


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, **ERRORS}, summary="撤销机器令牌（系统管理员）")
def token_revoke(request: HttpRequest, payload: RevokeIn,
                 token_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, object]:
    user = require_user(request, "tokens:manage")
    require_reauth(request)
    token = services.api_token_revoke(by=user, token=selectors.api_token_get_for(user, token_id),
                                      reason=payload.reason)
    return _token_out(token)
