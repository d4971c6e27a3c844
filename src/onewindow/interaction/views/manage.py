"""The staff workbench of 互动交流 (``/interaction/manage/``, URL name ``interaction:manage``).

- the inbox: the questions of the viewer's departments (the center's receiving body), by status,
  overdue first by deadline;
- one question: the asker's phone masked, the history, and the forms to assign, answer, publish
  (optionally reworded to remove personal details) or close;
- statistics: counts by status, the share answered in time and the median response time, with
  an xlsx export.

Who: the center's staff (permissions.py); anyone else gets 403, a question outside the viewer's
departments 404, anonymous users the login page.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, NotFound, PermissionDenied, field_messages
from onewindow.core.masking import mask_phone
from onewindow.core.pagination import page_number, paginate
from onewindow.core.xlsx import Sheet, workbook_bytes

from .. import permissions as perms
from .. import selectors, services
from ..choices import OPEN_STATUSES, QuestionStatus

PAGE_SIZE = 30


def require_staff(user: Any) -> None:
    if not perms.is_question_staff(user):
        raise PermissionDenied(_("仅服务中心工作人员可以处理在线问答。"), code="interaction_staff_only")


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "interaction/error.html", {"error": exc}, status=exc.status)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    status = request.GET.get("status", "")
    status = status if status in QuestionStatus.values else ""
    overdue = request.GET.get("overdue") == "1"
    q = " ".join(str(request.GET.get("q", "")).split())[:100]
    rows = selectors.inbox(by=request.user, status=status, overdue=overdue, q=q)
    page = paginate(rows, page_number(request.GET.get("page")), PAGE_SIZE)
    return render(request, "interaction/manage.html", {
        "page": page, "status": status, "overdue": overdue, "q": q, "statuses": QuestionStatus.choices,
        "summary": selectors.home_summary(by=request.user), "now": timezone.now(),
    })


def _question_or_404(request: HttpRequest, question_id: int) -> Any:
    require_staff(request.user)
    question = selectors.question_for_staff(by=request.user, question_id=question_id)
    if question is None:
        raise NotFound(_("找不到该问题。"), code="interaction_question_not_found")
    return question


@login_required
@require_GET
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    try:
        question = _question_or_404(request, question_id)
    except DomainError as exc:
        return error_page(request, exc)
    return _detail(request, question)


def _detail(request: HttpRequest, question: Any, error: DomainError | None = None,
            form: dict[str, str] | None = None) -> HttpResponse:
    return render(request, "interaction/question.html", {
        "question": question, "phone": mask_phone(question.phone), "events": question.events.select_related("actor"),
        "staff": selectors.department_staff(question), "error": error, "errors": field_messages(error),
        "form": form or {}, "is_open": question.status in OPEN_STATUSES,
        "overdue": question.status in OPEN_STATUSES and question.due_at < timezone.now(),
        "can_assign": question.status in (QuestionStatus.SUBMITTED, QuestionStatus.ASSIGNED),
        "can_answer": question.status in (QuestionStatus.SUBMITTED, QuestionStatus.ASSIGNED, QuestionStatus.ANSWERED),
        "can_publish": question.status == QuestionStatus.ANSWERED,
        "faqs": question.faqs.all(),
    }, status=error.status if error else 200)


ACTIONS = {
    "assign": (lambda by, q, p: services.question_assign(by=by, question=q, assignee=_int(p.get("assignee"))),
               _("问题已分派。")),
    "answer": (lambda by, q, p: services.question_answer(by=by, question=q, answer=p.get("answer", "")),
               _("答复已保存。")),
    "publish": (lambda by, q, p: services.question_publish(by=by, question=q, text=p.get("text", "")),
                _("问答已公开。")),
    "close": (lambda by, q, p: services.question_close(by=by, question=q, reason=p.get("reason", "")),
              _("问题已关闭。")),
}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@login_required
@require_POST
def question_act(request: HttpRequest, question_id: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        return error_page(request, NotFound(_("找不到该操作。"), code="interaction_action_not_found"))
    try:
        question = _question_or_404(request, int(question_id))
    except DomainError as exc:
        return error_page(request, exc)
    run, done = ACTIONS[action]
    try:
        run(request.user, question, request.POST)
    except DomainError as exc:
        if exc.status in (403, 404):
            return error_page(request, exc)
        question.refresh_from_db()
        return _detail(request, question, exc, {k: str(v) for k, v in request.POST.items()})
    messages.success(request, str(done))
    return redirect(reverse("interaction:manage_question", args=[question.pk]))


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        first = datetime.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = today - datetime.timedelta(days=365)
    try:
        last = datetime.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        last = today
    if last < first:
        first, last = last, first
    return first, last


def _bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
            datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz))


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    first, last = _period(request)
    since, until = _bounds(first, last)
    stats = selectors.qa_statistics(by=request.user, since=since, until=until)
    rows = [(QuestionStatus(s).label, n) for s, n in stats.by_status.items()]
    if request.GET.get("format") == "xlsx":
        data = workbook_bytes([Sheet(name=gettext("在线问答统计"), title=f"{gettext('在线问答统计')} {first} – {last}",
                                     headers=[gettext("项目"), gettext("数量")], rows=[
            *[[str(label), n] for label, n in rows],
            [gettext("合计"), stats.total],
            [gettext("已答复"), stats.answered],
            [gettext("按时答复"), stats.answered_in_time],
            [gettext("按时答复率"), stats.in_time_share if stats.in_time_share is not None else ""],
            [gettext("答复时长中位数（小时）"), stats.median_response_hours
             if stats.median_response_hours is not None else ""],
        ])])
        response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="interaction-{first}-{last}.xlsx"'
        return response
    return render(request, "interaction/statistics.html", {"stats": stats, "rows": rows, "first": first,
                                                           "last": last})


urlpatterns: list[URLPattern] = [
    path("manage/", inbox, name="manage"),
    path("manage/questions/<int:question_id>/", question_detail, name="manage_question"),
    path("manage/questions/<int:question_id>/<slug:action>/", question_act, name="manage_question_act"),
    path("manage/statistics/", statistics, name="manage_statistics"),
]
