"""The page of one session (``/training/sessions/<id>/``): the manager holds or cancels it and
records attendance (出席/缺席/请假 per invited clerk); an invited clerk sees the session and their
own row; anyone else 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, field_messages

from .. import selectors, services, workflow
from ..choices import AttendanceStatus, SessionAction
from .common import error_page

MARKS = [(s.value, s.label) for s in (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)]


def _page(request: HttpRequest, session_id: int, error: DomainError | None = None) -> HttpResponse:
    try:
        detail = selectors.session_detail(by=request.user, session_id=session_id)
    except DomainError as exc:
        return error_page(request, exc)
    status = detail["session"].status
    context: dict[str, Any] = {**detail, "marks": MARKS, "error": error, "errors": field_messages(error),
                               "can_hold": detail["manages"] and workflow.can(SessionAction.HOLD, status),
                               "can_cancel": detail["manages"] and workflow.can(SessionAction.CANCEL, status),
                               "can_record": detail["manages"] and workflow.can(SessionAction.RECORD, status),
                               "nav": "courses"}
    return render(request, "training/session.html", context, status=error.status if error else 200)


@login_required
@require_GET
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    return _page(request, session_id)


@login_required
@require_POST
def session_act(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    post = request.POST
    try:
        if action == "hold":
            services.session_hold(by=request.user, session=session_id)
            messages.success(request, gettext("已标记为已举办，请登记出勤。"))
        elif action == "cancel":
            services.session_cancel(by=request.user, session=session_id, reason=post.get("reason", ""))
            messages.success(request, gettext("培训场次已取消。"))
        else:
            marks = {key.removeprefix("mark-"): value for key, value in post.items() if key.startswith("mark-")}
            services.attendance_record(by=request.user, session=session_id, marks=marks)
            messages.success(request, gettext("出勤已登记。"))
    except DomainError as exc:
        if exc.status == 404:
            return error_page(request, exc)
        return _page(request, session_id, exc)
    return redirect("training:session", session_id=session_id)


urlpatterns: list[URLPattern] = [
    path("sessions/<int:session_id>/", session_detail, name="session"),
    path("sessions/<int:session_id>/hold/", session_act, {"action": "hold"}, name="session_hold"),
    path("sessions/<int:session_id>/cancel/", session_act, {"action": "cancel"}, name="session_cancel"),
    path("sessions/<int:session_id>/attendance/", session_act, {"action": "record"}, name="attendance"),
]
