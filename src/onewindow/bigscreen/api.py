"""The big-data display API (issue #16): crowd-flow ingest with a source token, and the staff's
reads and operations. Error shape and paging: core.api (decision 0013)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Path, Query, Router, Schema, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.pagination import paginated
from onewindow.core.schemas import ErrorOut, PageOut

from .choices import ScreenLayout, Severity
from .models import EmergencyMessage, Screen
from .selectors import ops as ops_selectors
from .services import screens as screen_services

router = Router(tags=["bigscreen"])


# ---- the operator's endpoints (issue #16 part 5; helper E) -------------------------------------
# ``GET /emergency``, ``POST /emergency`` (201), ``POST /emergency/{id}/clear``: the emergency
# message over every screen; ``GET /screens``, ``POST /screens`` (201, a hall display made a big
# screen), ``PUT /screens/{id}``: layout, area, rotating panels. Session or a token with the scope
# ``bigscreen`` of a user who is an operator (system admin or center manager). Refusals: 401 no
# credential; 403 ``bigscreen_operator_only``, ``insufficient_scope``, ``token_without_user``; 404
# ``bigscreen_emergency_not_found``, ``bigscreen_screen_not_found``, ``bigscreen_device_not_found``;
# 409 ``bigscreen_emergency_not_live``, ``bigscreen_screen_exists``; 422 invalid input
# (``bigscreen_panel_unknown``, ``bigscreen_emergency_text_required``, … with the field named).

OPS_SCOPE = "bigscreen"
_OPS_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
_ID = Path(..., ge=1, le=2**63 - 1)


class EmergencyIn(Schema):
    text: str = ""
    text_en: str = ""
    severity: str = Severity.WARNING
    ends_at: datetime.datetime | None = None


class EmergencyOut(Schema):
    id: int
    text: str
    text_en: str
    severity: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    created_at: datetime.datetime
    cleared_at: datetime.datetime | None
    live: bool


class EmergencyPageOut(PageOut):
    items: list[EmergencyOut]


class ScreenIn(Schema):
    name: str = ""
    layout: str = ScreenLayout.HD
    area: str | None = None
    panels: list[str] = []
    rotate_seconds: int = 20


class ScreenCreateIn(ScreenIn):
    device_id: int


class ScreenOut(Schema):
    id: int
    device_id: int
    name: str
    layout: str
    area: str | None
    panels: list[str]
    rotate_seconds: int
    is_active: bool
    last_seen_at: datetime.datetime | None = None


class ScreenPageOut(PageOut):
    items: list[ScreenOut]


def _emergency_out(message: EmergencyMessage) -> dict[str, Any]:
    return {"id": message.pk, "text": message.text, "text_en": message.text_en, "severity": message.severity,
            "starts_at": message.starts_at, "ends_at": message.ends_at, "created_at": message.created_at,
            "cleared_at": message.cleared_at, "live": ops_selectors.is_live(message, timezone.now())}


def _screen_out(screen: Screen, last_seen_at: datetime.datetime | None = None) -> dict[str, Any]:
    return {"id": screen.pk, "device_id": screen.device_id, "name": screen.name, "layout": screen.layout,
            "area": screen.area.code if screen.area else None, "panels": list(screen.panels),
            "rotate_seconds": screen.rotate_seconds, "is_active": screen.is_active, "last_seen_at": last_seen_at}


@router.get("/emergency", auth=session_or_token, response={200: EmergencyPageOut, **_OPS_ERRORS},
            summary="紧急通告列表")
def emergency_list(request: HttpRequest, page: int = Query(1, ge=1, le=100_000)) -> Any:
    rows = ops_selectors.emergency_list_for(require_user(request, OPS_SCOPE), limit=500)
    return paginated(rows, page, 50, _emergency_out)


@router.post("/emergency", auth=session_or_token, response={201: EmergencyOut, **_OPS_ERRORS},
             summary="发布紧急通告")
def emergency_post(request: HttpRequest, body: EmergencyIn) -> Any:
    message = screen_services.emergency_post(by=require_user(request, OPS_SCOPE), text=body.text,
                                             text_en=body.text_en, severity=body.severity, ends_at=body.ends_at)
    return Status(201, _emergency_out(message))


@router.post("/emergency/{message_id}/clear", auth=session_or_token, response={200: EmergencyOut, **_OPS_ERRORS},
             summary="撤除紧急通告")
def emergency_clear(request: HttpRequest, message_id: int = _ID) -> Any:
    return _emergency_out(screen_services.emergency_clear(by=require_user(request, OPS_SCOPE), message_id=message_id))


@router.get("/screens", auth=session_or_token, response={200: ScreenPageOut, **_OPS_ERRORS}, summary="大屏列表")
def screen_list(request: HttpRequest, page: int = Query(1, ge=1, le=100_000)) -> Any:
    rows = ops_selectors.screen_list_for(require_user(request, OPS_SCOPE))
    return paginated(rows, page, 50, lambda row: _screen_out(row.screen, row.last_seen_at))


@router.post("/screens", auth=session_or_token, response={201: ScreenOut, **_OPS_ERRORS}, summary="登记大屏")
def screen_create(request: HttpRequest, body: ScreenCreateIn) -> Any:
    screen = screen_services.screen_create(by=require_user(request, OPS_SCOPE), device_id=body.device_id,
                                           name=body.name, layout=body.layout, area=body.area, panels=body.panels,
                                           rotate_seconds=body.rotate_seconds)
    return Status(201, _screen_out(screen))


@router.put("/screens/{screen_id}", auth=session_or_token, response={200: ScreenOut, **_OPS_ERRORS},
            summary="设置大屏")
def screen_configure(request: HttpRequest, body: ScreenIn, screen_id: int = _ID) -> Any:
    screen = screen_services.screen_configure(by=require_user(request, OPS_SCOPE), screen_id=screen_id,
                                              name=body.name, layout=body.layout, area=body.area,
                                              panels=body.panels, rotate_seconds=body.rotate_seconds)
    return _screen_out(screen)
