"""Pages of 信息归集 under ``/market/records/``: parse, call one service or selector, render.

- the timeline of an entity's pooled records (the profile page includes ``market/_records.html``,
  which loads it with htmx), with facet counts per kind and department;
- the spreadsheet upload of a department's data clerk, with a template per kind and a table of
  the rows refused (line, column, message) while the good rows are pooled;
- the matching queue (待匹配) with each record's age; the objections (异议) with their deadlines;
- one record with its revisions, where the entity may object.

Anonymous visitors are sent to the login page; a refusal renders its message with its status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.core.errors import DomainError
from onewindow.core.pagination import paginate

from . import records_selectors as selectors
from .choices import ObjectionStatus, RecordKind
from .services import record_import, record_objections, records

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PAGE_SIZE = 20


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "market/records/error.html", {"error": exc}, status=exc.status)


def _page(value: Any) -> int:
    try:
        return max(1, min(int(value), 100_000))
    except (TypeError, ValueError):
        return 1


@login_required
@require_GET
def entity_timeline(request: HttpRequest, organization_id: int) -> HttpResponse:
    """归集信息: the timeline of an entity (staff, or the entity itself), by kind and department."""
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in RecordKind.values else ""
    department = request.GET.get("department", "")[:12]
    try:
        entity = selectors.entity_for(request.user, organization_id=organization_id)
        facets = selectors.record_facets_for(request.user, entity)
        rows = paginate(
            selectors.record_timeline_for(request.user, entity, kind=kind, department_id=department or None),
            _page(request.GET.get("page")),
            PAGE_SIZE,
        )
    except DomainError as exc:
        return _error(request, exc)
    context = {"entity": entity, "facets": facets, "rows": rows, "kind": kind, "department": department}
    template = "market/records/_timeline.html" if request.headers.get("HX-Request") else "market/records/timeline.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """表格上传: a data clerk uploads one kind's spreadsheet; the page lists the refused rows."""
    try:
        departments = selectors.writer_departments_for(request.user)
    except DomainError as exc:
        return _error(request, exc)
    context: dict[str, Any] = {"departments": departments, "kinds": RecordKind.choices, "kind": "", "result": None}
    if request.method == "GET":
        return render(request, "market/records/upload.html", context)
    kind = request.POST.get("kind", "")[:20]
    file = request.FILES.get("file")
    context["kind"] = kind
    try:
        if file is None or not file.size:
            raise DomainError(_("请选择要上传的文件。"), code="records_upload_empty", status=422)
        if file.size > MAX_UPLOAD_BYTES:
            raise DomainError(_("文件不能超过 20 MB，请拆分后上传。"), code="records_upload_too_large", status=422)
        result = records.records_upload(
            by=request.user,
            kind=kind,
            filename=file.name or "",
            content=file.read(),
            department=request.POST.get("department", "")[:12] or None,
        )
    except DomainError as exc:
        return render(request, "market/records/upload.html", {**context, "error": exc}, status=exc.status)
    errors = [
        (row.line, record_import.column_label(kind, name), message)
        for row in result.rejected
        for name, field_messages in row.errors.items()
        for message in field_messages
    ]
    counts = {outcome: result.count(outcome) for outcome in ("created", "corrected", "unchanged", "rejected")}
    counts["queued"] = sum(1 for row in result.rows if row.outcome != "rejected" and not row.matched)
    return render(
        request, "market/records/upload.html", {**context, "result": result, "errors": errors, "counts": counts}
    )


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """The xlsx template of one record kind (信息归集模板)."""
    if kind not in RecordKind.values:
        return _error(request, DomainError(_("请选择信息类别。"), code="record_kind_not_found", status=404))
    response = HttpResponse(
        record_import.template_xlsx(kind),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="records-{kind}-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def queue(request: HttpRequest) -> HttpResponse:
    """待匹配: records whose credit code names no registered entity yet, oldest first, with their age."""
    if request.method == "POST":
        try:
            matched = records.records_match_pending(request.user)
        except DomainError as exc:
            return _error(request, exc)
        messages.success(request, _("已匹配 %(n)s 条信息。") % {"n": matched})
        return redirect(reverse("market:records-queue"))
    code = request.GET.get("credit_code", "").strip()[:18]
    try:
        rows = paginate(selectors.record_queue_for(request.user, credit_code=code), _page(request.GET.get("page")), 50)
    except DomainError as exc:
        return _error(request, exc)
    now = timezone.now()
    items = [(record, selectors.age_days(record.received_at, now)) for record in rows.items]
    return render(request, "market/records/queue.html", {"rows": rows, "items": items, "credit_code": code})


@login_required
@require_GET
def objections(request: HttpRequest) -> HttpResponse:
    """异议: a department's objections with their deadlines; overdue ones first."""
    status = request.GET.get("status", "") if request.GET.get("status", "") in ObjectionStatus.values else ""
    overdue = True if request.GET.get("overdue") == "1" else None
    try:
        rows = paginate(
            selectors.objection_list_for(request.user, status=status, overdue=overdue),
            _page(request.GET.get("page")),
            50,
        )
    except DomainError as exc:
        return _error(request, exc)
    writable = selectors.writer_department_ids(request.user)
    return render(
        request,
        "market/records/objections.html",
        {"rows": rows, "status": status, "overdue": overdue, "statuses": ObjectionStatus.choices, "writable": writable},
    )


@login_required
@require_POST
def objection_answer(request: HttpRequest, objection_id: int) -> HttpResponse:
    """The source department answers an objection (upheld, or corrected with one field's new value)."""
    outcome = request.POST.get("outcome", "")[:20]
    field = request.POST.get("field", "")[:40]
    changes = {field: request.POST.get("value", "")[:2000]} if outcome == ObjectionStatus.CORRECTED and field else None
    try:
        record_objections.objection_answer(
            by=request.user,
            objection_id=objection_id,
            outcome=outcome,
            answer=request.POST.get("answer", "")[:2000],
            changes=changes,
        )
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("已答复异议。"))
    return redirect(reverse("market:records-objections"))


@login_required
@require_GET
def detail(request: HttpRequest, record_id: int) -> HttpResponse:
    """One record, its provenance and its revisions; the entity may object here."""
    try:
        record = selectors.record_get_for(request.user, record_id)
    except DomainError as exc:
        return _error(request, exc)
    may_object = selectors.is_entity_user(request.user, record)
    return render(request, "market/records/detail.html", {"record": record, "may_object": may_object})


@login_required
@require_POST
def object_to(request: HttpRequest, record_id: int) -> HttpResponse:
    """The entity objects to one of its records (异议)."""
    try:
        record_objections.objection_raise(by=request.user, record_id=record_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _error(request, exc)
    messages.success(request, _("异议已提交，来源部门将在期限内答复。"))
    return redirect(reverse("market:records-detail", args=[record_id]))


urlpatterns: list[URLPattern] = [
    path("records/entity/<int:organization_id>/", entity_timeline, name="records-timeline"),
    path("records/upload/", upload, name="records-upload"),
    path("records/template/<str:kind>.xlsx", template, name="records-template"),
    path("records/queue/", queue, name="records-queue"),
    path("records/objections/", objections, name="records-objections"),
    path("records/objections/<int:objection_id>/answer/", objection_answer, name="records-objection-answer"),
    path("records/<int:record_id>/", detail, name="records-detail"),
    path("records/<int:record_id>/object/", object_to, name="records-object"),
]
