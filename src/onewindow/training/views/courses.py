"""Pages of courses: ``/training/courses/new/`` (from a key-training proposal or a signal: the
items come prefilled), ``/training/courses/<id>/`` (its sessions and the form to plan one) and
``/training/courses/<id>/effect/`` (ratings and handling times before and after each session).
The center manager only; anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import DomainError, NotFound, field_messages
from onewindow.core.pagination import page_number

from .. import permissions, selectors, services
from ..choices import CourseBasis
from ..selectors.courses import center_clerks
from .common import chosen_center, error_page, managed


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19][:50]


@login_required
@require_http_methods(["GET", "POST"])
def course_new(request: HttpRequest) -> HttpResponse:
    centers = managed(request)
    source = request.POST if request.method == "POST" else request.GET
    center = chosen_center(request, centers) if request.method == "GET" else next(
        (c for c in centers if str(c.pk) == str(source.get("center", ""))), None)
    if center is None:
        return error_page(request, NotFound(gettext("找不到该中心，或您无权查看其培训。"),
                                            code="training_center_not_found"))
    item_ids = _ids(source.getlist("item"))
    basis = str(source.get("basis", CourseBasis.MANUAL))
    error: DomainError | None = None
    if request.method == "POST":
        try:
            course = services.course_create(by=request.user, center_id=center.pk, title=source.get("title", ""),
                                            item_ids=item_ids, basis=basis, note=source.get("note", ""))
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, gettext("培训课程已创建，请安排场次。"))
            return redirect("training:course", course_id=course.pk)
    items = list(ServiceItem.objects.filter(pk__in=item_ids).order_by("pk"))
    choices = list(center.items.order_by("name")[:300])
    title = source.get("title") or (gettext("%(item)s业务培训") % {"item": items[0].name} if len(items) == 1 else "")
    context: dict[str, Any] = {"center": center, "items": items, "choices": choices, "basis": basis,
                               "bases": CourseBasis.choices, "title": title, "note": source.get("note", ""),
                               "error": error, "errors": field_messages(error), "nav": "courses"}
    return render(request, "training/course_new.html", context, status=error.status if error else 200)


def _course_context(request: HttpRequest, course_id: Any) -> dict[str, Any]:
    course = selectors.course_detail(by=request.user, course_id=course_id)
    sessions = selectors.session_list(by=request.user, center_id=course.center_id, course_id=course.pk)
    clerks = center_clerks(by=request.user, center_id=course.center_id)
    return {"course": course, "sessions": sessions, "clerks": clerks, "nav": "courses"}


@login_required
@require_http_methods(["GET", "POST"])
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    try:
        context = _course_context(request, course_id)
    except DomainError as exc:
        return error_page(request, exc)
    if request.method == "POST":
        post = request.POST
        try:
            session = services.session_plan(by=request.user, course=context["course"],
                                            starts_at=post.get("starts_at", ""), ends_at=post.get("ends_at", ""),
                                            place=post.get("place", ""), trainer=post.get("trainer", ""),
                                            clerk_ids=_ids(post.getlist("clerk")))
        except DomainError as exc:
            context.update(error=exc, errors=field_messages(exc), form=post, invited=set(_ids(post.getlist("clerk"))))
            return render(request, "training/course.html", context, status=exc.status)
        messages.success(request, gettext("培训场次已安排。"))
        return redirect("training:session", session_id=session.pk)
    context.update(form={}, invited={c["id"] for c in context["clerks"] if not c["is_manager"]})
    return render(request, "training/course.html", context)


@login_required
@require_GET
def course_effect(request: HttpRequest, course_id: int) -> HttpResponse:
    days = page_number(request.GET.get("days")) if request.GET.get("days") else None
    try:
        effect = selectors.course_effect(by=request.user, course_id=course_id,
                                         days=max(7, min(days, 365)) if days else None)
    except DomainError as exc:
        return error_page(request, exc)
    before, after = gettext("培训前"), gettext("培训后")
    for row in effect["sessions"]:
        row["groups"] = [(gettext("课程事项"), [(before, row["items"]["before"]), (after, row["items"]["after"])]),
                         (gettext("出席人员"), [(before, row["clerks"]["before"]), (after, row["clerks"]["after"])])]
    return render(request, "training/effect.html", {**effect, "nav": "courses"})


@login_required
@require_GET
def records(request: HttpRequest) -> HttpResponse:
    """A clerk's own records; the manager of ``center`` may look at one of the center's clerks."""
    clerk = request.GET.get("clerk", "")
    center = request.GET.get("center", "")
    center_id = int(center) if center.isdigit() and len(center) < 19 else None
    try:
        rows = selectors.clerk_records(by=request.user, clerk_id=clerk or None, center_id=center_id)
    except DomainError as exc:
        return error_page(request, exc)
    own = not clerk or str(clerk) == str(request.user.pk)
    name = ""
    if not own and center_id is not None and permissions.can_manage(request.user, center_id):
        name = next((c["name"] for c in center_clerks(by=request.user, center_id=center_id)
                     if str(c["id"]) == str(clerk)), "")
    return render(request, "training/records.html", {"rows": rows, "own": own, "name": name, "nav": "records"})


urlpatterns: list[URLPattern] = [
    path("courses/new/", course_new, name="course_new"),
    path("courses/<int:course_id>/", course_detail, name="course"),
    path("courses/<int:course_id>/effect/", course_effect, name="effect"),
    path("records/", records, name="records"),
]
