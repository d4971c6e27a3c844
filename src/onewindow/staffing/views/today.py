"""``/staffing/``: today at the center (弹性调配 during the day, issue #15 part 5): per open slot
the windows needed, the windows open, the live queue and the flag 人浮于事 / 人少于事 / 人事相宜;
the suggestions of the current and next slot with 采纳 / 不采纳 (POST, one click each, applied
through the centers services); the windows as they are now; next week's proposal.

The center manager only. A clerk who manages no center is sent to their own roster; anyone else
gets 404 as if the page did not exist.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.centers.models import TicketCategory, Window
from onewindow.core.errors import DomainError, NotFound

from .. import permissions
from ..choices import AdviceKind, AdviceStatus, FlagKind
from ..models import Advice, Proposal
from ..plans import slot_label
from ..selectors import advice as advice_selectors
from ..services import advice as advice_services
from .common import chosen_center, day, error_page, managed, monday


def _flag_label(flag: str) -> str:
    return str(FlagKind(flag).label) if flag in FlagKind.values else flag


def advice_rows(rows: list[Advice], prefixes: dict[int, str]) -> list[dict[str, Any]]:
    return [{"advice": a, "text": advice_selectors.advice_text(a, prefixes), "slot_label": slot_label(a.slot),
             "flag_label": _flag_label(a.flag), "kind_label": str(AdviceKind(a.kind).label),
             "status_label": str(AdviceStatus(a.status).label), "pending": a.status == AdviceStatus.SUGGESTED}
            for a in rows]


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    centers = managed(request)
    if not centers and permissions.staff_centers(request.user):
        return redirect("staffing:me")
    try:
        center = chosen_center(request, centers)
        on = day(request.GET.get("day"), "day", required=False) or timezone.localdate()
    except DomainError as exc:
        return error_page(request, exc, nav="today")
    now = timezone.now()
    flags = advice_selectors.flags_for(center.pk, on, now)
    categories = list(TicketCategory.objects.filter(center=center).order_by("sort", "prefix"))
    prefixes = {c.pk: c.prefix for c in categories}
    windows = list(Window.objects.filter(center=center).prefetch_related("categories").order_by("number"))
    numbers = {w.pk: w.number for w in windows}
    rows = [{"flag": f, "label": f"{f.label}–{slot_label(f.slot + 1)}", "flag_label": _flag_label(f.flag),
             "queue": sum(f.waiting.values()) if f.current else None,
             "open_numbers": [numbers.get(w, w) for w in f.open_ids]} for f in flags]
    next_monday = monday(timezone.localdate()) + datetime.timedelta(days=7)
    proposal = Proposal.objects.filter(center=center, week_start=next_monday).order_by("-created_at").first()
    counts = {k: sum(1 for f in flags if f.flag == k) for k in FlagKind.values}
    context: dict[str, Any] = {
        "centers": centers, "center": center, "manages": True, "nav": "today", "day": on,
        "is_today": on == timezone.localdate(), "rows": rows, "counts": [(k, _flag_label(k), counts[k])
                                                                         for k in FlagKind.values],
        "note": next((f.note for f in flags if f.note), ""),
        "advice": advice_rows(advice_selectors.advice_of_day(center.pk, on), prefixes),
        "windows": windows, "next_monday": next_monday, "proposal": proposal}
    return render(request, "staffing/today.html", context)


def _back(center_id: int) -> HttpResponse:
    return redirect(f"{reverse('staffing:today')}?center={center_id}")


@login_required
@require_POST
def advice_act(request: HttpRequest, advice_id: int, action: str) -> HttpResponse:
    advice = Advice.objects.filter(pk=advice_id).first()
    if advice is None or not permissions.can_manage(request.user, advice.center_id):
        missing = NotFound(gettext("找不到该调配建议。"), code="staffing_advice_not_found")
        return error_page(request, missing, nav="today")
    try:
        if action == "apply":
            done = advice_services.advice_apply(by=request.user, advice_id=advice.pk)
            messages.success(request, gettext("已采纳：%(text)s") % {"text": advice_selectors.advice_text(done)})
        else:
            done = advice_services.advice_dismiss(by=request.user, advice_id=advice.pk)
            messages.info(request, gettext("已记为不采纳：%(text)s") % {"text": advice_selectors.advice_text(done)})
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc, nav="today")
        messages.error(request, str(exc.message))
    return _back(advice.center_id)


@login_required
@require_POST
def advice_refresh(request: HttpRequest) -> HttpResponse:
    """刷新建议: the suggestions of the current and the next slot, computed now (idempotent)."""
    try:
        center = chosen_center(request, managed(request), request.POST.get("center", ""))
    except DomainError as exc:
        return error_page(request, exc, nav="today")
    fresh = advice_services.advice_refresh(center.pk)
    messages.info(request, gettext("已按当前排队情况刷新调配建议：%(n)d 条待处理。") % {"n": len(fresh)})
    return _back(center.pk)


urlpatterns: list[URLPattern] = [
    path("", today, name="today"),
    path("advice/refresh/", advice_refresh, name="advice_refresh"),
    path("advice/<int:advice_id>/apply/", advice_act, {"action": "apply"}, name="advice_apply"),
    path("advice/<int:advice_id>/dismiss/", advice_act, {"action": "dismiss"}, name="advice_dismiss"),
]
