"""The training API (/api/v1/training/, issue #14 part 5): parse, call one service or selector,
render.

- ``GET /courses`` (``center_id``), ``POST /courses``, ``GET /courses/{id}`` (with its sessions),
  ``GET /courses/{id}/effect`` (``days``): the center manager;
- ``GET /sessions`` (``center_id``, ``course_id``): the manager sees the center's, a clerk the
  sessions they are invited to; ``GET /sessions/{id}`` (a clerk sees only their own row);
  ``POST /sessions``, ``/sessions/{id}/invite``, ``/hold``, ``/cancel``, ``/attendance``: the manager;
- ``GET /records`` (``clerk_id``, ``center_id``): one's own training records, or a clerk's for the
  manager of the center;
- ``GET /key-proposals`` and ``GET /signals`` (``center_id``, ``on``): the manager.

Session or a token of a user with the ``training`` scope. Refusals: 401 no credential; 403
``insufficient_scope``, ``token_without_user``, ``training_forbidden`` (an invited clerk acting);
404 ``training_center_not_found``, ``training_course_not_found``, ``training_session_not_found``,
``training_record_not_found`` (also for rows of another center, as if they did not exist); 409
``training_illegal_transition``, ``training_session_not_started``; 422 invalid input.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import paginated
from onewindow.core.schemas import ErrorOut, PageOut

from . import permissions, selectors, services
from .choices import CourseBasis, SessionStatus
from .models import Course, TrainingSession

router = Router(tags=["training"], auth=session_or_token)

SCOPE = "training"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(50, ge=1, le=100)
ID = Path(..., ge=1, le=MAX_ID)


class ItemOut(Schema):
    id: int
    code: str
    name: str


class CourseOut(Schema):
    id: int
    center_id: int
    title: str
    basis: str
    basis_label: str
    is_key: bool
    note: str
    service_items: list[ItemOut]
    created_at: datetime.datetime


class CoursePageOut(PageOut):
    items: list[CourseOut]


class SessionOut(Schema):
    id: int
    course_id: int
    course_title: str
    center_id: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str
    trainer: str
    status: str
    status_label: str
    reason: str


class SessionPageOut(PageOut):
    items: list[SessionOut]


class CourseDetailOut(CourseOut):
    sessions: list[SessionOut]


class AttendanceOut(Schema):
    clerk_id: int
    name: str
    status: str
    status_label: str


class SessionDetailOut(SessionOut):
    attendance: list[AttendanceOut]


class RecordOut(Schema):
    session_id: int
    course: str
    starts_at: datetime.datetime
    place: str
    trainer: str
    session_status: str
    status: str
    status_label: str


class RecordPageOut(PageOut):
    items: list[RecordOut]


class KeyItemOut(Schema):
    item_id: int
    code: str
    name: str
    volume: int
    last_session_at: datetime.datetime | None
    proposed: bool


class KeyPageOut(PageOut):
    items: list[KeyItemOut]
    start: datetime.date
    end: datetime.date
    threshold: int
    untrained: int


class SignalOut(Schema):
    id: int
    name: str
    reasons: list[str]
    ratings: int
    average_score: float | None
    bad_share: float | None
    handled: int
    median_hours: float | None


class SignalsOut(Schema):
    start: datetime.date
    end: datetime.date
    item_signals: list[SignalOut]
    clerk_signals: list[SignalOut]


class FiguresOut(Schema):
    ratings: int
    average_score: float | None
    bad: int
    bad_share: float | None
    handled: int
    median_hours: float | None


class BeforeAfterOut(Schema):
    before: FiguresOut
    after: FiguresOut


class EffectRowOut(Schema):
    session_id: int
    day: datetime.date
    before_start: datetime.date
    before_end: datetime.date
    after_start: datetime.date
    after_end: datetime.date
    attended: int
    course_items: BeforeAfterOut
    attending_clerks: BeforeAfterOut


class EffectOut(Schema):
    course_id: int
    days: int
    sessions: list[EffectRowOut]


class CourseIn(Schema):
    center_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    title: str = Field(..., max_length=120)
    item_ids: list[NfkcInt] = Field(..., max_length=50)
    basis: str = Field(CourseBasis.MANUAL, max_length=10)
    note: str = Field("", max_length=500)


class SessionIn(Schema):
    course_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    place: str = Field(..., max_length=120)
    trainer: str = Field(..., max_length=60)
    clerk_ids: list[NfkcInt] = Field(default_factory=list, max_length=200)


class InviteIn(Schema):
    clerk_ids: list[NfkcInt] = Field(..., max_length=200)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=200)


class MarkIn(Schema):
    clerk_id: NfkcInt = Field(..., ge=1, le=MAX_ID)
    status: str = Field(..., max_length=10)


class AttendanceIn(Schema):
    marks: list[MarkIn] = Field(..., max_length=200)


def _user(request: HttpRequest) -> User:
    return require_user(request, SCOPE)


def _center(user: User, center_id: int | None) -> int:
    """The given center, or the one center the caller manages (422 when there are several)."""
    if center_id is not None:
        return center_id
    managed = permissions.managed_centers(user)
    if len(managed) != 1:
        raise DomainError(_("请选择中心。"), code="training_invalid", status=422,
                          fields={"center_id": [_("此项必填。")]})
    return managed[0]


def course_out(course: Course) -> dict[str, Any]:
    return {"id": course.pk, "center_id": course.center_id, "title": course.title, "basis": course.basis,
            "basis_label": str(CourseBasis(course.basis).label), "is_key": course.is_key, "note": course.note,
            "service_items": [{"id": i.pk, "code": i.code, "name": i.name} for i in course.items.all()],
            "created_at": course.created_at}


def session_out(session: TrainingSession) -> dict[str, Any]:
    return {"id": session.pk, "course_id": session.course_id, "course_title": session.course.title,
            "center_id": session.center_id, "starts_at": session.starts_at, "ends_at": session.ends_at,
            "place": session.place, "trainer": session.trainer, "status": session.status,
            "status_label": str(SessionStatus(session.status).label), "reason": session.reason}


def _session_detail(user: User, session_id: int) -> dict[str, Any]:
    detail = selectors.session_detail(by=user, session_id=session_id)
    rows = [{**row, "status_label": str(row["status_label"])} for row in detail["attendance"]]
    return {**session_out(detail["session"]), "attendance": rows}


@router.get("/courses", response={200: CoursePageOut, **ERRORS}, summary="培训课程")
def course_list(request: HttpRequest, center_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = _user(request)
    return paginated(selectors.course_list(by=user, center_id=_center(user, center_id)), page, page_size,
                     render=course_out)


@router.post("/courses", response={200: CourseDetailOut, **WRITE_ERRORS}, summary="新建培训课程")
def course_create(request: HttpRequest, payload: CourseIn) -> dict[str, Any]:
    user = _user(request)
    course = services.course_create(by=user, center_id=_center(user, payload.center_id), title=payload.title,
                                    item_ids=payload.item_ids, basis=payload.basis, note=payload.note)
    return {**course_out(course), "sessions": []}


@router.get("/courses/{course_id}", response={200: CourseDetailOut, **ERRORS}, summary="培训课程详情")
def course_detail(request: HttpRequest, course_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    course = selectors.course_detail(by=user, course_id=course_id)
    sessions = selectors.session_list(by=user, center_id=course.center_id, course_id=course.pk)
    return {**course_out(course), "sessions": [session_out(s) for s in sessions]}


@router.get("/courses/{course_id}/effect", response={200: EffectOut, **ERRORS}, summary="培训效果")
def course_effect(request: HttpRequest, course_id: int = ID,
                  days: NfkcInt | None = Query(None, ge=1, le=365)) -> dict[str, Any]:  # noqa: B008
    effect = selectors.course_effect(by=_user(request), course_id=course_id, days=days)
    return {"course_id": effect["course"].pk, "days": effect["days"], "sessions": [
        {"session_id": row["session"].pk, "day": row["day"], "before_start": row["before"][0],
         "before_end": row["before"][1], "after_start": row["after"][0], "after_end": row["after"][1],
         "attended": row["attended"], "course_items": row["items"], "attending_clerks": row["clerks"]}
        for row in effect["sessions"]]}


@router.get("/sessions", response={200: SessionPageOut, **ERRORS}, summary="培训场次")
def session_list(request: HttpRequest, center_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                 course_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                 page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    rows = selectors.session_list(by=_user(request), center_id=center_id, course_id=course_id)
    return paginated(rows, page, page_size, render=session_out)


@router.post("/sessions", response={200: SessionDetailOut, **WRITE_ERRORS}, summary="安排培训场次")
def session_plan(request: HttpRequest, payload: SessionIn) -> dict[str, Any]:
    user = _user(request)
    session = services.session_plan(by=user, course=payload.course_id, starts_at=payload.starts_at,
                                    ends_at=payload.ends_at, place=payload.place, trainer=payload.trainer,
                                    clerk_ids=payload.clerk_ids)
    return _session_detail(user, session.pk)


@router.get("/sessions/{session_id}", response={200: SessionDetailOut, **ERRORS}, summary="培训场次详情")
def session_detail(request: HttpRequest, session_id: int = ID) -> dict[str, Any]:
    return _session_detail(_user(request), session_id)


@router.post("/sessions/{session_id}/invite", response={200: SessionDetailOut, **WRITE_ERRORS}, summary="调整参加人员")
def session_invite(request: HttpRequest, payload: InviteIn, session_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    services.session_invite(by=user, session=session_id, clerk_ids=payload.clerk_ids)
    return _session_detail(user, session_id)


@router.post("/sessions/{session_id}/hold", response={200: SessionDetailOut, **WRITE_ERRORS}, summary="标记已举办")
def session_hold(request: HttpRequest, session_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    services.session_hold(by=user, session=session_id)
    return _session_detail(user, session_id)


@router.post("/sessions/{session_id}/cancel", response={200: SessionDetailOut, **WRITE_ERRORS}, summary="取消场次")
def session_cancel(request: HttpRequest, payload: ReasonIn, session_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    services.session_cancel(by=user, session=session_id, reason=payload.reason)
    return _session_detail(user, session_id)


@router.post("/sessions/{session_id}/attendance", response={200: SessionDetailOut, **WRITE_ERRORS},
             summary="登记出勤")
def attendance_record(request: HttpRequest, payload: AttendanceIn, session_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    marks = {m.clerk_id: m.status for m in payload.marks}
    if len(marks) != len(payload.marks):
        raise DomainError(_("培训信息不正确。"), code="training_invalid", status=422,
                          fields={"marks": [_("每位人员只能登记一次。")]})
    services.attendance_record(by=user, session=session_id, marks=marks)
    return _session_detail(user, session_id)


@router.get("/records", response={200: RecordPageOut, **ERRORS}, summary="培训记录")
def record_list(request: HttpRequest, clerk_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                center_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    rows = selectors.clerk_records(by=_user(request), clerk_id=clerk_id, center_id=center_id)
    return paginated(rows, page, page_size, render=lambda r: {**r, "status_label": str(r["status_label"])})


@router.get("/key-proposals", response={200: KeyPageOut, **ERRORS}, summary="重点培训建议")
def key_proposals(request: HttpRequest, center_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                  on: datetime.date | None = None, page: NfkcInt = PAGE,
                  page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = _user(request)
    result = selectors.key_proposals(by=user, center_id=_center(user, center_id), on=on)
    return {**paginated(result["items"], page, page_size), "start": result["start"], "end": result["end"],
            "threshold": result["threshold"], "untrained": result["untrained"]}


@router.get("/signals", response={200: SignalsOut, **ERRORS}, summary="评价与时长预警")
def signal_list(request: HttpRequest, center_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                on: datetime.date | None = None) -> dict[str, Any]:
    user = _user(request)
    result = selectors.signal_proposals(by=user, center_id=_center(user, center_id), on=on)
    return {"start": result["start"], "end": result["end"], "item_signals": result["items"],
            "clerk_signals": result["clerks"]}
