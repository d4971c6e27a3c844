"""The staffing API (/api/v1/staffing/, issue #15 parts 3, 5 and 6): parse, call one service or
selector, render. It mirrors the pages under /staffing/.

- ``GET /flags`` (``center_id``, ``day``): per open slot the windows needed and open, the live
  queue and the flag 人浮于事 / 人少于事 / 人事相宜; ``GET /advice`` (``center_id``, ``day``);
  ``POST /advice/refresh``; ``POST /advice/{id}/apply``, ``/advice/{id}/dismiss``: the manager;
- ``GET /proposals`` (``center_id``), ``POST /proposals`` (201), ``GET /proposals/{id}``,
  ``POST /proposals/{id}/what-if`` (writes nothing): the manager;
- ``GET /rosters`` (``center_id``), ``GET /rosters/{id}``, ``POST /rosters/{id}/shifts`` (201),
  ``DELETE /rosters/{id}/shifts/{shift_id}``, ``POST /rosters/{id}/publish``: the manager;
- ``GET /policy``, ``POST /policy``, ``GET /clerks`` (terms), ``POST /terms``, ``GET /leave``,
  ``POST /leave`` (201), ``DELETE /leave/{id}``: the manager;
- ``GET /report`` (``center_id``, ``week_start``): the manager;
- ``GET /me`` (``since``, ``until``): one's own shifts of published rosters (any clerk).

Session or a token of a user with the ``staffing`` scope. Refusals: 401 no credential; 403
``insufficient_scope``, ``token_without_user``; 404 ``staffing_center_not_found``,
``staffing_proposal_not_found``, ``staffing_roster_not_found``, ``staffing_advice_not_found``
(also for rows of a center the caller does not manage, and for a clerk on a manager endpoint:
as if they did not exist); 409 ``staffing_advice_not_pending``, ``staffing_advice_expired``,
``staffing_window_closed`` and the roster services' conflicts; 422 invalid input (field errors),
``staffing_target_impossible`` (the slot named), ``staffing_no_history``, duty-rule violations.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.centers.models import Window
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE_SIZE, paginated
from onewindow.core.schemas import ErrorOut, PageOut

from . import permissions, reports
from .choices import AdviceKind, AdviceStatus, FlagKind, LeaveKind, RosterStatus
from .models import Advice, Leave, Proposal, Roster, Shift
from .plans import slot_label
from .schemas import (
    AdviceOut,
    ClerkOut,
    FlagsOut,
    LeaveIn,
    LeaveOut,
    MyShiftOut,
    PolicyIn,
    PolicyOut,
    ProposalBriefOut,
    ProposalIn,
    ProposalOut,
    ReportOut,
    RosterBriefOut,
    RosterOut,
    ShiftIn,
    TermsIn,
    TermsOut,
    WhatIfIn,
    in_range,
)
from .selectors import advice as advice_selectors
from .selectors import roster as roster_selectors
from .services import advice as advice_services
from .services import proposal as proposal_services
from .services import roster as roster_services

router = Router(tags=["staffing"], auth=session_or_token)

SCOPE = "staffing"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(50, ge=1, le=100)
ID = Path(..., ge=1, le=MAX_ID)
CENTER = Query(None, ge=1, le=MAX_ID)


class ProposalPageOut(PageOut):
    items: list[ProposalBriefOut]


class RosterPageOut(PageOut):
    items: list[RosterBriefOut]


class AdvicePageOut(PageOut):
    items: list[AdviceOut]


class ClerkPageOut(PageOut):
    items: list[ClerkOut]


class LeavePageOut(PageOut):
    items: list[LeaveOut]


class MyShiftPageOut(PageOut):
    items: list[MyShiftOut]


class WhatIfOut(ProposalBriefOut):
    needs: Any
    comparison: Any
    overrides: Any
    message: str


def _day(value: datetime.date | None, field: str) -> datetime.date:
    """A date of the query (today when not given), within the years staffing handles; else 422."""
    if value is None:
        return timezone.localdate()
    try:
        return in_range(value)
    except ValueError as exc:
        raise DomainError(_("提交的数据有误，请检查标出的字段。"), code="staffing_invalid", status=422,
                          fields={field: [str(exc)]}) from None


def _user(request: HttpRequest) -> User:
    return require_user(request, SCOPE)


def _managed(user: User, center_id: int | None) -> int:
    """The given center if the caller manages it (else 404), or the one center they manage."""
    if center_id is not None:
        return permissions.require_manager(user, center_id)
    managed = permissions.managed_centers(user)
    if len(managed) == 1:
        return managed[0]
    if not managed:
        raise permissions.center_not_found()
    raise DomainError(_("请选择中心。"), code="staffing_invalid", status=422, fields={"center_id": [_("此项必填。")]})


def _proposal(user: User, proposal_id: int) -> Proposal:
    proposal = Proposal.objects.filter(pk=proposal_id).first()
    if proposal is None or not permissions.can_manage(user, proposal.center_id):
        raise NotFound(_("找不到该排班建议。"), code="staffing_proposal_not_found")
    return proposal


def _roster(user: User, roster_id: int) -> Roster:
    roster = roster_selectors.roster_for(user, roster_id)
    if roster is None:
        raise NotFound(_("找不到该排班表。"), code="staffing_roster_not_found")
    return roster


def _advice(user: User, advice_id: int) -> Advice:
    advice = Advice.objects.filter(pk=advice_id).first()
    if advice is None or not permissions.can_manage(user, advice.center_id):
        raise NotFound(_("找不到该调配建议。"), code="staffing_advice_not_found")
    return advice


def advice_out(advice: Advice, numbers: dict[int, int] | None = None) -> dict[str, Any]:
    number = (numbers or {}).get(advice.window_id)
    if number is None:
        number = Window.objects.filter(pk=advice.window_id).values_list("number", flat=True).first() or 0
    return {"id": advice.pk, "date": advice.date, "slot": advice.slot, "slot_label": slot_label(advice.slot),
            "flag": advice.flag, "flag_label": str(FlagKind(advice.flag).label), "kind": advice.kind,
            "kind_label": str(AdviceKind(advice.kind).label), "window_id": advice.window_id,
            "window_number": number, "categories": [int(c) for c in advice.categories], "until": advice.until,
            "status": advice.status, "status_label": str(AdviceStatus(advice.status).label),
            "text": advice_selectors.advice_text(advice), "reason": advice.reason or {}}


def proposal_out(proposal: Proposal) -> dict[str, Any]:
    return {"id": proposal.pk, "center_id": proposal.center_id, "week_start": proposal.week_start,
            "created_at": proposal.created_at, "policy": proposal.policy, "needs": proposal.needs,
            "comparison": proposal.comparison, "overrides": proposal.overrides,
            "roster_ids": list(proposal.rosters.order_by("id").values_list("pk", flat=True))}


def brief_out(proposal: Proposal) -> dict[str, Any]:
    return {"id": proposal.pk, "center_id": proposal.center_id, "week_start": proposal.week_start,
            "created_at": proposal.created_at}


def shift_out(shift: Shift) -> dict[str, Any]:
    user = shift.user
    return {"id": shift.pk, "roster_id": shift.roster_id, "user_id": shift.user_id,
            "name": user.get_full_name() or user.get_username(), "date": shift.date, "starts": shift.starts,
            "ends": shift.ends, "break_starts": shift.break_starts, "break_ends": shift.break_ends,
            "assignments": [{"id": a.pk, "window_id": a.window_id, "window_number": a.window.number,
                             "starts": a.starts, "ends": a.ends,
                             "category_ids": sorted(c.pk for c in a.categories.all())}
                            for a in shift.assignments.all()]}


def roster_brief(roster: Roster) -> dict[str, Any]:
    return {"id": roster.pk, "center_id": roster.center_id, "week_start": roster.week_start,
            "status": roster.status, "status_label": str(RosterStatus(roster.status).label),
            "source": roster.source, "proposal_id": roster.proposal_id}


def roster_out(roster: Roster) -> dict[str, Any]:
    return {**roster_brief(roster), "shifts": [shift_out(s) for s in roster_selectors.roster_shifts(roster.pk)]}


def leave_out(leave: Leave) -> dict[str, Any]:
    return {"id": leave.pk, "user_id": leave.user_id, "starts": leave.starts, "ends": leave.ends,
            "kind": leave.kind, "kind_label": str(LeaveKind(leave.kind).label), "note": leave.note}


def policy_out(policy: Any) -> dict[str, Any]:
    return {"center_id": policy.center_id, "target_kind": policy.target_kind, "target_share": policy.target_share,
            "target_minutes": policy.target_minutes, "shrinkage": policy.shrinkage,
            "shift_min_minutes": policy.shift_min_minutes, "shift_max_minutes": policy.shift_max_minutes,
            "break_after_minutes": policy.break_after_minutes, "break_minutes": policy.break_minutes}


# --- today: flags and advice (part 5) ------------------------------------------------------------------

@router.get("/flags", response={200: FlagsOut, **ERRORS}, summary="今日各时段的调配判断")
def flags(request: HttpRequest, center_id: NfkcInt | None = CENTER,
          day: datetime.date | None = None) -> dict[str, Any]:
    center = _managed(_user(request), center_id)
    on = _day(day, "day")
    rows = advice_selectors.flags_for(center, on, timezone.now())
    return {"center_id": center, "day": on, "slots": [
        {"slot": f.slot, "label": f.label, "need": f.need, "forecast": f.forecast, "open": f.open,
         "open_window_ids": list(f.open_ids), "queue": sum(f.waiting.values()) if f.current else None,
         "expected_wait": f.expected_wait if f.current else None, "current": f.current, "flag": f.flag,
         "flag_label": str(FlagKind(f.flag).label) if f.flag in FlagKind.values else "", "note": f.note}
        for f in rows]}


@router.get("/advice", response={200: AdvicePageOut, **ERRORS}, summary="调配建议")
def advice_list(request: HttpRequest, center_id: NfkcInt | None = CENTER, day: datetime.date | None = None,
                page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    center = _managed(_user(request), center_id)
    numbers = dict(Window.objects.filter(center_id=center).values_list("pk", "number"))
    rows = list(advice_selectors.advice_of_day(center, _day(day, "day")))
    return paginated(rows, page, page_size, render=lambda a: advice_out(a, numbers))


@router.post("/advice/refresh", response={200: AdvicePageOut, **WRITE_ERRORS}, summary="按当前排队刷新建议")
def advice_refresh(request: HttpRequest, center_id: NfkcInt | None = CENTER) -> dict[str, Any]:
    """The suggestions now open for the current and next slot (a slot's few windows: one page)."""
    center = _managed(_user(request), center_id)
    return paginated(advice_services.advice_refresh(center), 1, MAX_PAGE_SIZE, render=advice_out)


@router.post("/advice/{advice_id}/apply", response={200: AdviceOut, **WRITE_ERRORS}, summary="采纳调配建议")
def advice_apply(request: HttpRequest, advice_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    advice = _advice(user, advice_id)
    return advice_out(advice_services.advice_apply(by=user, advice_id=advice.pk))


@router.post("/advice/{advice_id}/dismiss", response={200: AdviceOut, **WRITE_ERRORS}, summary="不采纳调配建议")
def advice_dismiss(request: HttpRequest, advice_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    advice = _advice(user, advice_id)
    return advice_out(advice_services.advice_dismiss(by=user, advice_id=advice.pk))


# --- proposals (parts 3 and 4) ------------------------------------------------------------------------

@router.get("/proposals", response={200: ProposalPageOut, **ERRORS}, summary="排班建议")
def proposal_list(request: HttpRequest, center_id: NfkcInt | None = CENTER, page: NfkcInt = PAGE,
                  page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    center = _managed(_user(request), center_id)
    rows = Proposal.objects.filter(center_id=center).order_by("-week_start", "-created_at", "-id")
    return paginated(rows, page, page_size, render=brief_out)


@router.post("/proposals", response={201: ProposalOut, **WRITE_ERRORS}, summary="生成排班建议")
def proposal_make(request: HttpRequest, payload: ProposalIn) -> Status:
    user = _user(request)
    center = _managed(user, payload.center_id)
    proposal = proposal_services.proposal_make(by=user, center_id=center, week_start=payload.week_start)
    return Status(201, proposal_out(proposal))


@router.get("/proposals/{proposal_id}", response={200: ProposalOut, **ERRORS}, summary="排班建议详情")
def proposal_detail(request: HttpRequest, proposal_id: int = ID) -> dict[str, Any]:
    return proposal_out(_proposal(_user(request), proposal_id))


@router.post("/proposals/{proposal_id}/what-if", response={200: WhatIfOut, **WRITE_ERRORS}, summary="假设调整（仿真）")
def proposal_what_if(request: HttpRequest, payload: WhatIfIn, proposal_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    proposal = _proposal(user, proposal_id)
    overrides: dict[str, int] = {}
    for o in payload.overrides:
        key = f"{o.date.isoformat()}:{o.slot}"
        if key in overrides:
            raise DomainError(_("提交的数据有误，请检查标出的字段。"), code="staffing_invalid", status=422,
                              fields={"overrides": [_("每个时段只能调整一次。")]})
        overrides[key] = o.windows
    result = proposal_services.what_if(by=user, proposal_id=proposal.pk, overrides=overrides)
    return {**brief_out(proposal), **result, "message": str(result.get("message", ""))}


# --- rosters (part 3) ---------------------------------------------------------------------------------

@router.get("/rosters", response={200: RosterPageOut, **ERRORS}, summary="排班表")
def roster_list(request: HttpRequest, center_id: NfkcInt | None = CENTER, page: NfkcInt = PAGE,
                page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    center = _managed(_user(request), center_id)
    rows = Roster.objects.filter(center_id=center).order_by("-week_start", "-id")
    return paginated(rows, page, page_size, render=roster_brief)


@router.get("/rosters/{roster_id}", response={200: RosterOut, **ERRORS}, summary="排班表详情")
def roster_detail(request: HttpRequest, roster_id: int = ID) -> dict[str, Any]:
    return roster_out(_roster(_user(request), roster_id))


@router.post("/rosters/{roster_id}/shifts", response={201: RosterOut, **WRITE_ERRORS}, summary="添加班次")
def shift_add(request: HttpRequest, payload: ShiftIn, roster_id: int = ID) -> Status:
    user = _user(request)
    roster = _roster(user, roster_id)
    roster_services.shift_save(
        by=user, roster_id=roster.pk, user_id=payload.user_id, date=payload.date, starts=payload.starts,
        ends=payload.ends, break_starts=payload.break_starts, break_ends=payload.break_ends,
        assignments=[(a.window_id, frozenset(a.category_ids), _seconds(a.starts), _seconds(a.ends))
                     for a in payload.assignments])
    return Status(201, roster_out(roster))


@router.delete("/rosters/{roster_id}/shifts/{shift_id}", response={200: RosterOut, **WRITE_ERRORS},
               summary="删除班次")
def shift_delete(request: HttpRequest, roster_id: int = ID, shift_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    roster = _roster(user, roster_id)
    if not roster.shifts.filter(pk=shift_id).exists():
        raise NotFound(_("找不到该班次。"), code="staffing_shift_not_found")
    roster_services.shift_delete(by=user, shift_id=shift_id)
    return roster_out(roster)


@router.post("/rosters/{roster_id}/publish", response={200: RosterOut, **WRITE_ERRORS}, summary="发布排班表")
def roster_publish(request: HttpRequest, roster_id: int = ID) -> dict[str, Any]:
    user = _user(request)
    roster = _roster(user, roster_id)
    roster_services.roster_publish(by=user, roster_id=roster.pk)
    roster.refresh_from_db()
    return roster_out(roster)


def _seconds(t: datetime.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


# --- policy, terms, leave ------------------------------------------------------------------------------

@router.get("/policy", response={200: PolicyOut, **ERRORS}, summary="服务目标与排班规则")
def policy_get(request: HttpRequest, center_id: NfkcInt | None = CENTER) -> dict[str, Any]:
    user = _user(request)
    return policy_out(roster_selectors.policy_of(_managed(user, center_id)))


@router.post("/policy", response={200: PolicyOut, **WRITE_ERRORS}, summary="修改服务目标与排班规则")
def policy_update(request: HttpRequest, payload: PolicyIn) -> dict[str, Any]:
    user = _user(request)
    center = _managed(user, payload.center_id)
    fields = payload.model_dump(exclude={"center_id"})
    return policy_out(roster_services.policy_update(by=user, center_id=center, **fields))


@router.get("/clerks", response={200: ClerkPageOut, **ERRORS}, summary="工作人员用工条件")
def clerk_list(request: HttpRequest, center_id: NfkcInt | None = CENTER, page: NfkcInt = PAGE,
               page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = _user(request)
    center = _managed(user, center_id)
    today = timezone.localdate()
    clerks = roster_selectors.clerks_of(center, today - datetime.timedelta(days=today.weekday()))
    return paginated(list(clerks), page, page_size, render=lambda c: {
        "user_id": c.user_id, "name": c.name, "part_time": c.part_time,
        "max_minutes_per_day": c.max_minutes_per_day, "max_days_per_week": c.max_days_per_week,
        "qualified": sorted(c.qualified)})


@router.post("/terms", response={200: TermsOut, **WRITE_ERRORS}, summary="设置用工条件")
def terms_set(request: HttpRequest, payload: TermsIn) -> dict[str, Any]:
    user = _user(request)
    center = _managed(user, payload.center_id)
    terms = roster_services.terms_set(by=user, center_id=center, user_id=payload.user_id,
                                      part_time=payload.part_time, max_minutes_per_day=payload.max_minutes_per_day,
                                      max_days_per_week=payload.max_days_per_week)
    return {"user_id": terms.user_id, "part_time": terms.part_time, "max_minutes_per_day": terms.max_minutes_per_day,
            "max_days_per_week": terms.max_days_per_week}


@router.get("/leave", response={200: LeavePageOut, **ERRORS}, summary="请假")
def leave_list(request: HttpRequest, center_id: NfkcInt | None = CENTER, page: NfkcInt = PAGE,
               page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = _user(request)
    rows = Leave.objects.filter(center_id=_managed(user, center_id)).order_by("-starts", "id")
    return paginated(rows, page, page_size, render=leave_out)


@router.post("/leave", response={201: LeaveOut, **WRITE_ERRORS}, summary="登记请假")
def leave_add(request: HttpRequest, payload: LeaveIn) -> Status:
    user = _user(request)
    center = _managed(user, payload.center_id)
    leave = roster_services.leave_add(by=user, center_id=center, user_id=payload.user_id, starts=payload.starts,
                                      ends=payload.ends, kind=payload.kind, note=payload.note)
    return Status(201, leave_out(leave))


@router.delete("/leave/{leave_id}", response={204: None, **WRITE_ERRORS}, summary="撤销请假")
def leave_remove(request: HttpRequest, leave_id: int = ID) -> Status:
    user = _user(request)
    leave = Leave.objects.filter(pk=leave_id).first()
    if leave is None or not permissions.can_manage(user, leave.center_id):
        raise NotFound(_("找不到该请假记录。"), code="staffing_leave_not_found")
    roster_services.leave_remove(by=user, leave_id=leave.pk)
    return Status(204, None)


# --- reports (part 6) and one's own shifts ----------------------------------------------------------------

@router.get("/report", response={200: ReportOut, **ERRORS}, summary="弹性调配周报")
def report(request: HttpRequest, center_id: NfkcInt | None = CENTER,
           week_start: datetime.date | None = None) -> dict[str, Any]:
    center = _managed(_user(request), center_id)
    day = _day(week_start, "week_start")
    monday = day - datetime.timedelta(days=day.weekday())
    return {"center_id": center, "week_start": monday, "data": reports.weekly_report(center, monday)}


@router.get("/me", response={200: MyShiftPageOut, **ERRORS}, summary="我的排班")
def my_shifts(request: HttpRequest, since: datetime.date | None = None, until: datetime.date | None = None,
              page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> dict[str, Any]:
    user = _user(request)
    start = _day(since, "since")
    end = _day(until, "until") if until is not None else start + datetime.timedelta(days=27)
    if end < start or (end - start).days > 92:
        raise DomainError(_("提交的数据有误，请检查标出的字段。"), code="staffing_invalid", status=422,
                          fields={"until": [_("结束日期须在开始日期之后，且不超过92天。")]})
    return paginated(list(roster_selectors.my_shifts(by=user, since=start, until=end)), page, page_size,
                     render=lambda s: {**shift_out(s), "center_id": s.roster.center_id,
                                       "roster_status": s.roster.status})
