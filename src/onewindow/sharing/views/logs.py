"""交换日志 pages (issue #13 part 3): the exchange log entries a user may read, filtered; one entry
with its digests, signature, key, chain position and the peer's statement; the system admin's
verification of the whole log.

Actors (permissions.py, "Logs"): a department admin reads the entries where the department is
the consumer or the provider; a system admin reads all and runs the verification. Other staff
and citizens get 403, anonymous visitors the login page; an entry outside the user's scope is
404. Views parse, call selectors or one service, and render; nothing here writes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from ..choices import ExchangeOutcome, ExchangeRole
from ..selectors import logs as selectors
from ..services import log as log_service

PAGE_SIZE = 50


def _require_reader(user: Any) -> None:
    if not selectors.may_read_logs(user):
        raise PermissionDenied(_("仅部门管理员和系统管理员可以查看交换日志。"), code="sharing_logs_forbidden")


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "sharing/log_error.html", {"error": exc}, status=exc.status)


def _date(value: str, name: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        message = _("日期格式应为 YYYY-MM-DD，例如 2026-03-01。")
        raise DomainError(message, code="sharing_log_date_invalid", fields={name: [message]}, status=422) from None


def _with_names(rows: list[Any]) -> None:
    """Set ``consumer_label`` / ``provider_label`` on each row: the department's name for a party
    of this installation, the code itself for another installation's."""
    names = selectors.party_names({code for row in rows for code in (row.consumer_code, row.provider_code)})
    for row in rows:
        row.consumer_label = names.get(row.consumer_code, row.consumer_code)
        row.provider_label = names.get(row.provider_code, row.provider_code)


@login_required
@require_GET
def log_list(request: HttpRequest) -> HttpResponse:
    """交换日志: the entries of my departments (all for a system admin), newest first."""
    g = request.GET
    text = {name: (g.get(name) or "").strip()[:60] for name in ("resource", "outcome", "role", "from", "to", "case")}
    text["outcome"] = text["outcome"] if text["outcome"] in ExchangeOutcome.values else ""
    text["role"] = text["role"] if text["role"] in ExchangeRole.values else ""
    error: DomainError | None = None
    try:
        _require_reader(request.user)
    except DomainError as exc:
        return _error_page(request, exc)
    try:
        date_from, date_to = _date(text["from"], "from"), _date(text["to"], "to")
    except DomainError as exc:
        error, date_from, date_to = exc, None, None
    rows = selectors.log_list_for(request.user, resource_code=text["resource"], outcome=text["outcome"],
                                  role=text["role"], date_from=date_from, date_to=date_to,
                                  case_number=text["case"])
    if error is not None:
        rows = rows.none()
    result = paginate(rows, page_number(g.get("page")), PAGE_SIZE)
    _with_names(result.items)
    query = "&".join(f"{k}={v}" for k, v in text.items() if v)
    return render(request, "sharing/log_list.html", {
        "rows": result.items, "page": result, "f": text, "query": query,
        "outcomes": ExchangeOutcome.choices, "roles": ExchangeRole.choices, "error": error,
        "may_verify": perms.may_read_all_logs(request.user),
    }, status=error.status if error else 200)


@login_required
@require_GET
def log_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry: its content, digests, signature and key, chain position and the peer statement,
    with the checks of the entry alone (content hash, signature, peer signature)."""
    try:
        _require_reader(request.user)
        entry = selectors.log_get_for(request.user, entry_id)
    except DomainError as exc:
        return _error_page(request, exc)
    problems = log_service.log_entry_check(entry)
    _with_names([entry])
    return render(request, "sharing/log_detail.html", {
        "entry": entry, "problems": problems,
        "problem_codes": {p.code for p in problems},
        "position": selectors.log_chain_position(request.user, entry),
        "key": selectors.signing_key_of(entry.kid),
        "peer_key": selectors.signing_key_of(entry.peer_kid) if entry.peer_kid else None,
        "may_verify": perms.may_read_all_logs(request.user),
    })


@login_required
@require_POST
def log_verify(request: HttpRequest) -> HttpResponse:
    """校验交换日志 (system admins): recompute every entry's hash and signature, the chain and the
    checkpoints, and show the report (a read: nothing is written)."""
    if not perms.may_read_all_logs(request.user):
        return _error_page(request, PermissionDenied(_("仅系统管理员可以校验交换日志。"),
                                                     code="sharing_logs_verify_forbidden"))
    report = log_service.log_verify()
    return render(request, "sharing/log_verify.html", {"report": report}, status=200)


urlpatterns: list[URLPattern] = [
    path("logs/", log_list, name="logs"),
    path("logs/verify/", log_verify, name="log-verify"),
    path("logs/<int:entry_id>/", log_detail, name="log"),
]
