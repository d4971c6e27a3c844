"""Item decisions (事项准入) in the JSON API, under ``/api/v1/analytics/``:

- ``GET decisions/candidates``: the low-volume items of a center the caller manages over a window
  (``window`` = since | year | seed | custom with ``start``/``end``; ``max`` defaults to
  ANALYTICS_LOW_VOLUME_MAX), each with its monthly volume, last case, channels, catalog status;
- ``GET decisions/proposals`` (by ``status``), ``GET decisions/proposals/{id}``;
- ``POST decisions/proposals`` (the center manager), ``POST decisions/proposals/{id}/accept`` and
  ``/reject`` (the item's department), ``/cancel`` (the proposer).

Session or a token of a user with the ``analytics`` scope. Refusals: 401 no credential; 403
``insufficient_scope`` or ``proposal_action_forbidden``; 404 ``center_not_found``,
``item_not_found``, ``proposal_not_found``; 409 ``proposal_open_exists``,
``proposal_item_withdrawn``, ``proposal_illegal_transition``; 400 ``analytics_bad_window``,
``proposal_invalid``, ``proposal_bad_status``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginated
from onewindow.core.schemas import PageOut

from .. import permissions as perms
from ..models import ItemProposal
from ..selectors import decisions as selectors
from ..services import decisions as services

router = Router()
SCOPE = "analytics"
MAX_ID = 2**31 - 1
ID = Path(..., ge=1, le=MAX_ID)


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}


class CandidateOut(Schema):
    item_id: int
    item_code: str
    item_name: str
    department: str
    status: str
    withdrawn_on: datetime.date | None
    volume: int
    monthly: dict[str, int]
    last_received: datetime.datetime | None
    channels: dict[str, int]
    suggested_action: str
    open_proposal: int | None
    decided_proposals: list[int]


class CandidatesOut(PageOut):
    center: int
    window: str
    start: datetime.date
    end: datetime.date
    max: int
    zero: int
    zero_withdrawn: int
    items: list[CandidateOut]


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str
    note: str
    at: datetime.datetime


class ProposalOut(Schema):
    id: int
    center: int
    item_id: int
    item_code: str
    item_name: str
    department: str
    action: str
    action_label: str
    status: str
    status_label: str
    reason: str
    decision_note: str
    window_start: datetime.date
    window_end: datetime.date
    volume: int
    last_case_at: datetime.datetime | None
    catalog_version: int | None = Field(None, description="采纳取消建议后产生的事项版本号")
    proposed_at: datetime.datetime
    decided_at: datetime.datetime | None


class ProposalDetailOut(ProposalOut):
    events: list[EventOut]


class ProposalPageOut(PageOut):
    items: list[ProposalOut]


class ProposalIn(Schema):
    center: NfkcInt = Field(..., ge=1, le=MAX_ID)
    item: NfkcInt = Field(..., ge=1, le=MAX_ID)
    action: str = Field(..., max_length=10)
    reason: str = Field(..., max_length=2000)
    window_start: datetime.date
    window_end: datetime.date


class NoteIn(Schema):
    note: str = Field("", max_length=2000)


def _proposal(p: ItemProposal) -> dict[str, Any]:
    return {"id": p.pk, "center": p.center_id, "item_id": p.item_id, "item_code": p.item.code,
            "item_name": p.item.name, "department": p.department.name, "action": p.action,
            "action_label": str(p.get_action_display()), "status": p.status,
            "status_label": str(p.get_status_display()), "reason": p.reason, "decision_note": p.decision_note,
            "window_start": p.window_start, "window_end": p.window_end, "volume": p.volume,
            "last_case_at": p.last_case_at,
            "catalog_version": p.catalog_version.number if p.catalog_version else None,
            "proposed_at": p.proposed_at, "decided_at": p.decided_at}


def _detail(p: ItemProposal) -> dict[str, Any]:
    events = [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status,
               "actor": e.actor.get_username() if e.actor else e.actor_label, "note": e.note, "at": e.at}
              for e in p.events.select_related("actor").order_by("at", "id")]
    return {**_proposal(p), "events": events}


def _candidate(r: selectors.Candidate) -> dict[str, Any]:
    return {"item_id": r.item.pk, "item_code": r.item.code, "item_name": r.item.name,
            "department": r.item.department.name, "status": r.item.status, "withdrawn_on": r.withdrawn_on,
            "volume": r.volume, "monthly": r.monthly, "last_received": r.last_received, "channels": r.channels,
            "suggested_action": r.suggested_action,
            "open_proposal": r.open_proposal.pk if r.open_proposal else None,
            "decided_proposals": [p.pk for p in r.decided]}


@router.get("/decisions/candidates", auth=session_or_token, response={200: CandidatesOut, **ERRORS},
            summary="低办件量事项（中心负责人）")
def candidates(request: HttpRequest,
               center: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
               window: NfkcStr = Query("since", max_length=10),  # noqa: B008
               start: datetime.date | None = Query(None),  # noqa: B008
               end: datetime.date | None = Query(None),  # noqa: B008
               max: NfkcInt | None = Query(None, ge=0, le=1_000_000),  # noqa: B008
               page: NfkcInt = Query(1, ge=1, le=100_000)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, SCOPE)
    if center is None:
        managed = sorted(perms.managed_centers(user))
        center = managed[0] if managed else 0
    found = selectors.center_for_manager(by=user, center_id=center)
    preset, first, last = selectors.window_of(window, start, end)
    rows = selectors.candidates(by=user, center_id=found.pk, start=first, end=last, maximum=max)
    zero = [r for r in rows if r.volume == 0]
    return {"center": found.pk, "window": preset, "start": first, "end": last,
            "max": selectors.low_volume_max() if max is None else max,
            "zero": len(zero), "zero_withdrawn": sum(1 for r in zero if r.withdrawn),
            **paginated(rows, page, render=_candidate)}


@router.get("/decisions/proposals", auth=session_or_token, response={200: ProposalPageOut, **ERRORS},
            summary="事项调整建议列表")
def proposal_list(request: HttpRequest, status: NfkcStr = Query("", max_length=10),  # noqa: B008
                  page: NfkcInt = Query(1, ge=1, le=100_000)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, SCOPE)
    return paginated(selectors.proposal_list(by=user, status=status or None), page, render=_proposal)


@router.get("/decisions/proposals/{proposal_id}", auth=session_or_token,
            response={200: ProposalDetailOut, **ERRORS}, summary="事项调整建议详情")
def proposal_detail(request: HttpRequest, proposal_id: int = ID) -> dict[str, Any]:
    user = require_user(request, SCOPE)
    return _detail(selectors.proposal_detail(by=user, proposal_id=proposal_id))


@router.post("/decisions/proposals", auth=session_or_token, response={201: ProposalDetailOut, **WRITE_ERRORS},
             summary="提出事项调整建议（中心负责人）")
def proposal_make(request: HttpRequest, body: ProposalIn) -> Status:
    user = require_user(request, SCOPE)
    made = services.proposal_make(by=user, center_id=body.center, item_id=body.item, action=body.action,
                                  reason=body.reason, window_start=body.window_start, window_end=body.window_end)
    return Status(201, _detail(selectors.proposal_detail(by=user, proposal_id=made.pk)))


def _step(request: HttpRequest, proposal_id: int, service: Any, note: str) -> dict[str, Any]:
    user = require_user(request, SCOPE)
    service(by=user, proposal_id=proposal_id, note=note)
    return _detail(selectors.proposal_detail(by=user, proposal_id=proposal_id))


@router.post("/decisions/proposals/{proposal_id}/accept", auth=session_or_token,
             response={200: ProposalDetailOut, **WRITE_ERRORS}, summary="采纳建议（事项所属部门）")
def proposal_accept(request: HttpRequest, body: NoteIn, proposal_id: int = ID) -> dict[str, Any]:
    return _step(request, proposal_id, services.proposal_accept, body.note)


@router.post("/decisions/proposals/{proposal_id}/reject", auth=session_or_token,
             response={200: ProposalDetailOut, **WRITE_ERRORS}, summary="不采纳建议（事项所属部门）")
def proposal_reject(request: HttpRequest, body: NoteIn, proposal_id: int = ID) -> dict[str, Any]:
    return _step(request, proposal_id, services.proposal_reject, body.note)


@router.post("/decisions/proposals/{proposal_id}/cancel", auth=session_or_token,
             response={200: ProposalDetailOut, **WRITE_ERRORS}, summary="撤回建议（建议人）")
def proposal_cancel(request: HttpRequest, body: NoteIn, proposal_id: int = ID) -> dict[str, Any]:
    return _step(request, proposal_id, services.proposal_cancel, body.note)
