"""Pages of item decisions (事项准入, issue #14 part 4).

- ``/analytics/decisions/``: the center manager's list of low-volume items (the rollups' volume
  ≤ ``ANALYTICS_LOW_VOLUME_MAX`` over a window: since ``ANALYTICS_DECISION_SINCE``, the last 12
  months, the seed window or custom dates), each with its monthly volume, last case, channels,
  catalog status and proposals, and a form to propose keep / change / withdraw;
- ``/analytics/decisions/proposals/``: the proposals the viewer sees (the manager's center, the
  department admin's items), by status; ``/analytics/decisions/proposals/<id>/``: one proposal
  with its steps and the forms for the viewer's actions (accept, reject, cancel).

Refusals are pages with the stable code (404 not visible, 403 not allowed, 409 wrong status).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.cases.choices import CaseChannel
from onewindow.core.errors import DomainError, NotFound, field_messages
from onewindow.core.pagination import page_number

from .. import permissions as perms
from ..choices import ProposalAction, ProposalStatus
from ..selectors import decisions as selectors
from ..services import decisions as services

PAGE_SIZE = 50
CHANNEL_LABELS: dict[str, Any] = dict(CaseChannel.choices)


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "analytics/decisions_error.html", {"error": exc}, status=exc.status)


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()[:10]) if text.strip() else None
    except ValueError:
        raise DomainError(gettext("请输入有效的日期。"), code="analytics_bad_window") from None


def _center_id(user: Any, raw: str) -> int:
    """The center asked for, or the first the viewer manages; 404 when none."""
    raw = raw.strip()
    if raw:
        if not raw.isdigit() or len(raw) > 12:
            raise NotFound(gettext("找不到该中心。"), code="center_not_found")
        return int(raw)
    managed = sorted(perms.managed_centers(user))
    if not managed:
        raise NotFound(gettext("找不到该中心。"), code="center_not_found")
    return managed[0]


def _maximum(raw: str) -> int:
    raw = raw.strip()
    if not raw:
        return selectors.low_volume_max()
    if not raw.isdigit() or len(raw) > 6:
        raise DomainError(gettext("办件量上限须为非负整数。"), code="analytics_bad_maximum",
                          fields={"max": [gettext("办件量上限须为非负整数。")]})
    return int(raw)


@login_required
@require_GET
def decisions(request: HttpRequest) -> HttpResponse:
    """The low-volume items of the manager's center over the chosen window."""
    g = request.GET
    try:
        center_id = _center_id(request.user, g.get("center", ""))
        center = selectors.center_for_manager(by=request.user, center_id=center_id)
        preset, start, end = selectors.window_of(g.get("window", ""), _day(g.get("start", "")),
                                                 _day(g.get("end", "")))
        maximum = _maximum(g.get("max", ""))
        rows = selectors.candidates(by=request.user, center_id=center.pk, start=start, end=end, maximum=maximum)
    except DomainError as exc:
        return _error(request, exc)
    zero = [r for r in rows if r.volume == 0]
    return render(request, "analytics/decisions.html", {
        "center": center, "rows": rows, "preset": preset, "start": start, "end": end,
        "maximum": maximum, "presets": list(selectors.PRESET_LABELS.items()),
        "actions": ProposalAction.choices, "zero_count": len(zero),
        "zero_withdrawn": sum(1 for r in zero if r.withdrawn),
        "single_count": sum(1 for r in rows if r.volume > 0),
        "monthly_rows": [(r, sorted(r.monthly.items()),
                          [(CHANNEL_LABELS.get(c, c), n) for c, n in sorted(r.channels.items(), key=lambda x: -x[1])])
                         for r in rows],
        "back": request.get_full_path(),
    })


def _back(request: HttpRequest, default: str) -> str:
    back = str(request.POST.get("back", ""))
    return back if back.startswith("/analytics/decisions/") and "//" not in back else default


