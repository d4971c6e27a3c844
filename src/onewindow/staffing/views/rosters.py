"""``/staffing/rosters/<id>/``: a week's roster (排班表, issue #15 part 3): its shifts per date with
breaks and window assignments ("window 7 serves B until 11:30"); on a draft the manager adds a
shift (with one window assignment) or removes one, and publishes the roster. A shift that breaks a
duty rule (length, break, part-time hours, leave, qualification, a window taken twice) is refused
with the rule named in Chinese and nothing written. The center manager only; anyone else 404.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.centers.models import TicketCategory, Window
from onewindow.core.errors import DomainError, NotFound, field_messages

from ..choices import RosterStatus
from ..models import Roster
from ..selectors import roster as roster_selectors
from ..services import roster as roster_services
from .common import error_page, ids, number, required_day, seconds, time_of_day


def _context(request: HttpRequest, roster_id: int) -> dict[str, Any]:
    roster: Roster | None = roster_selectors.roster_for(request.user, roster_id)
    if roster is None:
        raise NotFound(gettext("找不到该排班表。"), code="staffing_roster_not_found")
    shifts = list(roster_selectors.roster_shifts(roster.pk))
    by_date: dict[datetime.date, list[Any]] = defaultdict(list)
    for shift in shifts:
        by_date[shift.date].append(shift)
    dates = [roster.week_start + datetime.timedelta(days=d) for d in range(7)]
    return {"roster": roster, "center": roster.center, "manages": True, "nav": "proposals",
            "days": [(d, by_date.get(d, [])) for d in dates], "dates": dates, "count": len(shifts),
            "draft": roster.status == RosterStatus.DRAFT,
            "clerks": roster_selectors.clerks_of(roster.center_id, roster.week_start),
            "windows": list(Window.objects.filter(center_id=roster.center_id).order_by("number")),
            "categories": list(TicketCategory.objects.filter(center_id=roster.center_id).order_by("sort", "prefix"))}


def _page(request: HttpRequest, roster_id: int, *, error: DomainError | None = None,
          form: Any = None) -> HttpResponse:
    try:
        context = _context(request, roster_id)
    except DomainError as exc:
        return error_page(request, exc, nav="proposals")
    context.update(error=error, errors=field_messages(error), form=form or {},
                   chosen=set(ids(form.getlist("category"))) if form is not None else set())
    return render(request, "staffing/roster.html", context, status=error.status if error else 200)


@login_required
@require_GET
def roster_detail(request: HttpRequest, roster_id: int) -> HttpResponse:
    return _page(request, roster_id)


def _shift_args(post: Any) -> dict[str, Any]:
    starts = time_of_day(post.get("starts"), "starts")
    ends = time_of_day(post.get("ends"), "ends")
    break_starts = time_of_day(post.get("break_starts"), "break_starts", required=False)
    break_ends = time_of_day(post.get("break_ends"), "break_ends", required=False)
    window = number(post.get("window"), "window", low=1, high=2**62, required=False)
    assignments = []
    if window is not None:
        a_starts = time_of_day(post.get("a_starts"), "a_starts", required=False) or starts
        a_ends = time_of_day(post.get("a_ends"), "a_ends", required=False) or ends
        assert a_starts is not None and a_ends is not None
        assignments.append((window, frozenset(ids(post.getlist("category"))), seconds(a_starts), seconds(a_ends)))
    return {"user_id": number(post.get("user"), "user", low=1, high=2**62),
            "date": required_day(post.get("date"), "date"), "starts": starts, "ends": ends,
            "break_starts": break_starts, "break_ends": break_ends,
            "assignments": assignments}


@login_required
@require_POST
def roster_act(request: HttpRequest, roster_id: int, action: str, shift_id: int | None = None) -> HttpResponse:
    post = request.POST
    try:
        if action == "add":
            roster_services.shift_save(by=request.user, roster_id=roster_id, **_shift_args(post))
            messages.success(request, gettext("班次已添加。"))
        elif action == "delete":
            roster_services.shift_delete(by=request.user, shift_id=shift_id)
            messages.success(request, gettext("班次已删除。"))
        else:
            roster_services.roster_publish(by=request.user, roster_id=roster_id)
            messages.success(request, gettext("排班表已发布，工作人员可在“我的排班”中查看。"))
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc, nav="proposals")
        return _page(request, roster_id, error=exc, form=post if action == "add" else None)
    return redirect("staffing:roster", roster_id=roster_id)


urlpatterns: list[URLPattern] = [
    path("rosters/<int:roster_id>/", roster_detail, name="roster"),
    path("rosters/<int:roster_id>/shifts/", roster_act, {"action": "add"}, name="shift_add"),
    path("rosters/<int:roster_id>/shifts/<int:shift_id>/delete/", roster_act, {"action": "delete"},
         name="shift_delete"),
    path("rosters/<int:roster_id>/publish/", roster_act, {"action": "publish"}, name="roster_publish"),
]
