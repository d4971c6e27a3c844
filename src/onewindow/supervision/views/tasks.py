"""双告知 pages (DOMAIN.md R5.1): my department's tasks, the 认领 pool, one task with its actions,
the overdue list per department, and the notice (告知书) as the entity sees it.

Actors: supervision staff (监管人员, 数据报送员, 部门管理员) and system admins read; the task's own
department receives and answers it; regulators and department admins claim pool tasks. The
notice is also shown to the entity's agents. Views parse, call one service or selector, and render;
a refusal re-renders with its message and HTTP status (404 invisible, 403 not allowed, 409, 422).
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
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, NotFound, field_messages
from onewindow.core.pagination import page_number, paginate

from .. import selectors, services
from ..choices import Answer, TaskAction, TaskStatus
from .common import error_page, require_staff

PAGE_SIZE = 50


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """我的双告知任务: the tasks of my departments, soonest deadline first, by status or overdue."""
    g = request.GET
    status = g.get("status", "") if g.get("status", "") in TaskStatus.values else ""
    overdue = g.get("overdue") == "1"
    department = page_number(g.get("department")) if (g.get("department") or "").isdigit() else None
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    rows = selectors.task_queue_for(request.user, status=status, overdue=overdue, department_id=department)
    result = paginate(rows, page_number(g.get("page")), PAGE_SIZE)
    tabs = [("", gettext("全部"))] + [(s.value, str(s.label)) for s in TaskStatus if s != TaskStatus.POOL]
    query = "&".join(
        f"{k}={v}"
        for k, v in (("status", status), ("overdue", "1" if overdue else ""), ("department", department or ""))
        if v
    )
    return render(
        request,
        "supervision/tasks.html",
        {
            "nav": "tasks",
            "rows": result.items,
            "page": result,
            "status": status,
            "overdue": overdue,
            "department": department,
            "departments": selectors.task_departments_for(request.user),
            "tabs": tabs,
            "query": query,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def pool(request: HttpRequest) -> HttpResponse:
    """认领池: tasks no department is clearly competent for, with a claim button for claimers."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    result = paginate(selectors.pool_for(request.user), page_number(request.GET.get("page")), PAGE_SIZE)
    return render(
        request,
        "supervision/pool.html",
        {
            "nav": "pool",
            "rows": result.items,
            "page": result,
            "claim_departments": selectors.claim_departments_for(request.user),
            "today": timezone.localdate(),
        },
    )


def _detail_page(
    request: HttpRequest, task_id: int, error: DomainError | None = None, posted: dict[str, str] | None = None
) -> HttpResponse:
    try:
        require_staff(request.user)
        task = selectors.task_get_for(request.user, task_id)
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "supervision/task_detail.html",
        {
            "nav": "tasks",
            "task": task,
            "notice": task.notice,
            "events": selectors.task_events_for(request.user, task),
            "actions": selectors.task_actions_for(request.user, task),
            "answers": Answer.choices,
            "claim_departments": selectors.claim_departments_for(request.user),
            "error": error,
            "field_errors": field_messages(error),
            "posted": posted or {},
            "today": timezone.localdate(),
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def detail(request: HttpRequest, task_id: int) -> HttpResponse:
    """One task: the notice's licences with their guides, the deadline, the timeline, the actions."""
    return _detail_page(request, task_id)


@login_required
@require_POST
def act(request: HttpRequest, task_id: int, action: str) -> HttpResponse:
    """Take one action (签收, 反馈, 认领) through its service; a refusal re-renders the task."""
    post = request.POST
    try:
        require_staff(request.user)
        if action == TaskAction.RECEIVE:
            services.dual_notice_task_receive(by=request.user, task_id=task_id)
        elif action == TaskAction.ANSWER:
            services.dual_notice_task_answer(
                by=request.user, task_id=task_id, answer=post.get("answer", "")[:20], note=post.get("note", "")[:2000]
            )
        elif action == TaskAction.CLAIM:
            services.dual_notice_task_claim(
                by=request.user, task_id=task_id, department_id=post.get("department_id", "")[:20] or None
            )
        else:
            raise NotFound(_("找不到该操作。"), code="action_not_found")
    except DomainError as exc:
        if exc.code in ("supervision_staff_only", "dual_notice_task_not_found", "action_not_found"):
            return error_page(request, exc)
        return _detail_page(request, task_id, exc, {k: str(v) for k, v in post.items() if k != "csrfmiddlewaretoken"})
    messages.success(request, gettext("已完成：%(action)s") % {"action": TaskAction(action).label})
    return redirect("supervision:task", task_id=task_id)


@login_required
@require_GET
def overdue(request: HttpRequest) -> HttpResponse:
    """超期统计: per department, open tasks past their deadline and answers given late; with
    ``?department=<id>`` the open overdue tasks of that department."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    department = request.GET.get("department", "")
    tasks: list[Any] = []
    if department.isdigit():
        tasks = list(selectors.overdue_tasks_for(request.user, department)[:200])
    return render(
        request,
        "supervision/overdue.html",
        {
            "nav": "overdue",
            "rows": selectors.overdue_by_department(request.user),
            "tasks": tasks,
            "department": int(department) if department.isdigit() else None,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_GET
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """告知书: the licences the entity needs, each with the competent department and its guide."""
    try:
        found = selectors.notice_get_for(request.user, notice_id)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "supervision/notice.html", {"notice": found, "tasks": selectors.notice_tasks(found)})


@login_required
@require_GET
def my_notices(request: HttpRequest) -> HttpResponse:
    """我的双告知书: the notices sent to the organizations the user acts for (an entity's agent)."""
    result = paginate(selectors.notice_list_for_entity(request.user), page_number(request.GET.get("page")), PAGE_SIZE)
    return render(request, "supervision/my_notices.html", {"rows": result.items, "page": result})


urlpatterns: list[URLPattern] = [
    path("tasks/", queue, name="tasks"),
    path("tasks/pool/", pool, name="pool"),
    path("tasks/<int:task_id>/", detail, name="task"),
    path("tasks/<int:task_id>/<slug:action>/", act, name="task-action"),
    path("overdue/", overdue, name="overdue"),
    path("notices/<int:notice_id>/", notice, name="notice"),
    path("my-notices/", my_notices, name="my-notices"),
]
