"""Inspection pages (issue #12 parts 5–6): the combined checklist of one visit (一张表), the forms by
which each drawn officer records their department's items, re-inspection, closing, objections
(异议) and results publication; and 检查任务, the officer's inspections with the late results and
open objections of the user's departments.

Actors: supervision staff of the plan's departments and system admins read; the drawn officers
record (their login need not hold a staff role); the entity's agents see their inspection after
the visit and object. Views parse, call one service or selector, and render; a refusal re-renders
the checklist with its message and HTTP status (404, 403, 409, 422).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, field_messages

from ..choices import ResultOutcome
from ..models import InspectionResult, ResultObjection
from ..selectors import inspections as reads
from ..services import inspections as writes
from .common import error_page

#: Codes after which there is no checklist to show again (the inspection is not the user's to see).
NOT_FOUND = frozenset({"inspection_not_found", "inspection_result_not_found", "objection_not_found"})


def _page(
    request: HttpRequest, inspection_id: int, error: DomainError | None = None, posted: dict[str, str] | None = None
) -> HttpResponse:
    try:
        inspection = reads.inspection_get_for(request.user, inspection_id)
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "supervision/inspection.html",
        {
            "nav": "inspections",
            "inspection": inspection,
            "plan": inspection.plan,
            "sections": reads.checklist_for(request.user, inspection),
            "can": reads.inspection_actions_for(request.user, inspection),
            "outcomes": ResultOutcome.choices,
            "due_on": reads.results_due_on(inspection.plan),
            "error": error,
            "field_errors": field_messages(error),
            "posted": posted or {},
            "today": timezone.localdate(),
        },
        status=error.status if error else 200,
    )


def _posted(request: HttpRequest) -> dict[str, str]:
    return {k: str(v)[:2000] for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


def _done(request: HttpRequest, inspection_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("supervision:inspection", inspection_id=inspection_id)


def _refused(request: HttpRequest, inspection_id: int | None, exc: DomainError) -> HttpResponse:
    if inspection_id is None or exc.code in NOT_FOUND:
        return error_page(request, exc)
    return _page(request, inspection_id, exc, _posted(request))


@login_required
@require_GET
def inspection_list(request: HttpRequest) -> HttpResponse:
    """检查任务: the inspections the user was drawn for, the objections their departments owe an
    answer, and the plans whose results are late (DOMAIN.md R4.5)."""
    return render(
        request,
        "supervision/inspections.html",
        {
            "nav": "inspections",
            "mine": list(reads.inspections_for_officer(request.user)[:200]),
            "objections": list(reads.objections_open_for(request.user)[:200]),
            "late": reads.plans_results_late(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def inspection_detail(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """一张表: the combined checklist of one visit, grouped by department, with each result."""
    return _page(request, inspection_id)


@login_required
@require_POST
def result_record(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """Record (or correct) one item of the user's department (``services.result_record``)."""
    post = request.POST
    try:
        writes.result_record(
            by=request.user,
            inspection_id=inspection_id,
            check_item_id=post.get("check_item", "")[:20],
            outcome=post.get("outcome", "")[:20],
            note=post.get("note", "")[:2000],
            rectify_by=post.get("rectify_by", "")[:20] or None,
            visited_on=post.get("visited_on", "")[:20] or None,
        )
    except DomainError as exc:
        return _refused(request, inspection_id, exc)
    return _done(request, inspection_id, gettext("检查结果已保存。"))


@login_required
@require_POST
def inspection_close(request: HttpRequest, inspection_id: int) -> HttpResponse:
    """办结 the inspection (the plan's lead department)."""
    try:
        writes.inspection_close(by=request.user, inspection_id=inspection_id)
    except DomainError as exc:
        return _refused(request, inspection_id, exc)
    return _done(request, inspection_id, gettext("检查已办结。"))


def _result_inspection(result_id: int) -> int | None:
    return InspectionResult.objects.filter(pk=result_id).values_list("inspection_id", flat=True).first()


@login_required
@require_POST
def result_reinspect(request: HttpRequest, result_id: int) -> HttpResponse:
    """复查 of a 责令整改 result (a drawn officer of the result's department)."""
    inspection_id = _result_inspection(result_id)
    try:
        writes.result_reinspect(
            by=request.user,
            result_id=result_id,
            reinspected_on=request.POST.get("reinspected_on", "")[:20] or None,
            note=request.POST.get("note", "")[:2000],
        )
    except DomainError as exc:
        return _refused(request, inspection_id, exc)
    assert inspection_id is not None
    return _done(request, inspection_id, gettext("复查日期已记录。"))


@login_required
@require_POST
def objection_file(request: HttpRequest, result_id: int) -> HttpResponse:
    """异议 of the entity's agent against one result."""
    inspection_id = _result_inspection(result_id)
    try:
        writes.objection_file(by=request.user, result_id=result_id, reason=request.POST.get("reason", "")[:2000])
    except DomainError as exc:
        return _refused(request, inspection_id, exc)
    assert inspection_id is not None
    return _done(request, inspection_id, gettext("异议已提交，检查部门将在期限内答复。"))


@login_required
@require_POST
def objection_answer(request: HttpRequest, objection_id: int) -> HttpResponse:
    """答复异议 (the result's department); upheld corrects the result."""
    post = request.POST
    inspection_id = (
        ResultObjection.objects.filter(pk=objection_id).values_list("result__inspection_id", flat=True).first()
    )
    try:
        writes.objection_answer(
            by=request.user,
            objection_id=objection_id,
            upheld=post.get("upheld") == "1",
            answer=post.get("answer", "")[:2000],
            outcome=post.get("outcome", "")[:20],
            note=post["note"][:2000] if "note" in post else None,
            rectify_by=post.get("rectify_by", "")[:20] or None,
        )
    except DomainError as exc:
        return _refused(request, inspection_id, exc)
    assert inspection_id is not None
    return _done(request, inspection_id, gettext("异议已答复。"))


@login_required
@require_POST
def results_publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    """公示检查结果 of a closed plan (its lead department); late publication is marked late."""
    try:
        event = writes.results_publish(by=request.user, plan_id=plan_id)
    except DomainError as exc:
        return error_page(request, exc)
    if event.details.get("late"):
        messages.warning(request, gettext("检查结果已公示（逾期公示）。"))
    else:
        messages.success(request, gettext("检查结果已公示。"))
    return redirect("supervision:inspections")


urlpatterns: list[URLPattern] = [
    path("inspections/", inspection_list, name="inspections"),
    path("inspections/<int:inspection_id>/", inspection_detail, name="inspection"),
    path("inspections/<int:inspection_id>/results/", result_record, name="inspection-result"),
    path("inspections/<int:inspection_id>/close/", inspection_close, name="inspection-close"),
    path("inspections/results/<int:result_id>/reinspect/", result_reinspect, name="inspection-reinspect"),
    path("inspections/results/<int:result_id>/object/", objection_file, name="inspection-object"),
    path("inspections/objections/<int:objection_id>/answer/", objection_answer, name="inspection-objection-answer"),
    path("inspections/plans/<int:plan_id>/publish-results/", results_publish, name="inspection-publish"),
]
