"""监管预警 pages (issue #12 part 8): my departments' alerts with filters, one alert with its
timeline, and the owner department's acknowledge (签收) and close (办结) with a note.

Actors: supervision staff and system admins read (another department's alert too: 信息共享); the
owner department's regulators and admins act; anyone else gets 403 (not staff) or 404. Views parse,
call one service or selector, and render; a refusal re-renders the alert with its message and
status (403, 409, 422) and writes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, NotFound, field_messages
from onewindow.core.pagination import page_number, paginate

from ..models.alerts import AlertAction, AlertRule, AlertState
from ..selectors import alerts as selectors
from ..services import alerts as services
from .common import error_page, require_staff

PAGE_SIZE = 50


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    """我的预警: the alerts of my departments, filtered by rule, state and department."""
    g = request.GET
    rule = g.get("rule", "") if g.get("rule", "") in AlertRule.values else ""
    state = g.get("state", "") if g.get("state", "") in AlertState.values else ""
    department = int(g["department"]) if (g.get("department") or "").isdigit() else None
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    rows = selectors.alert_list_for(request.user, rule=rule, state=state, department_id=department)
    result = paginate(rows, page_number(g.get("page")), PAGE_SIZE)
    query = "&".join(f"{k}={v}" for k, v in (("rule", rule), ("state", state), ("department", department or "")) if v)
    return render(
        request,
        "supervision/alerts.html",
        {
            "nav": "alerts",
            "rows": result.items,
            "page": result,
            "rule": rule,
            "state": state,
            "department": department,
            "rules": AlertRule.choices,
            "states": AlertState.choices,
            "departments": selectors.alert_departments_for(request.user),
            "query": query,
        },
    )


def _detail_page(
    request: HttpRequest, alert_id: int, error: DomainError | None = None, posted: dict[str, str] | None = None
) -> HttpResponse:
    try:
        require_staff(request.user)
        alert = selectors.alert_get_for(request.user, alert_id)
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "supervision/alert_detail.html",
        {
            "nav": "alerts",
            "alert": alert,
            "events": selectors.alert_events_for(alert),
            "actions": services.alert_actions_for(request.user, alert),
            "error": error,
            "field_errors": field_messages(error),
            "posted": posted or {},
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert: what the rule found, the owner department, the state, the timeline, the actions."""
    return _detail_page(request, alert_id)


@login_required
@require_POST
def alert_act(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    """签收 or 办结 through its service; a refusal re-renders the alert with the message."""
    note = request.POST.get("note", "")[:2000]
    try:
        require_staff(request.user)
        if action == AlertAction.ACKNOWLEDGE:
            services.alert_acknowledge(by=request.user, alert_id=alert_id, note=note)
        elif action == AlertAction.CLOSE:
            services.alert_close(by=request.user, alert_id=alert_id, note=note)
        else:
            raise NotFound(_("找不到该操作。"), code="action_not_found")
    except DomainError as exc:
        if exc.code in ("supervision_staff_only", "alert_not_found", "action_not_found"):
            return error_page(request, exc)
        return _detail_page(request, alert_id, exc, {"note": note})
    messages.success(request, gettext("已完成：%(action)s") % {"action": AlertAction(action).label})
    return redirect("supervision:alert", alert_id=alert_id)


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", alert_detail, name="alert"),
    path("alerts/<int:alert_id>/<slug:action>/", alert_act, name="alert-action"),
]
