"""Pages of access requests (共享申请) and grants (共享授权).

- ``/sharing/catalogue/<code>/request/`` (POST): submit the resource page's "申请共享" form;
- ``/sharing/requests/``: requests of my departments (``side=mine``) or for my resources
  (``side=to_decide``), filtered by status; ``/sharing/requests/<number>/``: one request with its
  timeline, its grant, and the forms for the caller's actions (approve with a scope, refuse with a
  reason, withdraw);
- ``/sharing/grants/``: grants, with revoke (provider) and "签发新令牌" (requester).

The token is shown once, and only to the consumer side: an 无条件共享 request's token on the page
that answers the submission; a conditional request's approval does not show it to the provider
who approves — the requester then takes a token with "签发新令牌" on the request or grants page
(``grant_token_reissue``), shown once on the answer (``Cache-Control: no-store``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, field_messages
from onewindow.core.models import Department
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from ..choices import RequestStatus
from ..models import AccessRequest, Grant
from ..selectors import access as selectors
from ..selectors import catalogue as catalogue_selectors
from ..services import access as services
from .catalogue import error_page, require_reader, resource_page_with_error

PAGE_SIZE = 30
GRANT_STATES = (("active", _("有效")), ("expired", _("已过期")), ("revoked", _("已撤销")))


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def request_new(request: HttpRequest, code: str) -> HttpResponse:
    """Submit a request from the resource page; an unconditional one answers with its token."""
    post = request.POST
    try:
        require_reader(request.user)
        resource = catalogue_selectors.resource_detail_for(request.user, code)
        raw = str(post.get("consumer_department", ""))
        department = Department.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
        if department is None:
            raise DomainError(gettext("请选择使用部门。"), code="sharing_request_invalid", status=422,
                              fields={"consumer_department": [gettext("请选择使用部门。")]})
        submitted, token = services.request_submit(
            by=request.user, resource=resource, consumer_department=department, purpose=post.get("purpose", ""),
            purpose_text=post.get("purpose_text", ""), legal_basis=post.get("legal_basis", ""),
            fields=post.getlist("fields"), valid_from=post.get("valid_from", ""), valid_to=post.get("valid_to", ""),
            rate_per_minute=post.get("rate_per_minute", ""))
    except DomainError as exc:
        return resource_page_with_error(request, code, exc, "request")
    if token is None:
        messages.success(request, gettext("共享申请 %(n)s 已提交，等待提供部门审核。") % {"n": submitted.number})
        return redirect("sharing:request", number=submitted.number)
    return _no_store(_request_page(request, submitted, token=token))


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    try:
        require_reader(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    get = request.GET
    side = get.get("side", "") if get.get("side", "") in selectors.SIDES else ""
    status = get.get("status", "") if get.get("status", "") in RequestStatus.values else ""
    q = get.get("q", "")[:100]
    rows = selectors.request_list_for(request.user, side=side, status=status, q=q)
    result = paginate(rows, page_number(get.get("page")), PAGE_SIZE)
    query = urlencode({k: v for k, v in {"side": side, "status": status, "q": q}.items() if v})
    return render(request, "sharing/requests.html", {
        "nav": "requests", "rows": result.items, "page": result, "query": query, "side": side, "status": status,
        "q": q, "statuses": RequestStatus.choices,
    })


def _request_page(request: HttpRequest, target: AccessRequest, *, token: str | None = None,
                  error: DomainError | None = None, form: str = "") -> HttpResponse:
    user = request.user
    detail = selectors.request_detail_for(user, target.number)
    grant = Grant.objects.filter(request=detail).first()
    actions = selectors.request_actions_for(user, detail)
    return render(request, "sharing/request.html", {
        "nav": "requests", "req": detail, "events": selectors.request_events(detail), "grant": grant,
        "grant_state": selectors.grant_state(grant) if grant else "", "actions": actions, "token": token,
        "may_reissue": bool(grant and grant.status == "active"
                            and perms.is_requester_for(user, detail.consumer_department_id)),
        "may_revoke": bool(grant and grant.status == "active"
                           and perms.is_provider_of(user, detail.resource.provider_department_id)),
        "error": error, "field_errors": field_messages(error), "form": form,
        "data": request.POST if error else QueryDict(),
    }, status=error.status if error else 200)


@login_required
@require_GET
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        require_reader(request.user)
        target = selectors.request_detail_for(request.user, number)
    except DomainError as exc:
        return error_page(request, exc)
    return _request_page(request, target)


def _act(request: HttpRequest, number: str, form: str, call: Any, done: str) -> HttpResponse:
    try:
        require_reader(request.user)
        target = selectors.request_detail_for(request.user, number)
    except DomainError as exc:
        return error_page(request, exc)
    try:
        call(target)
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        return _request_page(request, target, error=exc, form=form)
    messages.success(request, done)
    return redirect("sharing:request", number=number)


@login_required
@require_POST
def request_approve(request: HttpRequest, number: str) -> HttpResponse:
    """The provider approves (the token is not shown here: it is the consumer's to take)."""
    post = request.POST
    return _act(request, number, "approve", lambda r: services.request_approve(
        by=request.user, request=r, fields=post.getlist("fields") or None, valid_from=post.get("valid_from") or None,
        valid_to=post.get("valid_to") or None, rate_per_minute=post.get("rate_per_minute") or None),
        gettext("已批准。使用部门可在申请页面签发授权令牌。"))


@login_required
@require_POST
def request_refuse(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, "refuse", lambda r: services.request_refuse(
        by=request.user, request=r, reason=request.POST.get("reason", "")), gettext("已拒绝该申请。"))


@login_required
@require_POST
def request_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    return _act(request, number, "withdraw", lambda r: services.request_withdraw(by=request.user, request=r),
                gettext("已撤回该申请。"))


@login_required
@require_GET
def grant_list(request: HttpRequest) -> HttpResponse:
    try:
        require_reader(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    get = request.GET
    side = get.get("side", "") if get.get("side", "") in selectors.SIDES else ""
    status = get.get("status", "") if get.get("status", "") in dict(GRANT_STATES) else ""
    rows = selectors.grant_list_for(request.user, side=side, status=status)
    result = paginate(rows, page_number(get.get("page")), PAGE_SIZE)
    user = request.user
    provider_ids = perms.provider_department_ids(user)
    requester_ids = perms.requester_department_ids(user)
    items = [{"grant": g, "state": selectors.grant_state(g),
              "may_revoke": g.status == "active" and g.resource.provider_department_id in provider_ids,
              "may_reissue": g.status == "active" and g.consumer_department_id in requester_ids}
             for g in result.items]
    query = urlencode({k: v for k, v in {"side": side, "status": status}.items() if v})
    return render(request, "sharing/grants.html", {
        "nav": "grants", "items": items, "page": result, "query": query, "side": side, "status": status,
        "states": GRANT_STATES,
    })


@login_required
@require_POST
def grant_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    try:
        require_reader(request.user)
        grant = selectors.grant_detail_for(request.user, grant_id)
        services.grant_revoke(by=request.user, grant=grant, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return error_page(request, exc)
    messages.success(request, gettext("授权已撤销。"))
    return redirect("sharing:grants")


@login_required
@require_POST
def grant_token(request: HttpRequest, grant_id: int) -> HttpResponse:
    """签发新令牌 (the requester): the new token, shown once; the old one stops working."""
    try:
        require_reader(request.user)
        grant = selectors.grant_detail_for(request.user, grant_id)
        token = services.grant_token_reissue(by=request.user, grant=grant)
    except DomainError as exc:
        return error_page(request, exc)
    grant = selectors.grant_detail_for(request.user, grant_id)
    return _no_store(render(request, "sharing/grant_token.html", {"nav": "grants", "grant": grant, "token": token}))


urlpatterns: list[URLPattern] = [
    path("catalogue/<str:code>/request/", request_new, name="request-new"),
    path("requests/", request_list, name="requests"),
    path("requests/<str:number>/", request_detail, name="request"),
    path("requests/<str:number>/approve/", request_approve, name="request-approve"),
    path("requests/<str:number>/refuse/", request_refuse, name="request-refuse"),
    path("requests/<str:number>/withdraw/", request_withdraw, name="request-withdraw"),
    path("grants/", grant_list, name="grants"),
    path("grants/<int:grant_id>/revoke/", grant_revoke, name="grant-revoke"),
    path("grants/<int:grant_id>/token/", grant_token, name="grant-token"),
]
