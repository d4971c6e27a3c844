"""Proposals (排班建议, issue #15 parts 3 and 4 as the manager sees them).

- ``/staffing/proposals/``: the center's proposals; a form makes one for a week (POST);
- ``/staffing/proposals/<id>/``: per slot WHY (arrivals per category, service time, the target,
  the windows that gives and the method: Erlang C or simulation), the proposed roster beside the
  current duty plan, the three-way comparison (current / peak / proposal: waits and staff-hours)
  as an ECharts chart per weekday with its table, and a what-if form;
- ``/staffing/proposals/<id>/what-if/`` (POST): a slot's windows changed, the simulated effect
  shown on the same page; nothing is written.

The center manager only; anyone else 404 as if absent.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts.models import User
from onewindow.centers.models import Center, TicketCategory, Window
from onewindow.centers.selectors import user_name
from onewindow.core.errors import DomainError, NotFound, field_messages

from .. import permissions
from ..choices import Scenario
from ..models import Proposal
from ..plans import Span, slot_label
from ..selectors import roster as roster_selectors
from ..services import proposal as proposal_services
from .common import chosen_center, clock, error_page, managed, monday, number, required_day

PLANS = ("current", "peak", "proposal", "what_if")
WEEKDAYS = proposal_services.WEEKDAYS


def _scenario_label(name: str) -> str:
    return str(Scenario(name).label) if name in Scenario.values else name


@login_required
@require_http_methods(["GET", "POST"])
def proposals(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    try:
        centers = managed(request)
        center = chosen_center(request, centers, source.get("center", "") if request.method == "POST" else None)
    except DomainError as exc:
        return error_page(request, exc, nav="proposals")
    error: DomainError | None = None
    next_week = monday(timezone.localdate()) + datetime.timedelta(days=7)
    if request.method == "POST":
        try:
            week = required_day(source.get("week_start"), "week_start")
            made = proposal_services.proposal_make(by=request.user, center_id=center.pk, week_start=week)
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, gettext("排班建议已生成，并据此生成了排班草稿。"))
            return redirect("staffing:proposal", proposal_id=made.pk)
    rows = list(Proposal.objects.filter(center=center).order_by("-week_start", "-created_at")[:50])
    context = {"centers": centers, "center": center, "manages": True, "nav": "proposals", "rows": rows,
               "week_start": source.get("week_start") or next_week.isoformat(), "error": error,
               "errors": field_messages(error)}
    return render(request, "staffing/proposals.html", context, status=error.status if error else 200)


def _proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    proposal = Proposal.objects.filter(pk=proposal_id).select_related("center").first()
    if proposal is None or not permissions.can_manage(request.user, proposal.center_id):
        raise NotFound(gettext("找不到该排班建议。"), code="staffing_proposal_not_found")
    return proposal


def _names(center: Center) -> tuple[dict[str, str], dict[int, int]]:
    categories = {str(c.pk): f"{c.prefix} {c.name}" for c in TicketCategory.objects.filter(center=center)}
    numbers = dict(Window.objects.filter(center=center).values_list("pk", "number"))
    return categories, numbers


def why_rows(needs: dict[str, Any], categories: dict[str, str], numbers: dict[int, int]) -> list[dict[str, Any]]:
    """Per date, the reasons of each slot as rows of a table (issue #15 part 3 "show why")."""
    days: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in needs.get("slots", []):
        arrivals = s.get("arrivals", {})
        service = s.get("service_mean", {})
        days[s["date"]].append({
            "slot": s["slot"], "label": f"{s.get('label') or slot_label(s['slot'])}–{slot_label(s['slot'] + 1)}",
            "arrivals": [(categories.get(c, c), a, round(float(service.get(c, 0)) / 60, 1))
                         for c, a in sorted(arrivals.items(), key=lambda kv: categories.get(kv[0], kv[0]))],
            "total": round(sum(float(a) for a in arrivals.values()), 1), "windows": s.get("windows", 0),
            "by_window": sorted(numbers.get(int(w), int(w)) for w in s.get("by_window", {})),
            "utilisation": s.get("utilisation"), "method": s.get("method", ""), "expected": s.get("expected")})
    out = []
    for date in sorted(days):
        when = datetime.date.fromisoformat(date)
        out.append({"date": when, "weekday": str(WEEKDAYS[when.weekday()]), "slots": days[date]})
    return out


def comparison_view(comparison: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The comparison as tables (per weekday and total: one row per plan) and charts (per weekday:
    mean wait and p90 in minutes on one axis, staff-hours on the other)."""
    plans = [p for p in PLANS if p in comparison.get("plans", {})]
    if not plans:
        return [], []
    first = comparison["plans"][plans[0]]
    tables = []
    charts = []
    for index, weekday in enumerate([*first.get("weekdays", {}), "total"]):
        rows = []
        for name in plans:
            plan = comparison["plans"][name]
            figures = plan["total"] if weekday == "total" else plan.get("weekdays", {}).get(weekday)
            if figures:
                rows.append({"plan": name, "label": _scenario_label(name), **figures})
        title = gettext("整周合计") if weekday == "total" else weekday
        tables.append({"key": "total" if weekday == "total" else f"d{index}", "title": title, "rows": rows})
        charts.append({"id": f"cmp-{'total' if weekday == 'total' else f'd{index}'}", "title": title,
                       "categories": [r["label"] for r in rows],
                       "axes": [gettext("等候（分钟）"), gettext("人时")],
                       "series": [{"name": gettext("平均等候（分钟）"), "data": [r["mean_wait_minutes"] for r in rows]},
                                  {"name": gettext("90%等候（分钟）"), "data": [r["p90_minutes"] for r in rows]},
                                  {"name": gettext("人时"), "axis": 1, "data": [r["staff_hours"] for r in rows]}]})
    return tables, charts


def beside(proposal: Proposal, numbers: dict[int, int]) -> list[dict[str, Any]]:
    """Per date of the week: each window's spans (time and clerk) in the current duty plan and in
    the proposal (its draft roster's assignments; the needs' windows when it has none)."""
    dates = [proposal.week_start + datetime.timedelta(days=d) for d in range(7)]
    current: dict[datetime.date, list[Span]] = roster_selectors.current_plan(proposal.center_id, dates)
    roster = proposal.rosters.order_by("id").first()
    proposed = roster_selectors.roster_spans(roster.pk) if roster is not None else {}
    if not proposed:  # no draft roster, or no clerk could be placed: the windows the needs open
        proposed = proposal_services.spans_from_needs(proposal_services.needs_from_json(proposal.needs))
    clerks = {s.clerk_id for plan in (current, proposed) for spans in plan.values() for s in spans if s.clerk_id}
    names = {u.pk: user_name(u) for u in User.objects.select_related("person").filter(pk__in=clerks)}
    out = []
    for when in dates:
        windows: dict[int, dict[str, list[str]]] = defaultdict(lambda: {"current": [], "proposal": []})
        for key, plan in (("current", current), ("proposal", proposed)):
            for span in plan.get(when, []):
                who = names.get(span.clerk_id, "") if span.clerk_id else ""
                windows[span.window_id][key].append(f"{clock(span.start)}–{clock(span.end)} {who}".strip())
        if windows:
            out.append({"date": when, "weekday": str(WEEKDAYS[when.weekday()]),
                        "windows": [(numbers.get(w, w), v["current"], v["proposal"])
                                    for w, v in sorted(windows.items(), key=lambda kv: numbers.get(kv[0], kv[0]))]})
    return out


def _detail(request: HttpRequest, proposal: Proposal, *, what_if: dict[str, Any] | None = None,
            error: DomainError | None = None, form: Any = None) -> HttpResponse:
    categories, numbers = _names(proposal.center)
    tables, charts = comparison_view(proposal.comparison)
    context: dict[str, Any] = {
        "proposal": proposal, "center": proposal.center, "manages": True, "nav": "proposals",
        "why": why_rows(proposal.needs, categories, numbers), "target": proposal.needs.get("target", {}),
        "tables": tables, "charts": charts, "beside": beside(proposal, numbers),
        "rosters": list(proposal.rosters.order_by("-id")), "comparison": proposal.comparison,
        "dates": [proposal.week_start + datetime.timedelta(days=d) for d in range(7)],
        "slots": sorted({(s["slot"], s.get("label") or slot_label(s["slot"]))
                         for s in proposal.needs.get("slots", [])}),
        "error": error, "errors": field_messages(error), "form": form or {}}
    if what_if is not None:
        wi_tables, wi_charts = comparison_view(what_if["comparison"])
        context.update(what_if=what_if, wi_tables=wi_tables[-1:], charts=[*charts, *[
            {**c, "id": f"wi-{c['id']}"} for c in wi_charts[-1:]]])
    return render(request, "staffing/proposal.html", context, status=error.status if error else 200)


@login_required
@require_GET
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        proposal = _proposal(request, proposal_id)
    except DomainError as exc:
        return error_page(request, exc, nav="proposals")
    return _detail(request, proposal)


@login_required
@require_POST
def proposal_what_if(request: HttpRequest, proposal_id: int) -> HttpResponse:
    try:
        proposal = _proposal(request, proposal_id)
    except DomainError as exc:
        return error_page(request, exc, nav="proposals")
    post = request.POST
    try:
        when = required_day(post.get("date"), "date")
        slot = number(post.get("slot"), "slot", low=0, high=47)
        windows = number(post.get("windows"), "windows", low=0, high=99)
        assert when is not None and slot is not None
        result = proposal_services.what_if(by=request.user, proposal_id=proposal.pk,
                                           overrides={f"{when.isoformat()}:{slot}": windows})
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc, nav="proposals")
        return _detail(request, proposal, error=exc, form=post)
    return _detail(request, proposal, what_if=result, form=post)


def proposal_url(proposal_id: int) -> str:
    return reverse("staffing:proposal", args=[proposal_id])


urlpatterns: list[URLPattern] = [
    path("proposals/", proposals, name="proposals"),
    path("proposals/<int:proposal_id>/", proposal_detail, name="proposal"),
    path("proposals/<int:proposal_id>/what-if/", proposal_what_if, name="what_if"),
]
