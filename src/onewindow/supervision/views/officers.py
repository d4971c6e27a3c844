"""The officer roster pages (执法人员名录库, DOMAIN.md R4.1): the list for supervision staff, and
the form by which a department's admin adds an officer (``services.officer_create``)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core.errors import DomainError, field_messages
from onewindow.core.models import Department, Region
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from .. import selectors, services
from ..choices import Specialty
from .common import error_page, require_staff

PAGE_SIZE = 50


def _managed_departments(user: object) -> list[Department]:
    """The departments whose roster the user keeps (all active ones for a system admin)."""
    if selectors.is_system_admin(user):
        return list(Department.objects.filter(is_active=True).order_by("sort_order", "id"))
    ids = perms.department_ids(user, perms.OFFICER_ADMIN_ROLES)
    return list(Department.objects.filter(pk__in=ids, is_active=True).order_by("sort_order", "id"))


@login_required
@require_GET
def officer_list(request: HttpRequest) -> HttpResponse:
    """The roster, by department and specialty, with each officer's areas and period."""
    g = request.GET
    department = g.get("department", "")
    specialty = g.get("specialty", "") if g.get("specialty", "") in Specialty.values else ""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    rows = selectors.officer_list_for(
        request.user, department_id=department if department.isdigit() else None, specialty=specialty
    )
    result = paginate(rows, page_number(g.get("page")), PAGE_SIZE)
    departments = Department.objects.filter(officers__isnull=False).distinct().order_by("sort_order", "id")
    return render(
        request,
        "supervision/officers.html",
        {
            "nav": "officers",
            "rows": result.items,
            "page": result,
            "departments": departments,
            "department": int(department) if department.isdigit() else None,
            "specialty": specialty,
            "specialties": Specialty.choices,
            "may_add": bool(_managed_departments(request.user)),
        },
    )


def _date(value: str) -> datetime.date | str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return value  # the service refuses it with the field named


def _form_page(request: HttpRequest, data: QueryDict | None, error: DomainError | None = None) -> HttpResponse:
    departments = _managed_departments(request.user)
    streets = Region.objects.filter(
        level="street", parent__code__in={d.region.code for d in departments if d.region.level == "district"}
    )
    return render(
        request,
        "supervision/officer_form.html",
        {
            "nav": "officers",
            "departments": departments,
            "streets": streets.order_by("sort_order", "code"),
            "specialties": Specialty.choices,
            "data": data or QueryDict(),
            "error": error,
            "checked": (data or QueryDict()).getlist("specialties"),
            "checked_areas": (data or QueryDict()).getlist("areas"),
            "field_errors": field_messages(error),
        },
        status=error.status if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def officer_new(request: HttpRequest) -> HttpResponse:
    """新增执法人员: a department's admin (or a system admin) adds one officer."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    if request.method == "GET":
        return _form_page(request, None)
    post = request.POST
    try:
        active_from = _date(post.get("active_from", "")[:20])
        officer = services.officer_create(
            by=request.user,
            department_id=post.get("department_id", "")[:20],
            name=post.get("name", "")[:100],
            certificate_number=post.get("certificate_number", "")[:64],
            active_from=active_from,
            active_to=_date(post.get("active_to", "")[:20]),
            specialties=post.getlist("specialties")[:30],
            area_ids=post.getlist("areas")[:100],
        )
    except DomainError as exc:
        return _form_page(request, post, exc)
    messages.success(
        request,
        gettext("已登记执法人员 %(name)s（%(number)s）。")
        % {"name": officer.name, "number": officer.certificate_number},
    )
    return redirect("supervision:officers")


urlpatterns: list[URLPattern] = [
    path("officers/", officer_list, name="officers"),
    path("officers/new/", officer_new, name="officer-new"),
]
