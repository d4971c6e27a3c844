"""``/staffing/policy/``: a center's service target and duty rules, each clerk's terms (part-time,
hours) and leave (issue #15 parts 2 and 3). The manager only; anyone else 404. Every form posts
to its own address; a refusal shows the page again with the fields named and nothing written."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, field_messages

from ..choices import LeaveKind, TargetKind
from ..models import Leave
from ..selectors import roster as roster_selectors
from ..services import roster as roster_services
from .common import chosen_center, decimal, error_page, managed, monday, number, required_day, text


def _context(request: HttpRequest, center_raw: Any = None) -> dict[str, Any]:
    centers = managed(request)
    center = chosen_center(request, centers, center_raw)
    return {"centers": centers, "center": center, "manages": True, "nav": "policy",
            "policy": roster_selectors.policy_of(center.pk),
            "clerks": roster_selectors.clerks_of(center.pk, monday(timezone.localdate())),
            "leaves": list(Leave.objects.filter(center=center).select_related("user").order_by("-starts", "id")[:200]),
            "kinds": TargetKind.choices, "leave_kinds": LeaveKind.choices}


@login_required
@require_GET
def policy(request: HttpRequest) -> HttpResponse:
    try:
        context = _context(request)
    except DomainError as exc:
        return error_page(request, exc, nav="policy")
    return render(request, "staffing/policy.html", {**context, "form": {}})


def _back(center_id: int) -> HttpResponse:
    return redirect(f"{reverse('staffing:policy')}?center={center_id}")


@login_required
@require_POST
def policy_post(request: HttpRequest, part: str, leave_id: int | None = None) -> HttpResponse:
    post = request.POST
    try:
        context = _context(request, post.get("center", ""))
    except DomainError as exc:
        return error_page(request, exc, nav="policy")
    center = context["center"]
    try:
        if part == "policy":
            kind = text(post.get("target_kind"), "target_kind", max_length=16)
            roster_services.policy_update(
                by=request.user, center_id=center.pk, target_kind=kind,
                target_share=decimal(post.get("target_share"), "target_share", low=0.01, high=0.99),
                target_minutes=number(post.get("target_minutes"), "target_minutes", low=1, high=240),
                shrinkage=decimal(post.get("shrinkage"), "shrinkage", low=0, high=0.59),
                shift_min_minutes=number(post.get("shift_min_minutes"), "shift_min_minutes", low=30, high=720),
                shift_max_minutes=number(post.get("shift_max_minutes"), "shift_max_minutes", low=30, high=720),
                break_after_minutes=number(post.get("break_after_minutes"), "break_after_minutes", low=30, high=720),
                break_minutes=number(post.get("break_minutes"), "break_minutes", low=0, high=240))
            messages.success(request, gettext("服务目标与排班规则已保存。"))
        elif part == "terms":
            roster_services.terms_set(
                by=request.user, center_id=center.pk, user_id=number(post.get("user"), "user", low=1, high=2**62),
                part_time=post.get("part_time") == "1",
                max_minutes_per_day=number(post.get("max_minutes_per_day"), "max_minutes_per_day", low=30, high=720),
                max_days_per_week=number(post.get("max_days_per_week"), "max_days_per_week", low=1, high=7))
            messages.success(request, gettext("用工条件已保存。"))
        elif part == "leave":
            roster_services.leave_add(
                by=request.user, center_id=center.pk, user_id=number(post.get("user"), "user", low=1, high=2**62),
                starts=required_day(post.get("starts"), "starts"), ends=required_day(post.get("ends"), "ends"),
                kind=text(post.get("kind"), "kind", max_length=10), note=text(post.get("note"), "note"))
            messages.success(request, gettext("请假已登记。"))
        else:
            roster_services.leave_remove(by=request.user, leave_id=leave_id)
            messages.success(request, gettext("请假已撤销。"))
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc, nav="policy")
        # The page again, as it was read before the refused write (nothing was written).
        return render(request, "staffing/policy.html",
                      {**context, "error": exc, "errors": field_messages(exc), "part": part, "form": post},
                      status=exc.status)
    return _back(center.pk)


urlpatterns: list[URLPattern] = [
    path("policy/", policy, name="policy"),
    path("policy/target/", policy_post, {"part": "policy"}, name="policy_update"),
    path("policy/terms/", policy_post, {"part": "terms"}, name="terms_set"),
    path("policy/leave/", policy_post, {"part": "leave"}, name="leave_add"),
    path("policy/leave/<int:leave_id>/remove/", policy_post, {"part": "leave_remove"}, name="leave_remove"),
]
