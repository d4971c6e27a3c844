"""Pages of the 联合惩戒 lists under ``/market/sanctions/`` (parse, call one selector or service, render).

- the profile section of an entity (``market/_sanctions.html`` loads it with htmx);
- the lists with filters (list, status, department, credit code) for supervising staff, with the
  form of the listing department's regulator, data clerk or admin that lists an entity (列入);
- one entry with its timeline, where the entity or the listing department asks for a credit repair
  and the listing department's regulator or admin decides it.

Anonymous visitors are sent to the login page; a refusal renders its message with its status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.pagination import paginate
from onewindow.core.selectors import department_list

from .. import records_selectors
from .. import sanctions_selectors as selectors
from ..choices import RecordChannel, SanctionList, SanctionMeasure, SanctionStatus, SanctionSubject
from ..services import sanctions


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "market/records/error.html", {"error": exc}, status=exc.status)


def _page(value: Any) -> int:
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def entity_section(request: HttpRequest, organization_id: int) -> HttpResponse:
    """联合惩戒 on the profile: the entity's listings, active first (staff, or the entity itself)."""
    try:
        entity = records_selectors.entity_for(request.user, organization_id=organization_id)
    except DomainError as exc:
        return _error(request, exc)
    listings = selectors.entity_listings_for(request.user, entity)
    context = {"entity": entity, "listings": listings}
    if request.headers.get("HX-Request"):
        return render(request, "market/sanctions/_entity.html", context)
    return render(request, "market/sanctions/entity.html", context)


@login_required
@require_GET
def listing_list(request: HttpRequest) -> HttpResponse:
    """The lists (联合惩戒名单) with filters, for supervising staff of every department."""
    if not selectors.sees_every_list(request.user):
        return _error(request, PermissionDenied(_("您无权查看联合惩戒名单。"), code="sanction_list_forbidden"))
    list_kind = request.GET.get("list_kind", "")[:30]
    status = request.GET.get("status", "")[:30]
    department = request.GET.get("department", "").strip()[:12]
    credit_code = request.GET.get("credit_code", "").strip()[:18]
    rows = paginate(
        selectors.listing_list_for(
            request.user,
            department_id=department if department.isdigit() else None,
            list_kind=list_kind,
            status=status,
            credit_code=credit_code,
        ),
        _page(request.GET.get("page")),
        50,
    )
    filters = {"list_kind": list_kind, "status": status, "department": department, "credit_code": credit_code}
    return render(
        request,
        "market/sanctions/list.html",
        {
            "rows": rows,
            "filters": filters,
            "lists": SanctionList.choices,
            "statuses": SanctionStatus.choices,
            **_add_form(request.user),
        },
    )


#: The text fields of the listing form and their longest accepted input (the service checks them).
ADD_FIELDS = {
    "list_kind": 30,
    "subject_type": 20,
    "source_id": 64,
    "subject_name": 200,
    "credit_code": 30,
    "id_number": 30,
    "reason": 2000,
    "legal_basis": 2000,
    "listed_on": 20,
    "removable_on": 20,
    "refused_items": 2000,
    "refused_item_types": 2000,
    "draw_weight": 20,
}


def _add_form(user: Any, posted: dict[str, Any] | None = None, error: DomainError | None = None) -> dict[str, Any]:
    """The context of the listing form: the departments ``user`` lists for (none: no form), the
    choices, what was posted and the refusal with its messages per field."""
    ids = selectors.lister_department_ids(user)
    departments = list(department_list(active_only=False).filter(pk__in=ids)) if ids else []
    return {
        "add_departments": departments,
        "add_lists": SanctionList.choices,
        "add_subjects": SanctionSubject.choices,
        "add_measures": SanctionMeasure.choices,
        "add_posted": posted or {"subject_type": SanctionSubject.ORGANIZATION},
        "add_error": error,
        "add_fields": {name: [str(m) for m in texts] for name, texts in (error.fields if error else {}).items()},
    }


@login_required
@require_http_methods(["GET", "POST"])
def listing_add(request: HttpRequest) -> HttpResponse:
    """列入: the listing department's regulator, data clerk or admin lists an entity through
    :func:`~onewindow.market.services.sanctions.sanction_list` (the same source record id again
    corrects the entry). A refusal re-renders the form with its code and the messages per field
    (4xx, nothing written); others get 403 ``sanction_not_listing_department``."""
    if not selectors.lister_department_ids(request.user):
        return _error(
            request,
            PermissionDenied(_("只有列入部门可以报送或更正其名单。"), code="sanction_not_listing_department"),
        )
    if request.method != "POST":
        return render(request, "market/sanctions/add.html", _add_form(request.user))
    posted: dict[str, Any] = {name: request.POST.get(name, "")[:size] for name, size in ADD_FIELDS.items()}
    posted["measures"] = [m[:30] for m in request.POST.getlist("measures")[:10]]
    department = request.POST.get("department", "").strip()[:12]
    try:
        result = sanctions.sanction_list(
            by=request.user, entry=posted, department=department or None, channel=RecordChannel.UPLOAD
        )
    except DomainError as exc:
        posted["department"] = department
        return render(request, "market/sanctions/add.html", _add_form(request.user, posted, exc), status=exc.status)
    if result.outcome == "created":
        messages.success(request, _("已列入名单。"))
    elif result.outcome == "corrected":
        revision = {"n": result.listing.revision}
        messages.success(request, _("来源记录编号已存在，已按更正处理（第 %(n)s 版）。") % revision)
    else:
        messages.info(request, _("内容与已报送的名单条目相同，未作改动。"))
    return redirect(reverse("market:sanction-detail", args=[result.listing.pk]))


@login_required
@require_GET
def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    """One entry with its timeline and the forms its viewer may use."""
    try:
        listing = selectors.listing_get_for(request.user, listing_id)
    except DomainError as exc:
        return _error(request, exc)
    may_request = listing.status == SanctionStatus.LISTED and (
        selectors.speaks_for(request.user, listing)
        or listing.department_id in selectors.lister_department_ids(request.user)
    )
    may_review = listing.status == SanctionStatus.REPAIR_REQUESTED and (
        listing.department_id in selectors.reviewer_department_ids(request.user)
    )
    return render(
        request,
        "market/sanctions/detail.html",
        {"listing": listing, "may_request": may_request, "may_review": may_review},
    )


@login_required
@require_POST
def listing_repair(request: HttpRequest, listing_id: int) -> HttpResponse:
    """信用修复: the entity or the listing department asks for removal, with the reason."""
    try:
        sanctions.sanction_request_repair(
            by=request.user, listing_id=listing_id, reason=request.POST.get("reason", "")[:2000]
        )
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("信用修复申请已提交，列入部门将审核。"))
    return redirect(reverse("market:sanction-detail", args=[listing_id]))


@login_required
@require_POST
def listing_review(request: HttpRequest, listing_id: int) -> HttpResponse:
    """The listing department decides a credit repair: remove (准予移出) or keep (不予移出)."""
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")[:2000]
    try:
        if decision == "approve":
            sanctions.sanction_repair_approve(by=request.user, listing_id=listing_id, note=note)
        elif decision == "reject":
            sanctions.sanction_repair_reject(by=request.user, listing_id=listing_id, note=note)
        else:
            raise DomainError(_("请选择审核结果。"), code="sanction_decision_required", status=422)
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("已审核信用修复申请。"))
    return redirect(reverse("market:sanction-detail", args=[listing_id]))