@login_required
@require_POST
def propose(request: HttpRequest) -> HttpResponse:
    post = request.POST
    center = str(post.get("center", ""))
    item = str(post.get("item", ""))
    try:
        if not center.isdigit() or not item.isdigit() or len(center) > 12 or len(item) > 12:
            raise NotFound(gettext("找不到该事项。"), code="item_not_found")
        proposal = services.proposal_make(
            by=request.user, center_id=int(center), item_id=int(item), action=str(post.get("action", "")),
            reason=str(post.get("reason", "")), window_start=post.get("window_start", ""),
            window_end=post.get("window_end", ""))
    except DomainError as exc:
        if exc.status in (400, 422) or exc.status == 409:
            details = "；".join(str(m) for msgs in field_messages(exc).values() for m in msgs)
            messages.error(request, f"{exc.message}{'：' + details if details else ''}")
            return redirect(_back(request, reverse("analytics:decisions")))
        return _error(request, exc)
    messages.success(request, gettext("已提出建议，等待事项所属部门决定。"))
    return redirect("analytics:proposal", proposal_id=proposal.pk)


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")[:20]
    try:
        qs = selectors.proposal_list(by=request.user, status=status or None)
    except DomainError as exc:
        return _error(request, exc)
    total = qs.count()
    number = page_number(request.GET.get("page"))
    rows = list(qs[(number - 1) * PAGE_SIZE:number * PAGE_SIZE])
    query = urlencode({"status": status}) if status else ""
    return render(request, "analytics/decisions_proposals.html", {
        "rows": rows, "status": status, "statuses": ProposalStatus.choices, "total": total, "page": number,
        "has_next": number * PAGE_SIZE < total, "query": query,
    })


@login_required
@require_GET
def proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        found = selectors.proposal_detail(by=request.user, proposal_id=proposal_id)
    except DomainError as exc:
        return _error(request, exc)
    user = request.user
    waiting = found.status == ProposalStatus.PROPOSED
    return render(request, "analytics/decisions_proposal.html", {
        "p": found, "events": list(found.events.select_related("actor").order_by("at", "id")),
        "may_decide": waiting and selectors.may_decide(user, found),
        "may_cancel": waiting and found.proposed_by_id == user.pk,
    })


def _step(request: HttpRequest, proposal_id: int, service: Any, done: str) -> HttpResponse:
    try:
        service(by=request.user, proposal_id=proposal_id, note=str(request.POST.get("note", "")))
    except DomainError as exc:
        if exc.status in (400, 409, 422):
            details = "；".join(str(m) for msgs in field_messages(exc).values() for m in msgs)
            messages.error(request, f"{exc.message}{'：' + details if details else ''}")
            return redirect("analytics:proposal", proposal_id=proposal_id)
        return _error(request, exc)
    messages.success(request, done)
    return redirect("analytics:proposal", proposal_id=proposal_id)


@login_required
@require_POST
def accept(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _step(request, proposal_id, services.proposal_accept, gettext("已采纳该建议。"))


@login_required
@require_POST
def reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _step(request, proposal_id, services.proposal_reject, gettext("已决定不采纳该建议。"))


@login_required
@require_POST
def cancel(request: HttpRequest, proposal_id: int) -> HttpResponse:
    return _step(request, proposal_id, services.proposal_cancel, gettext("已撤回该建议。"))


urlpatterns: list[URLPattern] = [
    path("decisions/", decisions, name="decisions"),
    path("decisions/propose/", propose, name="decisions-propose"),
    path("decisions/proposals/", proposal_list, name="proposals"),
    path("decisions/proposals/<int:proposal_id>/", proposal, name="proposal"),
    path("decisions/proposals/<int:proposal_id>/accept/", accept, name="proposal-accept"),
    path("decisions/proposals/<int:proposal_id>/reject/", reject, name="proposal-reject"),
    path("decisions/proposals/<int:proposal_id>/cancel/", cancel, name="proposal-cancel"),
]
