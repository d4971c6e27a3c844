"""The bulk-exchange part of the sharing API (/api/v1/sharing/drops): parse, call one service or
selector, render.

- ``POST /drops`` (multipart: ``resource`` code, ``file``, ``sha256``, ``kid``, ``signature``):
  receive a drop (``services.bulk.drop_receive``) → 201 with the drop, its counts and per-row
  errors; a drop refused as a whole is stored and answered 422 with its code
  (``sharing_drop_checksum`` / ``_signature`` / ``_schema`` / ``_format`` / ``_encoding`` /
  ``_empty``) and its message, the stored drop's id in ``fields.drop_id`` and ``Location``;
- ``GET /drops``: the drops the caller may see (filters ``resource``, ``status``), newest first,
  ``{items, total, page, pages}``; ``GET /drops/{id}``: one drop with its errors.

Who: staff through a session, or a bearer token owned by a user with ``sharing:read`` (reads)
and ``sharing:manage`` (sending). Sending: the 部门管理员 and 数据报送员 of the resource's provider
department; reading: the same people for their department's drops, system admins all. Refusals:
401 anonymous; 403 ``sharing_staff_only``, ``insufficient_scope``, ``token_without_user``,
``sharing_drop_forbidden``; 404 ``sharing_resource_not_found``, ``sharing_drop_not_found``; 409
``sharing_drop_not_dataset`` / ``_not_published`` / ``_no_key``; 422 as above.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.accounts.models import User
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.normalize import NfkcInt
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated
from onewindow.core.schemas import ErrorOut, PageOut

from . import permissions as perms
from .choices import DropStatus
from .models import BulkDrop
from .selectors.bulk import drop_get_for, drop_list_for, drop_repeat_of
from .services.bulk import drop_receive, drop_refusal_message, resource_for_drop

router = Router(tags=["sharing"], auth=session_or_token)

READ = "sharing:read"
MANAGE = "sharing:manage"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class DropErrorOut(Schema):
    """One reported problem: the line in the file (1 is the header, 0 the file as a whole)."""

    line: int
    field: str = ""
    code: str
    message: str


class DropOut(Schema):
    id: int
    resource_code: str
    version: int | None
    file_name: str
    declared_sha256: str
    actual_sha256: str
    kid: str
    signed: bool
    status: str
    status_label: str
    refusal_code: str
    refusal_message: str
    rows_total: int
    rows_created: int
    rows_updated: int
    rows_unchanged: int
    rows_failed: int
    #: False for a load that created and updated nothing (e.g. the same file sent again).
    changed: bool
    created_at: datetime.datetime
    created_by: str
    finished_at: datetime.datetime | None


class DropDetailOut(DropOut):
    errors: list[DropErrorOut]
    #: The earlier loaded drop with the same content, when this one repeated it.
    repeat_of: int | None


class DropPageOut(PageOut):
    items: list[DropOut]


def drop_out(drop: BulkDrop) -> dict[str, Any]:
    return {
        "id": drop.pk, "resource_code": drop.resource.code,
        "version": drop.version.number if drop.version is not None else None,
        "file_name": drop.file_name, "declared_sha256": drop.declared_sha256, "actual_sha256": drop.actual_sha256,
        "kid": drop.kid, "signed": bool(drop.signature), "status": drop.status,
        "status_label": str(DropStatus(drop.status).label), "refusal_code": drop.refusal_code,
        "refusal_message": drop_refusal_message(drop) if drop.status == DropStatus.REFUSED else "",
        "rows_total": drop.rows_total, "rows_created": drop.rows_created, "rows_updated": drop.rows_updated,
        "rows_unchanged": drop.rows_unchanged, "rows_failed": drop.rows_failed,
        "changed": bool(drop.rows_created or drop.rows_updated), "created_at": drop.created_at,
        "created_by": drop.created_by.get_username() if drop.created_by is not None else "system",
        "finished_at": drop.finished_at,
    }


def drop_detail_out(drop: BulkDrop) -> dict[str, Any]:
    repeat = drop_repeat_of(drop)
    return {**drop_out(drop), "errors": list(drop.errors), "repeat_of": repeat.pk if repeat is not None else None}


def _staff(request: HttpRequest, scope: str) -> User:
    user = require_user(request, scope)
    if not perms.is_sharing_reader(user):
        raise PermissionDenied(_("仅政务部门工作人员可以使用数据共享。"), code="sharing_staff_only")
    return user


@router.post("/drops", response={201: DropDetailOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
             summary="报送批量交换文件（CSV/xlsx，校验值与签名）")
def drop_create(request: HttpRequest, response: HttpResponse, file: File[UploadedFile], resource: Form[str],
                sha256: Form[str], kid: Form[str] = "", signature: Form[str] = "") -> Status[Any]:
    user = _staff(request, MANAGE)
    target = resource_for_drop(resource)
    drop = drop_receive(by=user, resource=target, file_name=(file.name or "drop")[:200], content=file.read(),
                        declared_sha256=sha256[:200], kid=kid[:100], signature=signature[:200])
    if drop.status == DropStatus.REFUSED:
        # the house error shape; the stored drop is named in ``fields.drop_id`` and in Location
        message = drop_refusal_message(drop)
        response["Location"] = f"{request.path.rstrip('/')}/{drop.pk}"
        return Status(422, {"code": drop.refusal_code, "message": message,
                            "fields": {"file": [message], "drop_id": [str(drop.pk)]}})
    return Status(201, drop_detail_out(drop))


@router.get("/drops", response={200: DropPageOut, **ERRORS}, summary="批量交换文件（本部门报送的；系统管理员全部）")
def drop_list(request: HttpRequest, resource: str = Query("", max_length=40), status: str = Query("", max_length=20),
              page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
              page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    user = _staff(request, READ)
    if status and status not in DropStatus.values:
        raise DomainError(_("筛选条件不正确。"), code="invalid_filter", status=422,
                          fields={"status": [_("请从给定选项中选择。")]})
    rows = drop_list_for(user, resource_code=resource.strip(), status=status)
    return paginated(rows, page, page_size, drop_out)


@router.get("/drops/{drop_id}", response={200: DropDetailOut, **ERRORS}, summary="批量交换文件详情（计数与逐行错误）")
def drop_detail(request: HttpRequest, drop_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    user = _staff(request, READ)
    return drop_detail_out(drop_get_for(user, drop_id))
