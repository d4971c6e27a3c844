"""Staff pages of case handling (办件工作台): the inbox (待办), the review queue of online applications
(网上办理审核) with bulk acceptance, the case detail with one form per allowed action, the window
entry for walk-in applicants (窗口受理, 一口受理) and the continuation of kiosk drafts (窗口续办).

Actors: window clerks, reviewers, center managers and department admins in scope, and system
admins. Anonymous visitors are sent to the login page; logins without a case role get a 403 page;
a case outside the user's scope answers 404 (no existence leak). Views parse, call one service or
selector, and render; a refusal re-renders the page with its message and HTTP status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts import selectors as account_selectors
from onewindow.accounts import services as account_services
from onewindow.catalog import selectors as catalog_selectors
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.masking import mask_id_number
from onewindow.core.models import Department
from onewindow.market import sanctions_selectors

from .. import permissions as perms
from .. import selectors, services, staff_forms
from ..choices import (
    CaseAction,
    CaseStatus,
    ClockKind,
    ClockLevel,
    DeliveryMethod,
    RefusalReason,
    SuspensionBasis,
)
from ..deadlines import EXTENSION_DAYS
from ..models import Case, Licence
from ..services.origins import window_channel

#: The service behind each action form of the detail page (``/cases/staff/<id>/<action>/``).
ACTION_SERVICES: dict[str, Callable[..., Any]] = {
    CaseAction.SUBMIT: services.case_submit,
    CaseAction.START_PRE_REVIEW: services.case_start_pre_review,
    CaseAction.REQUEST_CORRECTION: services.case_request_correction,
    CaseAction.RESUBMIT: services.case_resubmit,
    CaseAction.ACCEPT: services.case_accept,
    CaseAction.REFUSE: services.case_refuse,
    CaseAction.FORWARD: services.case_forward,
    CaseAction.START_REVIEW: services.case_start_review,
    CaseAction.SUSPEND: services.case_suspend,
    CaseAction.RESUME: services.case_resume,
    CaseAction.EXTEND: services.case_extend,
    CaseAction.APPROVE: services.case_approve,
    CaseAction.REJECT: services.case_reject,
    CaseAction.DELIVER: services.case_deliver,
    CaseAction.WITHDRAW: services.case_withdraw,
    CaseAction.REASSIGN: services.case_reassign,
}
REVIEW_PAGE = 50


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "cases/staff/error.html", {"error": exc}, status=exc.status)


def _require_case_staff(user: Any) -> None:
    """The staff pages are for holders of a case role (or system admins)."""
    if perms.staff_department_ids(user) == set():
        raise PermissionDenied(_("只有办件工作人员可以打开此页面。"), code="staff_only")


def _page(value: Any) -> int:
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1


def _with_parties(rows: list[Case]) -> list[Case]:
    """Load applicants and handlers of a page of rows in a constant number of queries."""
    prefetch_related_objects(rows, "applicant_person", "applicant_organization", "handler__person")
    return rows


def _field_messages(error: DomainError | None) -> list[str]:
    return [str(m) for msgs in (error.fields.values() if error else []) for m in msgs]


def _staff_case(user: Any, case_id: Any) -> Case:
    """A case in the user's staff scope (not merely visible as its applicant); 404 otherwise."""
    case = selectors.case_get_for(user, case_id)
    if not perms.staff_case_queryset_for(user).filter(pk=case.pk).exists() or not selectors.staff_may_open(case):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


# ---- inbox ---------------------------------------------------------------------------------------

@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """待办: the cases of the user's scope, filtered and sorted (deadline first by default)."""
    g = request.GET
    status = g.get("status", "") if g.get("status", "") in CaseStatus.values else ""
    level = g.get("level", "") if g.get("level", "") in ClockLevel.values else ""
    sort = g.get("sort", "due") if g.get("sort", "due") in ("due", "new", "old") else "due"
    q = g.get("q", "").strip()[:60]
    mine = g.get("mine") == "1"
    department = _page(g.get("department")) if (g.get("department") or "").isdigit() else None
    try:
        _require_case_staff(request.user)
        box = selectors.inbox_for(request.user, status=status, level=level, q=q, mine=mine, sort=sort,
                                  page=_page(g.get("page")), department_id=department)
    except DomainError as exc:
        return _error(request, exc)
    params = g.copy()
    params.pop("page", None)
    tabs: list[tuple[str, Any, int | None]] = [
        ("", _("全部待办"), sum(box.counts.get(s, 0) for s in selectors.OPEN_FOR_STAFF))]
    tabs += [(s.value, s.label, box.counts.get(s.value, 0 if s in selectors.OPEN_FOR_STAFF else None))
             for s in CaseStatus if s != CaseStatus.DRAFT]
    return render(request, "cases/staff/inbox.html", {
        "box": box, "rows": _with_parties(box.rows), "tabs": tabs, "status": status, "level": level, "q": q,
        "mine": mine, "sort": sort, "department": department, "query": params.urlencode(),
        "departments": selectors.inbox_departments_for(request.user), "levels": ClockLevel.choices,
        "sorts": [("due", _("按到期日")), ("new", _("最新提交")), ("old", _("最早提交"))]})


