"""Pages of 差评回访 (follow-up of bad ratings): the list of the user's follow-ups with their due
dates (overdue ones highlighted) and the detail with the rating and the two steps — contact note
(调查核实、回访) and fix + reply (整改、反馈), 国办发〔2019〕51号.

Actors: department admins and center managers whose role covers the rated body, system admins.
Anonymous visitors are sent to the login page; users with neither role get 403; a follow-up out of
scope answers 404. Views parse, call one service or selector, and render; a refusal re-renders the
page with its message and HTTP status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError

from . import selectors, services
from .models import FollowUp

PAGE = 100


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "ratings/error.html", {"error": exc}, status=exc.status)


@login_required
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    """差评回访: the follow-ups in the user's scope, open ones first by due date."""
    status = request.GET.get("status", "")
    status = status if status in FollowUp.Status.values else ""
    try:
        rows = list(selectors.followup_list_for(request.user, status=status)[:PAGE])
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "ratings/followups.html", {
        "rows": rows, "status": status, "statuses": FollowUp.Status.choices, "today": timezone.localdate()})


def _detail(request: HttpRequest, followup_id: Any, error: DomainError | None = None,
            failed: str = "") -> HttpResponse:
    try:
        view = selectors.followup_get_for(request.user, followup_id)
    except DomainError as exc:
        return _error(request, exc)
    errors = {k: [str(m) for m in v] for k, v in (error.fields if error else {}).items()}
    return render(request, "ratings/followup.html", {
        "v": view, "f": view.followup, "r": view.followup.rating, "error": error, "failed": failed, "errors": errors,
        "posted": request.POST if request.method == "POST" else {}}, status=error.status if error else 200)


@login_required
@require_GET
def followup_detail(request: HttpRequest, followup_id: int) -> HttpResponse:
    """One follow-up: the rating (level, comment, channel, the service or case) and its forms."""
    return _detail(request, followup_id)


@login_required
@require_POST
def followup_contact(request: HttpRequest, followup_id: int) -> HttpResponse:
    """回访: record the contact note (followup_contact)."""
    try:
        services.followup_contact(by=request.user, followup_id=followup_id,
                                  note=request.POST.get("note", "")[:2000])
    except DomainError as exc:
        return _detail(request, followup_id, exc, "contact") if exc.status not in (403, 404) \
            else _error(request, exc)
    messages.success(request, gettext("已记录回访情况。"))
    return redirect("ratings:followup", followup_id=followup_id)


@login_required
@require_POST
def followup_close(request: HttpRequest, followup_id: int) -> HttpResponse:
    """办结: record the fix and the reply to the person (followup_close)."""
    try:
        services.followup_close(by=request.user, followup_id=followup_id,
                                fix_note=request.POST.get("fix_note", "")[:2000],
                                reply=request.POST.get("reply", "")[:2000])
    except DomainError as exc:
        return _detail(request, followup_id, exc, "close") if exc.status not in (403, 404) \
            else _error(request, exc)
    messages.success(request, gettext("差评回访已办结。"))
    return redirect("ratings:followup", followup_id=followup_id)


urlpatterns: list[URLPattern] = [
    path("followups/", followup_list, name="followups"),
    path("followups/<int:followup_id>/", followup_detail, name="followup"),
    path("followups/<int:followup_id>/contact/", followup_contact, name="followup-contact"),
    path("followups/<int:followup_id>/close/", followup_close, name="followup-close"),
]
