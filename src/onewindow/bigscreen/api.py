"""The big-data display API (issue #16): crowd-flow ingest with a source token, and the staff's
reads and operations. Error shape and paging: core.api (decision 0013).

Crowd-flow ingest (part 2; helper A), a source's bearer token with the scope ``crowd:ingest``
(bigscreen/api_auth.py), the rules and refusals in services/ingest.py:

- ``POST /crowd/reports``: one report ``{"area", "bucket_start", "counts": [{"zone", "origin" |
  "region", "present", "arrivals"}]}`` → 201 ``created``, 200 ``unchanged`` or ``corrected``;
  body ``{area, bucket_start, revision, status}`` (``bucket_start`` the aligned Shanghai instant,
  whatever offset was sent; a sub-second fraction is dropped, whole seconds off the grid refused);
- ``POST /crowd/reports/batch``: ``{"reports": [...]}`` (≤ 500, all or nothing, the refusal names
  ``reports[3].counts[1].present``) → 200 ``{items, created, unchanged, corrected}``;
- ``POST /crowd/backfill``: a ``text/csv`` body (services/backfill.py) for the source's area,
  all or nothing, the refusal names the CSV line → 200 ``{rows, reports, created, unchanged,
  corrected}``; another content type 415 ``crowd_csv_content_type``;
- ``GET /crowd/reports/{area}/{bucket_start}/revisions``: the history of a bucket (every source's
  revisions) for staff — a session or a token with the scope ``bigscreen`` of a staff user; 401
  anonymous, 403 ``bigscreen_staff_only`` (a citizen), ``insufficient_scope``, ``token_without_user``;
  404 ``bigscreen_area_not_found``; 422 for a bucket off the grid.

Ingest refusals: 401 no or bad token (``token_invalid``, ``token_revoked``, ``token_expired``; a
session is not a source); 403 ``insufficient_scope``, ``crowd_source_unknown``,
``crowd_source_inactive``, ``crowd_source_wrong_area``; 422 every bad input with its field.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.errors import DomainError
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import paginated
from onewindow.core.schemas import ErrorOut, PageOut

from .api_auth import source_auth, source_of
from .buckets import bucket_iso
from .choices import ScreenLayout, Severity
from .models import CrowdRevision, EmergencyMessage, Screen
from .schemas import CrowdBackfillOut, CrowdBatchIn, CrowdBatchOut, CrowdIngestOut, CrowdReportIn, CrowdRevisionPageOut
from .selectors import ops as ops_selectors
from .selectors import reports as report_selectors
from .services import backfill as backfill_services
from .services import ingest as ingest_services
from .services import screens as screen_services

router = Router(tags=["bigscreen"])


# ---- crowd-flow ingest (issue #16 part 2; helper A) --------------------------------------------

_INGEST_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut,
                                  422: ErrorOut}
_READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
STAFF_SCOPE = "bigscreen"


def _ingest_out(result: ingest_services.IngestResult) -> dict[str, Any]:
    report = result.report
    return {"area": report.area.code, "bucket_start": bucket_iso(report.bucket_start), "revision": result.revision,
            "status": result.status}


PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(50, ge=1, le=100)

@router.post("/crowd/reports", auth=source_auth, response={200: CrowdIngestOut, 201: CrowdIngestOut, **_INGEST_ERRORS},
             summary="客流报送 crowd report")
def crowd_report(request: HttpRequest, body: CrowdReportIn) -> Any:
    result = ingest_services.crowd_report_ingest(source=source_of(request), area_code=body.area,
                                                 bucket_start=body.bucket_start, counts=body.counts)
    return Status(201 if result.status == "created" else 200, _ingest_out(result))


@router.post("/crowd/reports/batch", auth=source_auth, response={200: CrowdBatchOut, **_INGEST_ERRORS},
             summary="客流批量报送 crowd reports, all or nothing")
def crowd_reports_batch(request: HttpRequest, body: CrowdBatchIn) -> Any:
    results = ingest_services.crowd_reports_ingest(source=source_of(request), reports=body.reports)
    statuses = [result.status for result in results]
    return {"reports": [_ingest_out(result) for result in results], "created": statuses.count("created"),
            "unchanged": statuses.count("unchanged"), "corrected": statuses.count("corrected")}


@router.post("/crowd/backfill", auth=source_auth, response={200: CrowdBackfillOut, **_INGEST_ERRORS},
             summary="客流历史补录（CSV）crowd backfill")
def crowd_backfill(request: HttpRequest) -> Any:
    if request.content_type not in ("text/csv", "text/plain"):
        raise DomainError(_("请以 text/csv 提交 CSV 文件。"), code="crowd_csv_content_type", status=415)
    result = backfill_services.crowd_backfill(source=source_of(request), data=request.body)
    return {"rows": result.rows, "reports": result.reports, "created": result.created,
            "unchanged": result.unchanged, "corrected": result.corrected}


def _revision_out(revision: CrowdRevision) -> dict[str, Any]:
    report = revision.report
    return {"source": report.source.name, "source_id": report.source_id, "revision": revision.revision,
            "current": revision.revision == report.revision, "received_at": bucket_iso(revision.received_at),
            "via": revision.via, "digest": revision.digest, "counts": revision.counts}


@router.get("/crowd/reports/{area}/{bucket_start}/revisions", auth=session_or_token,
            response={200: CrowdRevisionPageOut, **_READ_ERRORS}, summary="客流报送更正记录 revisions of a bucket")
def crowd_revisions(request: HttpRequest, area: str = Path(..., max_length=40),
                    bucket_start: str = Path(..., max_length=40),
                    page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> Any:
    rows = report_selectors.report_revisions_for(require_user(request, STAFF_SCOPE), area_code=area,
                                                 bucket_start=bucket_start)
    return paginated(rows, page, page_size, _revision_out)


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
_OPS_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
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
    rotate_seconds: NfkcInt = 20


class ScreenCreateIn(ScreenIn):
    device_id: NfkcInt


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
def emergency_list(request: HttpRequest, page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> Any:
    rows = ops_selectors.emergency_list_for(require_user(request, OPS_SCOPE), limit=500)
    return paginated(rows, page, page_size, _emergency_out)


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
def screen_list(request: HttpRequest, page: NfkcInt = PAGE, page_size: NfkcInt = PAGE_SIZE) -> Any:
    rows = ops_selectors.screen_list_for(require_user(request, OPS_SCOPE))
    return paginated(rows, page, page_size, lambda row: _screen_out(row.screen, row.last_seen_at))


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