# ---- review queue and bulk acceptance ------------------------------------------------------------

def _review(request: HttpRequest, *, results: list[dict[str, Any]] | None = None,
            error: DomainError | None = None) -> HttpResponse:
    try:
        _require_case_staff(request.user)
        queue = selectors.review_queue_for(request.user)
    except DomainError as exc:
        return _error(request, exc)
    total = queue.count()
    pages = max(1, -(-total // REVIEW_PAGE))
    page = min(_page(request.GET.get("page")), pages)
    rows = _with_parties(list(queue[(page - 1) * REVIEW_PAGE: page * REVIEW_PAGE]))
    return render(request, "cases/staff/review.html", {
        "rows": rows, "total": total, "page": page, "pages": pages, "results": results, "error": error},
        status=error.status if error else 200)


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    """网上办理审核: online and WeChat applications waiting for pre-review or acceptance, oldest first."""
    return _review(request)


@login_required
@require_POST
def review_bulk_accept(request: HttpRequest) -> HttpResponse:
    """批量受理: each ticked case through ``case_accept`` on its own (all or nothing per case); the
    page reports which were accepted and which were refused, with the reason."""
    try:
        _require_case_staff(request.user)
        ids = staff_forms.bulk_case_ids(request.POST)
    except DomainError as exc:
        return _review(request, error=exc) if exc.status == 422 else _error(request, exc)
    results: list[dict[str, Any]] = []
    for case_id in ids:
        try:
            case = services.case_accept(by=request.user, case_id=case_id)
        except DomainError as exc:
            results.append({"id": case_id, "ok": False, "message": str(exc.message), "code": exc.code})
        else:
            results.append({"id": case_id, "ok": True, "number": case.number, "title": case.title})
    return _review(request, results=results)


# ---- detail and actions --------------------------------------------------------------------------

def _detail(request: HttpRequest, case_id: Any, *, error: DomainError | None = None, failed: str = "",
            posted: Any = None) -> HttpResponse:
    try:
        _require_case_staff(request.user)
        case = _staff_case(request.user, case_id)
    except DomainError as exc:
        return _error(request, exc)
    # 转报 is offered only where it means something: a case received for another body (代收代办).
    actions = [a for a in selectors.actions_for(request.user, case)
               if a in ACTION_SERVICES and (a != CaseAction.FORWARD or case.is_forwarded_case)]
    clocks = list(case.clocks.prefetch_related("suspensions", "extensions").order_by("id"))
    decision = next((c for c in clocks if c.kind == ClockKind.DECISION and c.stopped_on is None), None)
    schema = case.item_version.form_schema or {}
    notes = selectors.deadline_notes_for(case)
    case.provisional_year = notes.provisional_year  # type: ignore[attr-defined]  # for _due.html
    context = {
        "case": case, "actions": actions, "error": error, "failed": failed, "posted": posted or {},
        "notes": notes,
        "timeline": selectors.timeline_for(request.user, case),
        "clocks": clocks,
        "documents": list(case.documents.order_by("id")),
        "licence": Licence.objects.filter(case=case).first(),
        "uploads": list(case.materials.filter(removed_at__isnull=True, shared_resource="").select_related("material")
                        .order_by("id")),
        "prefill": services.prefill_view_for(request.user, case),  # sources, values, corrections (issue #13)
        "version_materials": list(case.item_version.materials.order_by("sort", "id")),
        "form_rows": staff_forms.form_rows(schema, case.form_data or {}),
        "edit_fields": (staff_forms.form_fields(schema, case.form_data or {},
                                                error.fields if error and failed == "update" else None)
                        if {"submit", "resubmit"} & set(actions) else []),
        "field_messages": _field_messages(error),
        "free_items": range(staff_forms.FREE_ITEMS),
        "extension_left": EXTENSION_DAYS - (decision.extended_days if decision else 0),
        "handlers": selectors.handler_choices(case) if "reassign" in actions else [],
        "refusal_reasons": RefusalReason.choices, "suspension_bases": SuspensionBasis.choices,
        "delivery_methods": DeliveryMethod.choices,
        "action_forms": [(a, CaseAction(a).label) for a in actions],
        "sanctions": _sanctions(case),
    }
    return render(request, "cases/staff/detail.html", context, status=error.status if error else 200)


def _sanctions(case: Case) -> list[tuple[Any, bool]]:
    """联合惩戒 the clerk must see (issue #12 part 7): the applicant's listings with a window measure
    (an organization's by credit code, a person's by ID number), each with whether it refuses this
    item (then acceptance is refused)."""
    if case.applicant_organization_id is not None:
        entries = sanctions_selectors.sanctions_for_organization(case.applicant_organization_id)
    elif case.applicant_person is not None:
        entries = sanctions_selectors.sanctions_for_person(case.applicant_person)
    else:
        return []
    listed = sanctions_selectors.window_sanctions(entries)
    if not listed:
        return []
    type_code = case.item_version.item_type.code
    return [(e, sanctions_selectors.refusal_for_item([e], item_code=case.item.code, item_type_code=type_code)
             is not None) for e in listed]


@login_required
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """办件详情: everything staff need to decide, and the forms of the actions they may take now."""
    return _detail(request, case_id)


@login_required
@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    """One action of the workflow: parse the form, call its one service, show the result."""
    service = ACTION_SERVICES.get(action)
    if service is None:
        return _error(request, NotFound(_("找不到该操作。"), code="action_not_found"))
    try:
        _require_case_staff(request.user)
        kwargs = staff_forms.action_arguments(action, request.POST)
        service(by=request.user, case_id=case_id, **kwargs)
    except DomainError as exc:
        return _detail(request, case_id, error=exc, failed=action, posted=request.POST)
    messages.success(request, gettext("已完成：%(action)s") % {"action": CaseAction(action).label})
    return redirect("cases:staff-detail", case_id=case_id)


@login_required
@require_POST
def case_update_form(request: HttpRequest, case_id: int) -> HttpResponse:
    """窗口核对: the clerk corrects the application form of a window or kiosk draft before submitting."""
    try:
        _require_case_staff(request.user)
        case = _staff_case(request.user, case_id)
        services.case_update(by=request.user, case_id=case.pk,
                             form_data=staff_forms.form_data(case.item_version.form_schema or {}, request.POST))
    except DomainError as exc:
        return _detail(request, case_id, error=exc, failed="update", posted=request.POST)
    messages.success(request, gettext("申请表已保存。"))
    return redirect("cases:staff-detail", case_id=case_id)


# ---- window entry (窗口受理) -----------------------------------------------------------------------

def _window_context(request: HttpRequest, data: Any) -> dict[str, Any]:
    """The state of the window entry page: applicant, item and form (each step read-only)."""
    user = request.user
    context: dict[str, Any] = {"id_number": str(data.get("id_number", "")).strip()[:30],
                               "q": str(data.get("q", "")).strip()[:60], "item_code": str(data.get("item", ""))[:36],
                               "person_ref": str(data.get("person", "")).strip()[:24],
                               "key": str(data.get("key", "")).strip()[:64] or uuid.uuid4().hex}
    if context["person_ref"]:  # the public reference: person URLs are not enumerable (issue #9)
        context["person"] = account_selectors.person_detail_for(user, context["person_ref"])
    elif context["id_number"] and request.method == "POST":
        context["matches"] = account_selectors.person_lookup_for(user, context["id_number"])
    if context["q"]:
        context["items"] = selectors.window_items(context["q"])
    if context["item_code"]:
        item = catalog_selectors.item_get_for(user, context["item_code"])
        context["item"] = item
        schema = item.current_version.form_schema if item.current_version else {}
        context["fields"] = staff_forms.form_fields(schema or {}, {})
    context["id_masked"] = mask_id_number(context["id_number"])
    context["departments"] = selectors.receiving_departments_for(user)
    context["delivery_methods"] = DeliveryMethod.choices
    context["ticket_ref"] = _window_ticket(request, data)
    return context


WINDOW_TICKET_KEY = "cases_window_ticket"


def _window_ticket(request: HttpRequest, data: Any) -> str:
    """The queue ticket the clerk is serving, from the window terminal's link (kept in the session
    while the entry page's steps go on); only a reference — services.origins checks it."""
    ref = str(data.get("ticket", "")).strip()[:20]
    if ref.isdigit():
        request.session[WINDOW_TICKET_KEY] = ref
        return ref
    return str(request.session.get(WINDOW_TICKET_KEY, ""))[:20]


def _window_page(request: HttpRequest, data: Any, error: DomainError | None = None,
                 posted: dict[str, Any] | None = None) -> HttpResponse:
    try:
        _require_case_staff(request.user)
        context = _window_context(request, data)
    except DomainError as exc:
        if exc.status in (401, 403):
            return _error(request, exc)
        error = error or exc
        context = {"q": "", "id_number": "", "key": uuid.uuid4().hex,
                   "departments": selectors.receiving_departments_for(request.user)}
    errors = {k: [str(m) for m in v] for k, v in (error.fields if error else {}).items()}
    if posted and context.get("fields"):
        for field in context["fields"]:
            field.value = posted.get(field.name, "")
            field.errors = errors.get(field.name, [])
    context.update({"error": error, "errors": errors, "field_messages": _field_messages(error),
                    "posted": request.POST if request.method == "POST" else {}})
    return render(request, "cases/staff/window_new.html", context, status=error.status if error else 200)


def _window_url(**params: Any) -> str:
    from urllib.parse import urlencode

    return reverse("cases:staff-new") + "?" + urlencode({k: v for k, v in params.items() if v})


@login_required
@require_http_methods(["GET", "POST"])
def window_new(request: HttpRequest) -> HttpResponse:
    """一口受理: find or register the walk-in applicant, choose a window item, fill in the form,
    then create and submit the case (idempotent per page load), and optionally accept it at once."""
    if request.method == "GET":
        return _window_page(request, request.GET)
    post = request.POST
    op = post.get("op", "")
    if op == "lookup":  # by POST: an ID number never goes into a URL (logs, history)
        return _window_page(request, post)
    try:
        _require_case_staff(request.user)
        if op == "register":
            person = account_services.person_register(by=request.user, name=post.get("name", "")[:50],
                                                      id_number=post.get("id_number", "")[:30],
                                                      phone=post.get("phone", "")[:20])
            return redirect(_window_url(person=person.ref, q=post.get("q", ""), item=post.get("item", "")))
        if op != "apply":
            raise DomainError(_("找不到该操作。"), code="action_not_found", status=422)
        person_obj = account_selectors.person_visible_to(request.user, post.get("person", "")[:24])
        item = catalog_selectors.item_get_for(request.user, post.get("item", "")[:36])
        department_id = post.get("receiving_department", "")
        department = Department.objects.filter(pk=int(department_id)).first() if department_id.isdigit() else None
        schema = item.current_version.form_schema if item.current_version else {}
        data = staff_forms.form_data(schema or {}, post)
        channel = window_channel(request.user, _window_ticket(request, post))  # window or appointment
        case, replayed = services.case_apply(
            by=request.user, item_code=item.code, channel=channel, submit=True,
            idempotency_key=post.get("key", "")[:64], form_data=data, applicant_person=person_obj,
            receiving_department=department, contact_phone=post.get("contact_phone", "").strip()[:20],
            delivery_method=post.get("delivery_method", "window")[:20],
            delivery_address=post.get("delivery_address", "")[:300])
    except DomainError as exc:
        posted = {k[2:]: v for k, v in post.items() if k.startswith("f_")}
        return _window_page(request, post, exc, posted)
    messages.success(request, gettext("已提交，办件编号 %(number)s，查询码 %(code)s。")
                     % {"number": case.number, "code": case.query_code})
    if post.get("accept_now") == "1" and not replayed:
        try:
            services.case_accept(by=request.user, case_id=case.pk)
        except DomainError as exc:
            messages.warning(request, gettext("未能当场受理：%(message)s") % {"message": exc.message})
        else:
            messages.success(request, gettext("已当场受理。"))
    return redirect("cases:staff-detail", case_id=case.pk)


@login_required
@require_GET
def window_continue(request: HttpRequest, query_code: str) -> HttpResponse:
    """窗口续办: the kiosk receipt's QR code opens the draft at the clerk's window (in scope only)."""
    try:
        _require_case_staff(request.user)
        case = selectors.window_case_for(request.user, query_code)
    except DomainError as exc:
        return _error(request, exc)
    return redirect("cases:staff-detail", case_id=case.pk)


urlpatterns: list[URLPattern] = [
    path("staff/", inbox, name="staff-inbox"),
    path("staff/review/", review_queue, name="staff-review"),
    path("staff/review/accept/", review_bulk_accept, name="staff-bulk-accept"),
    path("staff/new/", window_new, name="staff-new"),
    path("staff/<int:case_id>/", case_detail, name="staff-detail"),
    path("staff/<int:case_id>/update/", case_update_form, name="staff-update"),
    path("staff/<int:case_id>/<slug:action>/", case_action, name="staff-action"),
    path("window/continue/<str:query_code>/", window_continue, name="staff-window-continue"),
]
