"""The interaction API (/api/v1/interaction/): the public Q&A and FAQ, and the staff workbench.

Public (no login): ``POST /questions`` asks (a mobile number is required for the answer notice;
rate-limited per client address, 429 ``interaction_ask_rate_limited``); ``GET /public/questions``
the published questions and answers, without the asker; ``GET /public/faq`` the FAQ searched in
Chinese or pinyin (``jzz`` finds 居住证), optionally by item.

Staff (a session, or a bearer token of such a user with ``interaction:read`` /
``interaction:manage``): the questions of their departments (``GET /questions``, ``GET
/questions/{id}``, phone masked), the actions (``POST /questions/{id}/assign|answer|publish|close``),
the frequent-question clusters (``GET /clusters``), the FAQ (``GET /faq``, ``POST /faq`` — from a
cluster's question ids or from scratch — ``PUT /faq/{id}``), the statistics and the home summary.
Refusals: 401 anonymous; 403 ``interaction_staff_only``, ``insufficient_scope``,
``token_without_user``; 404 a question outside the caller's departments; 409 a wrong status; 422
bad input.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.masking import mask_phone
from onewindow.core.net import client_ip
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginated
from onewindow.core.schemas import ErrorOut, PageOut

from . import permissions as perms
from . import selectors, services
from .choices import QuestionChannel, QuestionStatus
from .models import FaqEntry, Question

router = Router(tags=["interaction"], auth=session_or_token)

READ = "interaction:read"
MANAGE = "interaction:manage"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
PUBLIC_ERRORS: dict[int, Any] = {400: ErrorOut, 422: ErrorOut}
PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(20, ge=1, le=100)
ID = Path(..., ge=1, le=MAX_ID)


def staff(request: HttpRequest, scope: str) -> User:
    user = require_user(request, scope)
    if not perms.is_question_staff(user):
        raise PermissionDenied(_("仅服务中心工作人员可以处理在线问答。"), code="interaction_staff_only")
    return user


# --- schemas -----------------------------------------------------------------------------------

class AskIn(Schema):
    department_code: NfkcStr = Field("", max_length=40, description="服务中心受理单位编码；只有一个时可省略")
    text: str = Field(..., max_length=2000)
    item_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    phone: NfkcStr = Field(..., max_length=20, description="用于通知答复的手机号码")
    channel: str = Field(QuestionChannel.WEB, max_length=10)


class AskedOut(Schema):
    id: int
    status: str
    due_at: datetime.datetime


class PublicQuestionOut(Schema):
    id: int
    text: str
    answer: str
    item_id: int | None
    item_name: str
    published_at: datetime.datetime | None


class PublicQuestionPageOut(PageOut):
    items: list[PublicQuestionOut]


class FaqOut(Schema):
    id: int
    question: str
    answer: str
    related_items: list[dict[str, Any]]
    is_published: bool
    updated_at: datetime.datetime


class FaqPageOut(PageOut):
    items: list[FaqOut]


class QuestionOut(Schema):
    id: int
    department_code: str
    text: str
    item_id: int | None
    status: str
    status_label: str
    channel: str
    asked_by_login: bool
    phone_masked: str
    assignee: str
    answer: str
    created_at: datetime.datetime
    due_at: datetime.datetime
    overdue: bool
    answered_at: datetime.datetime | None
    published_at: datetime.datetime | None


class QuestionPageOut(PageOut):
    items: list[QuestionOut]


class AssignIn(Schema):
    assignee_id: NfkcInt = Field(..., ge=1, le=MAX_ID)


class AnswerIn(Schema):
    answer: str = Field(..., max_length=8000)


class PublishIn(Schema):
    text: str = Field("", max_length=2000, description="公开的问题文字（留空则原样公开）")


class CloseIn(Schema):
    reason: str = Field(..., max_length=1000)


class ClusterOut(Schema):
    question_ids: list[int]
    representative: str
    cohesion: float
    in_faq: bool


class ClusterPageOut(PageOut):
    items: list[ClusterOut]


class FaqIn(Schema):
    question: str = Field("", max_length=600)
    answer: str = Field("", max_length=8000)
    item_ids: list[NfkcInt] | None = Field(None, max_length=50)
    question_ids: list[NfkcInt] = Field(default_factory=list, max_length=200)
    department_code: NfkcStr = Field("", max_length=40)


class FaqUpdateIn(Schema):
    question: str = Field(..., max_length=600)
    answer: str = Field(..., max_length=8000)
    item_ids: list[NfkcInt] = Field(default_factory=list, max_length=50)
    is_published: bool = True


class StatisticsOut(Schema):
    by_status: dict[str, int]
    total: int
    answered: int
    answered_in_time: int
    in_time_share: float | None
    median_response_hours: float | None


class SummaryOut(Schema):
    open: int
    overdue: int


# --- rendering ---------------------------------------------------------------------------------

def faq_out(entry: FaqEntry) -> dict[str, Any]:
    return {"id": entry.pk, "question": entry.question, "answer": entry.answer, "is_published": entry.is_published,
            "related_items": [{"id": i.pk, "code": i.code, "name": i.name} for i in entry.items.all()],
            "updated_at": entry.updated_at}


def question_out(q: Question) -> dict[str, Any]:
    open_ = q.status in (QuestionStatus.SUBMITTED, QuestionStatus.ASSIGNED)
    return {"id": q.pk, "department_code": q.department.code, "text": q.text, "item_id": q.item_id,
            "status": q.status, "status_label": str(QuestionStatus(q.status).label), "channel": q.channel,
            "asked_by_login": q.asker_id is not None, "phone_masked": mask_phone(q.phone),
            "assignee": q.assignee.get_username() if q.assignee else "", "answer": q.answer,
            "created_at": q.created_at, "due_at": q.due_at, "overdue": open_ and q.due_at < timezone.now(),
            "answered_at": q.answered_at, "published_at": q.published_at}


def _question(user: User, question_id: int) -> Question:
    q = selectors.question_for_staff(by=user, question_id=question_id)
    if q is None:
        raise NotFound(_("找不到该问题。"), code="interaction_question_not_found")
    return q


# --- public ------------------------------------------------------------------------------------

@router.post("/questions", auth=None, response={201: AskedOut, 429: ErrorOut, **PUBLIC_ERRORS},
             summary="在线提问（公开，无需登录；需留手机号码以便通知答复）")
def question_ask(request: HttpRequest, payload: AskIn) -> Status[Any]:
    departments = services.question_departments()
    department: Any = payload.department_code or (departments[0].code if len(departments) == 1 else "")
    q = services.question_submit(by=None, department=department, text=payload.text, item=payload.item_id,
                                 phone=payload.phone, channel=payload.channel, throttle_key=client_ip(request))
    return Status(201, {"id": q.pk, "status": q.status, "due_at": q.due_at})


@router.get("/public/questions", auth=None, response={200: PublicQuestionPageOut, **PUBLIC_ERRORS},
            summary="已公开的问答（不含提问人）")
def public_questions(request: HttpRequest, q: str = Query("", max_length=100), page: NfkcInt = PAGE,
                     page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    return paginated(selectors.published_questions(q=q), page, page_size, lambda x: {
        "id": x.pk, "text": x.text, "answer": x.answer, "item_id": x.item_id,
        "item_name": x.item.name if x.item else "", "published_at": x.published_at})


@router.get("/public/faq", auth=None, response={200: FaqPageOut, **PUBLIC_ERRORS},
            summary="常见问题（中文或拼音检索，可按事项）")
def public_faq(request: HttpRequest, q: str = Query("", max_length=100),
               item_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
               page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    return paginated(selectors.faq_search(q=q, item_id=item_id), page, page_size, faq_out)


# --- staff -------------------------------------------------------------------------------------

@router.get("/summary", response={200: SummaryOut, **ERRORS}, summary="待答复与超期问题数（管理首页）")
def summary(request: HttpRequest) -> dict[str, int]:
    return selectors.home_summary(by=staff(request, READ))


@router.get("/questions", response={200: QuestionPageOut, **ERRORS}, summary="本中心的问题（收件箱）")
def question_list(request: HttpRequest, status: str = Query("", max_length=12), overdue: bool = False,
                  q: str = Query("", max_length=100), page: NfkcInt = PAGE,
                  page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = staff(request, READ)
    if status and status not in QuestionStatus.values:
        raise DomainError(_("筛选条件不正确。"), code="invalid_filter", status=422,
                          fields={"status": [_("请从给定选项中选择。")]})
    return paginated(selectors.inbox(by=user, status=status, overdue=overdue, q=q), page, page_size, question_out)


@router.get("/questions/{question_id}", response={200: QuestionOut, **ERRORS}, summary="问题详情（手机号码掩码）")
def question_detail(request: HttpRequest, question_id: int = ID) -> dict[str, Any]:
    return question_out(_question(staff(request, READ), question_id))


@router.post("/questions/{question_id}/assign", response={200: QuestionOut, **WRITE_ERRORS}, summary="分派")
def question_assign(request: HttpRequest, payload: AssignIn, question_id: int = ID) -> dict[str, Any]:
    user = staff(request, MANAGE)
    q = services.question_assign(by=user, question=_question(user, question_id), assignee=payload.assignee_id)
    return question_out(_question(user, q.pk))


@router.post("/questions/{question_id}/answer", response={200: QuestionOut, **WRITE_ERRORS}, summary="答复")
def question_answer(request: HttpRequest, payload: AnswerIn, question_id: int = ID) -> dict[str, Any]:
    user = staff(request, MANAGE)
    q = services.question_answer(by=user, question=_question(user, question_id), answer=payload.answer)
    return question_out(_question(user, q.pk))


@router.post("/questions/{question_id}/publish", response={200: QuestionOut, **WRITE_ERRORS}, summary="公开")
def question_publish(request: HttpRequest, payload: PublishIn, question_id: int = ID) -> dict[str, Any]:
    user = staff(request, MANAGE)
    q = services.question_publish(by=user, question=_question(user, question_id), text=payload.text)
    return question_out(_question(user, q.pk))


@router.post("/questions/{question_id}/close", response={200: QuestionOut, **WRITE_ERRORS}, summary="关闭")
def question_close(request: HttpRequest, payload: CloseIn, question_id: int = ID) -> dict[str, Any]:
    user = staff(request, MANAGE)
    q = services.question_close(by=user, question=_question(user, question_id), reason=payload.reason)
    return question_out(_question(user, q.pk))


@router.get("/clusters", response={200: ClusterPageOut, **ERRORS}, summary="高频问题（相似问题聚类）")
def clusters(request: HttpRequest, page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    return paginated(selectors.frequent_questions(by=staff(request, READ)), page, page_size, lambda c: {
        "question_ids": [q.pk for q in c.questions], "representative": c.representative.text,
        "cohesion": c.cohesion, "in_faq": c.in_faq})


@router.get("/faq", response={200: FaqPageOut, **ERRORS}, summary="本中心的常见问题（含未发布）")
def faq_list(request: HttpRequest, q: str = Query("", max_length=100), page: NfkcInt = PAGE,
             page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    return paginated(selectors.faq_for_staff(by=staff(request, READ), q=q), page, page_size, faq_out)


@router.post("/faq", response={201: FaqOut, **WRITE_ERRORS}, summary="新增常见问题（可由相似问题生成）")
def faq_create(request: HttpRequest, payload: FaqIn) -> Status[Any]:
    user = staff(request, MANAGE)
    if payload.question_ids:
        entry = services.faq_from_questions(by=user, question_ids=payload.question_ids, question=payload.question,
                                            answer=payload.answer, item_ids=payload.item_ids)
    else:
        mine = [d for d in services.question_departments() if perms.handles_department(user, d.pk)]
        dept = next((d for d in mine if d.code == payload.department_code), mine[0] if len(mine) == 1 else None)
        if dept is None:
            raise DomainError(_("常见问题信息不正确。"), code="interaction_faq_invalid", status=422,
                              fields={"department_code": [_("请选择服务中心。")]})
        entry = services.faq_create(by=user, department=dept, question=payload.question, answer=payload.answer,
                                    item_ids=payload.item_ids or [])
    return Status(201, faq_out(entry))


@router.put("/faq/{entry_id}", response={200: FaqOut, **WRITE_ERRORS}, summary="修改常见问题")
def faq_update(request: HttpRequest, payload: FaqUpdateIn, entry_id: int = ID) -> dict[str, Any]:
    user = staff(request, MANAGE)
    entry = services.faq_update(by=user, entry=entry_id, question=payload.question, answer=payload.answer,
                                item_ids=payload.item_ids, is_published=payload.is_published)
    return faq_out(entry)


@router.get("/statistics", response={200: StatisticsOut, **ERRORS},
            summary="问答统计（按状态、按时答复率、答复时长中位数）")
def statistics(request: HttpRequest, date_from: datetime.date | None = None,
               date_to: datetime.date | None = None) -> dict[str, Any]:
    user = staff(request, READ)
    tz = timezone.get_current_timezone()
    since = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=tz) if date_from else None
    until = (datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
             if date_to else None)
    s = selectors.qa_statistics(by=user, since=since, until=until)
    return {"by_status": s.by_status, "total": s.total, "answered": s.answered,
            "answered_in_time": s.answered_in_time, "in_time_share": s.in_time_share,
            "median_response_hours": s.median_response_hours}
