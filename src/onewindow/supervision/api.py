"""The supervision part of the JSON API (/api/v1/supervision/): parse, call one selector or service, render.

双告知 tasks (DOMAIN.md R5.1 steps 3–4) and the officer roster (执法人员名录库, R4.1):

- ``GET /tasks``: my department's tasks (filters ``status``, ``overdue``, ``department_id``),
  soonest deadline first, paginated ``{items, total, page, pages}``;
- ``GET /tasks/pool``: the 认领 pool; ``GET /tasks/{id}``: one task with the notice's licences
  (each with its guide address), its timeline and the actions the caller may take;
- ``POST /tasks/{id}/receive`` (签收), ``/answer`` (反馈: ``applied`` / ``issued`` /
  ``inspected`` / ``not_needed`` / ``not_found``), ``/claim`` (认领, for ``department_id`` when
  the caller serves several departments);
- ``GET /officers``: the roster (filters ``department_id``, ``active_on``, ``specialty``);
- ``GET /statistics``: notices received against answered, per department and in total.

Who: supervision staff (监管人员, 数据报送员, 部门管理员; system admins read), through a session
or a bearer token owned by such a user with the scopes ``supervision:read`` (reads) and
``supervision:handle`` (the three actions). Refusals: 401 anonymous; 403 ``supervision_staff_only``,
``insufficient_scope``, ``token_without_user``, ``dual_notice_action_forbidden`` (e.g. another
department answering); 404 ``dual_notice_task_not_found``; 409 ``dual_notice_illegal_transition``;
422 invalid input with its fields.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import paginated

from . import permissions as perms
from . import selectors, services
from .choices import Specialty, TaskStatus
from .schemas import (
    AnswerIn,
    ClaimIn,
    DepartmentFiguresOut,
    ErrorOut,
    EventOut,
    OfficerPageOut,
    StatisticsOut,
    TaskDetailOut,
    TaskPageOut,
    event_out,
    officer_out,
    task_out,
)

router = Router(tags=["supervision"], auth=session_or_token)

READ = "supervision:read"
HANDLE = "supervision:handle"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
TASK_ID = Path(..., ge=1, le=MAX_ID)
PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(50, ge=1, le=100)
DEPARTMENT_ID = Query(None, ge=1, le=MAX_ID)


def _staff(request: HttpRequest, scope: str) -> User:
    user = require_user(request, scope)
    if not perms.is_supervision_staff(user):
        raise PermissionDenied(_("仅监管部门工作人员可以使用监管平台。"), code="supervision_staff_only")
    return user


def _bad_filter(field: str) -> DomainError:
    return DomainError(
        _("筛选条件不正确。"), code="invalid_filter", status=422, fields={field: [_("请从给定选项中选择。")]}
    )


def _detail(user: User, task_id: Any) -> TaskDetailOut:
    task = selectors.task_get_for(user, task_id)
    body = task_out(task, today=timezone.localdate())
    return TaskDetailOut(
        **body,
        notice_licences=task.notice.licences,
        events=[EventOut(**event_out(e)) for e in selectors.task_events_for(user, task)],
        actions=selectors.task_actions_for(user, task),
    )


@router.get("/tasks", response={200: TaskPageOut, **ERRORS}, summary="本部门双告知任务")
def task_list(
    request: HttpRequest,
    status: str = Query("", max_length=10),
    overdue: bool = False,
    department_id: NfkcInt | None = DEPARTMENT_ID,
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = _staff(request, READ)
    if status and status not in TaskStatus.values:
        raise _bad_filter("status")
    rows = selectors.task_queue_for(user, status=status, overdue=overdue, department_id=department_id)
    today = timezone.localdate()
    return paginated(rows, page, page_size, render=lambda t: task_out(t, today=today))


@router.get("/tasks/pool", response={200: TaskPageOut, **ERRORS}, summary="认领池")
def task_pool(
    request: HttpRequest,
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = _staff(request, READ)
    today = timezone.localdate()
    return paginated(selectors.pool_for(user), page, page_size, render=lambda t: task_out(t, today=today))


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **ERRORS}, summary="双告知任务详情")
def task_detail(request: HttpRequest, task_id: int = TASK_ID) -> TaskDetailOut:
    return _detail(_staff(request, READ), task_id)


@router.post("/tasks/{task_id}/receive", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="签收")
def task_receive(request: HttpRequest, task_id: int = TASK_ID) -> TaskDetailOut:
    user = _staff(request, HANDLE)
    services.dual_notice_task_receive(by=user, task_id=task_id)
    return _detail(user, task_id)


@router.post("/tasks/{task_id}/answer", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="反馈")
def task_answer(request: HttpRequest, payload: AnswerIn, task_id: int = TASK_ID) -> TaskDetailOut:
    user = _staff(request, HANDLE)
    services.dual_notice_task_answer(by=user, task_id=task_id, answer=payload.answer, note=payload.note)
    return _detail(user, task_id)


@router.post("/tasks/{task_id}/claim", response={200: TaskDetailOut, **WRITE_ERRORS}, summary="认领")
def task_claim(request: HttpRequest, payload: ClaimIn, task_id: int = TASK_ID) -> TaskDetailOut:
    user = _staff(request, HANDLE)
    services.dual_notice_task_claim(by=user, task_id=task_id, department_id=payload.department_id)
    return _detail(user, task_id)


@router.get("/officers", response={200: OfficerPageOut, **ERRORS}, summary="执法人员名录库")
def officer_list(
    request: HttpRequest,
    department_id: NfkcInt | None = DEPARTMENT_ID,
    active_on: datetime.date | None = None,
    specialty: str = Query("", max_length=30),
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = _staff(request, READ)
    if specialty and specialty not in Specialty.values:
        raise _bad_filter("specialty")
    rows = selectors.officer_list_for(user, department_id=department_id, active_on=active_on, specialty=specialty)
    return paginated(rows, page, page_size, render=officer_out)


@router.get("/statistics", response={200: StatisticsOut, **ERRORS}, summary="双告知统计（接收与反馈）")
def statistics(request: HttpRequest) -> StatisticsOut:
    user = _staff(request, READ)
    figures = selectors.dual_notice_statistics(user)
    return StatisticsOut(
        received=figures.received,
        answered=figures.answered,
        answered_late=figures.answered_late,
        open_overdue=figures.open_overdue,
        pool=figures.pool,
        departments=[
            DepartmentFiguresOut(
                department_id=r.department_id,
                department=r.name,
                received=r.received,
                answered=r.answered,
                answered_late=r.answered_late,
                open_overdue=r.open_overdue,
            )
            for r in figures.rows
        ],
    )
