"""The taxqr part of the JSON API (/api/v1/taxqr/): drafts and codes (taxpayer side), window
preview and capture, records and the summary list (tax side).

Handlers parse, call one service or selector, render. 401 anonymous; 403 not allowed (or a token
without ``taxqr:read`` / ``taxqr:write``); 404 outside the caller's scope; 409 duplicate, or a
wrong status (``tax_draft_illegal_transition``: a coded draft is edited before it is coded again);
422 invalid. Window endpoints take form data (``text`` typed by a scanner gun, or ``image`` upload).
Personal data is always masked here; the unmasked detail is a page for authorised staff only.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.reauth import require_reauth
from onewindow.core.errors import DomainError
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated

from . import exports, images, selectors, services
from . import permissions as perms
from .models import ClientDraft
from .schemas import (
    ArchiveIn,
    ArchiveOut,
    CodeOut,
    CorrectIn,
    CorrectionOut,
    DraftIn,
    DraftOut,
    DraftPageOut,
    ErrorOut,
    PreviewOut,
    RecordDetailOut,
    RecordOut,
    RecordPageOut,
    estimate_out,
    finding_out,
    record_out,
)

router = Router(tags=["taxqr"], auth=session_or_token)

MAX_ID = 2**63 - 1
READ = "taxqr:read"
WRITE = "taxqr:write"
MAX_IMAGE_BYTES = 10_000_000
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut}


def _draft_out(draft: ClientDraft) -> DraftOut:
    return DraftOut(id=draft.pk, status=draft.status, certificate_no=draft.certificate_no,
                    ruleset_version=draft.ruleset_version, parts=len(draft.codes or []), updated_at=draft.updated_at)


def _image_bytes(image: UploadedFile | None) -> bytes | None:
    if image is None:
        return None
    if image.size and image.size > MAX_IMAGE_BYTES:
        raise DomainError(_("图片过大（最大 10 MB）。"), code="image_too_large", status=422)
    return image.read()


@router.get("/drafts", response={200: DraftPageOut, **ERRORS}, summary="我的房产交易辅助填报")
def drafts(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
           page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, READ)
    return paginated(selectors.draft_list_for(user), page, page_size, _draft_out)


@router.post("/drafts", response={201: DraftOut, **ERRORS}, summary="新建填报")
def draft_create(request: HttpRequest, payload: DraftIn) -> Status[DraftOut]:
    user = require_user(request, WRITE)
    return Status(201, _draft_out(services.draft_save(by=user, data=payload.data)))


@router.put("/drafts/{draft_id}", response={200: DraftOut, **ERRORS}, summary="修改填报")
def draft_update(request: HttpRequest, payload: DraftIn, draft_id: int = Path(..., ge=1, le=MAX_ID)) -> DraftOut:
    user = require_user(request, WRITE)
    return _draft_out(services.draft_save(by=user, data=payload.data, draft_id=draft_id))


@router.post("/drafts/{draft_id}/code", response={200: CodeOut, **ERRORS}, summary="校验并生成二维码")
def draft_code(request: HttpRequest, draft_id: int = Path(..., ge=1, le=MAX_ID)) -> CodeOut:
    user = require_user(request, WRITE)
    coded = services.draft_generate_code(by=user, draft_id=draft_id)
    texts = list(coded.draft.codes)
    return CodeOut(id=coded.draft.pk, ruleset_version=coded.draft.ruleset_version, texts=texts,
                   svgs=[images.render_svg(t, title=f"{i}/{len(texts)}") for i, t in enumerate(texts, 1)],
                   warnings=[finding_out(w) for w in coded.warnings], estimate=estimate_out(coded.estimate))


@router.post("/window/preview", response={200: PreviewOut, **ERRORS}, summary="窗口扫码预览（不保存）")
def window_preview(request: HttpRequest, text: Form[str] = "", image: File[UploadedFile] | None = None) -> PreviewOut:
    user = require_user(request, WRITE)
    preview = services.record_preview(by=user, text=text[:40_000], image=_image_bytes(image))
    return PreviewOut(record=selectors.record_masked(preview.record), ruleset_version=preview.decoded.ruleset_version,
                      signing_kid=preview.decoded.signing_kid, issued_at=preview.decoded.issued_at,
                      warnings=[finding_out(w) for w in preview.warnings], estimate=estimate_out(preview.estimate))


@router.post("/window/capture", response={201: RecordOut, **ERRORS}, summary="确认保存房交信息")
def window_capture(request: HttpRequest, text: Form[str] = "", window: Form[str] = "",
                   first_scan_at: Form[datetime.datetime | None] = None,
                   image: File[UploadedFile] | None = None) -> Status[RecordOut]:
    user = require_user(request, WRITE)
    record = services.record_capture(by=user, text=text[:40_000], image=_image_bytes(image), window=window[:200],
                                     first_scan_at=first_scan_at)
    return Status(201, RecordOut(**record_out(record)))


@router.get("/records", response={200: RecordPageOut, **ERRORS}, summary="房交信息查询（本局，脱敏）")
def records(request: HttpRequest, q: str = Query("", max_length=60), date: datetime.date | None = None,
            window: str = Query("", max_length=20), agency: str = Query("", max_length=200),
            street: NfkcStr = Query("", max_length=12),  # noqa: B008
            page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
            page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, READ)
    flt = selectors.RecordFilter(q=q, day=date, window=window, agency=agency, street=street)
    return paginated(selectors.record_list_for(user, flt), page, page_size, lambda r: RecordOut(**record_out(r)))


@router.get("/records/{record_id}", response={200: RecordDetailOut, **ERRORS}, summary="房交信息详情（脱敏）")
def record_detail(request: HttpRequest, record_id: int = Path(..., ge=1, le=MAX_ID)) -> RecordDetailOut:
    user = require_user(request, READ)
    record = selectors.record_get_for(user, record_id)
    corrections = [CorrectionOut(field=c.field, before=c.before_masked, after=c.after_masked, reason=c.reason,
                                 corrected_at=c.corrected_at) for c in record.corrections.all()]
    return RecordDetailOut(**record_out(record), record=selectors.record_masked(record.record),
                           warnings=list(record.warnings), corrections=corrections)


@router.post("/records/{record_id}/corrections", response={201: RecordOut, **ERRORS}, summary="更正房交信息")
def record_correct(request: HttpRequest, payload: CorrectIn,
                   record_id: int = Path(..., ge=1, le=MAX_ID)) -> Status[RecordOut]:
    user = require_user(request, WRITE)
    correction = services.record_correct(by=user, record_id=record_id, field_path=payload.field,
                                         value=payload.value, reason=payload.reason)
    return Status(201, RecordOut(**record_out(correction.record)))


def _summary(request: HttpRequest, fmt: str, date: datetime.date, window: str, agency: str) -> HttpResponse:
    user = require_user(request, READ)
    perms.require_tax_reader(user)
    flt = exports.summary_filter(day=date, window=window, agency=agency)
    require_reauth(request)  # a session user re-enters the password before an export; tokens are exempt
    made = exports.summary_download(by=user, flt=flt, fmt=fmt)
    response = HttpResponse(made.content, content_type=made.content_type)
    response["Content-Disposition"] = content_disposition_header(True, made.filename) or ""
    return response


@router.get("/summary.xlsx", response={200: None, **ERRORS}, summary="汇总清单（Excel，下载）")
def summary_xlsx(request: HttpRequest, date: datetime.date, window: str = Query("", max_length=20),
                 agency: str = Query("", max_length=40)) -> HttpResponse:
    return _summary(request, "xlsx", date, window, agency)


@router.get("/summary.pdf", response={200: None, **ERRORS}, summary="汇总清单（PDF，下载）")
def summary_pdf(request: HttpRequest, date: datetime.date, window: str = Query("", max_length=20),
                agency: str = Query("", max_length=40)) -> HttpResponse:
    return _summary(request, "pdf", date, window, agency)


@router.post("/summary/archive", response={201: ArchiveOut, **ERRORS}, summary="归档当日汇总清单（本局）")
def summary_archive(request: HttpRequest, payload: ArchiveIn) -> Status[ArchiveOut]:
    user = require_user(request, WRITE)
    perms.require_tax_reader(user)
    require_reauth(request)
    archive = exports.summary_archive(by=user, day=payload.date, fmt=payload.format, bureau_code=payload.bureau)
    return Status(201, ArchiveOut(id=archive.pk, reference=archive.reference, kind=archive.kind, day=payload.date,
                                  rows=archive.rows, sha256=archive.sha256, size=archive.size,
                                  retention_until=archive.retention_until))
