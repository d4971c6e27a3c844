"""The catalogue part of the sharing API (/api/v1/sharing/resources): parse, call, render.

- ``GET /resources``: the catalogue (filters ``q``, ``department_id``, ``sharing_class``,
  ``kind``), paginated ``{items, total, page, pages}``;
- ``GET /resources/{code}``: one resource with its current terms, fields and version history;
- ``POST /resources``: register a resource (provider admins); ``POST /resources/{code}/versions``
  drafts the next version's terms; ``POST /resources/{code}/publish`` publishes the open draft;
  ``POST /resources/{code}/withdraw`` withdraws the resource (reason).

Who: staff (any role) and system admins read, through a session or a bearer token owned by such
a user with the scope ``sharing:read``; the writes need ``sharing:manage`` and a 部门管理员 role
of the provider department. Refusals: 401 anonymous; 403 ``sharing_staff_only``,
``insufficient_scope``, ``token_without_user``, ``sharing_resource_forbidden``; 404
``sharing_resource_not_found`` (also for a draft the caller may not see), ``department_not_found``;
409 ``sharing_version_already_published``, ``sharing_resource_withdrawn``; 422 invalid input.
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
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.models import Department
from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import paginated
from onewindow.core.schemas import ErrorOut, PageOut

from . import permissions as perms
from .choices import AdapterKind, ResourceKind, ResourceStatus, SharingClass, UpdateFrequency
from .models import DataResource, ResourceVersion
from .selectors import catalogue as selectors
from .services import catalogue as services

router = Router(tags=["sharing"], auth=session_or_token)

READ = "sharing:read"
MANAGE = "sharing:manage"
MAX_ID = 2**63 - 1
ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
PAGE = Query(1, ge=1, le=100_000)
PAGE_SIZE = Query(50, ge=1, le=100)
CODE = Path(..., min_length=1, max_length=40)


def reader(request: HttpRequest, scope: str) -> User:
    """The calling user, if staff (or a system admin) and the credential holds ``scope``."""
    user = require_user(request, scope)
    if not perms.is_sharing_reader(user):
        raise PermissionDenied(_("仅政务部门工作人员可以使用数据共享平台。"), code="sharing_staff_only")
    return user


def bad_filter(field: str) -> DomainError:
    return DomainError(_("筛选条件不正确。"), code="invalid_filter", status=422,
                       fields={field: [_("请从给定选项中选择。")]})


class FieldOut(Schema):
    name: str
    label: str
    type: str
    personal: bool
    key: bool


class VersionOut(Schema):
    number: int
    name: str
    description: str
    sharing_class: str
    sharing_class_label: str
    conditions: str
    not_shared_basis: str
    legal_basis: str
    update_frequency: str
    update_frequency_label: str
    fields: list[FieldOut]
    contact_name: str
    contact_phone: str
    digest: str
    published: bool
    published_at: datetime.datetime | None


class ResourceOut(Schema):
    code: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    provider_department_id: int
    provider_department: str
    adapter: str
    name: str
    sharing_class: str
    sharing_class_label: str
    current_version: int | None


class ResourcePageOut(PageOut):
    items: list[ResourceOut]


class ResourceDetailOut(ResourceOut):
    current: VersionOut | None
    versions: list[VersionOut]


class ResourceIn(Schema):
    provider_department_id: NfkcInt | None = Field(None, ge=1, le=MAX_ID)
    kind: str = Field(..., max_length=10)
    adapter: str = Field(AdapterKind.IN_PROCESS, max_length=12)
    provider: str = Field("", max_length=60)
    endpoint: str = Field("", max_length=300)
    remote_code: NfkcStr = Field("", max_length=40)


class FieldIn(Schema):
    name: str = Field(..., max_length=40)
    label: str = Field(..., max_length=60)
    type: str = Field(..., max_length=20)
    personal: bool = False
    key: bool = False


class VersionIn(Schema):
    name: str = Field(..., max_length=200)
    description: str = Field("", max_length=4000)
    sharing_class: str = Field(..., max_length=14)
    conditions: str = Field("", max_length=4000)
    not_shared_basis: str = Field("", max_length=4000)
    legal_basis: str = Field(..., max_length=4000)
    update_frequency: str = Field(..., max_length=10)
    fields: list[FieldIn] = Field(..., max_length=200)
    contact_name: str = Field(..., max_length=50)
    contact_phone: NfkcStr = Field(..., max_length=30)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


def version_out(version: ResourceVersion) -> dict[str, Any]:
    return {
        "number": version.number, "name": version.name, "description": version.description,
        "sharing_class": version.sharing_class, "sharing_class_label": str(SharingClass(version.sharing_class).label),
        "conditions": version.conditions, "not_shared_basis": version.not_shared_basis,
        "legal_basis": version.legal_basis, "update_frequency": version.update_frequency,
        "update_frequency_label": str(UpdateFrequency(version.update_frequency).label),
        "fields": [{"name": f["name"], "label": f["label"], "type": f["type"], "personal": bool(f.get("personal")),
                    "key": bool(f.get("key"))} for f in version.fields],
        "contact_name": version.contact_name, "contact_phone": version.contact_phone, "digest": version.digest,
        "published": version.published_at is not None, "published_at": version.published_at,
    }


def resource_out(resource: DataResource) -> dict[str, Any]:
    current = resource.current
    return {
        "code": resource.code, "kind": resource.kind, "kind_label": str(ResourceKind(resource.kind).label),
        "status": resource.status, "status_label": str(ResourceStatus(resource.status).label),
        "provider_department_id": resource.provider_department_id,
        "provider_department": resource.provider_department.name, "adapter": resource.adapter,
        "name": current.name if current else "",
        "sharing_class": current.sharing_class if current else "",
        "sharing_class_label": str(SharingClass(current.sharing_class).label) if current else "",
        "current_version": current.number if current else None,
    }


def _detail(user: User, code: str) -> dict[str, Any]:
    resource = selectors.resource_detail_for(user, code)
    return {
        **resource_out(resource),
        "current": version_out(resource.current) if resource.current else None,
        "versions": [version_out(v) for v in selectors.version_list_for(user, resource)],
    }


@router.get("/resources", response={200: ResourcePageOut, **ERRORS}, summary="数据资源目录")
def resource_list(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    department_id: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
    sharing_class: str = Query("", max_length=14),
    kind: str = Query("", max_length=10),
    page: NfkcInt = PAGE,
    page_size: NfkcInt = PAGE_SIZE,
) -> dict[str, Any]:
    user = reader(request, READ)
    if sharing_class and sharing_class not in SharingClass.values:
        raise bad_filter("sharing_class")
    if kind and kind not in ResourceKind.values:
        raise bad_filter("kind")
    rows = selectors.resource_list_for(user, q=q, department_id=department_id, sharing_class=sharing_class or None,
                                       kind=kind or None)
    return paginated(rows, page, page_size, render=resource_out)


@router.get("/resources/{code}", response={200: ResourceDetailOut, **ERRORS}, summary="数据资源详情")
def resource_detail(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    return _detail(reader(request, READ), code)


def _own_department(user: User, department_id: int | None) -> Department:
    own = perms.provider_department_ids(user)
    if department_id is None:
        if len(own) != 1:
            raise DomainError(_("请选择提供部门。"), code="sharing_resource_invalid", status=422,
                              fields={"provider_department_id": [_("此项必填。")]})
        department_id = next(iter(own))
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found")
    return department


@router.post("/resources", response={200: ResourceDetailOut, **WRITE_ERRORS}, summary="登记数据资源")
def resource_create(request: HttpRequest, payload: ResourceIn) -> dict[str, Any]:
    user = reader(request, MANAGE)
    resource = services.resource_create(
        by=user, provider_department=_own_department(user, payload.provider_department_id), kind=payload.kind,
        adapter=payload.adapter, provider=payload.provider, endpoint=payload.endpoint,
        remote_code=payload.remote_code)
    return _detail(user, resource.code)


@router.post("/resources/{code}/versions", response={200: ResourceDetailOut, **WRITE_ERRORS},
             summary="编辑资源目录草稿版本")
def version_draft(request: HttpRequest, payload: VersionIn, code: str = CODE) -> dict[str, Any]:
    user = reader(request, MANAGE)
    resource = selectors.resource_detail_for(user, code)
    data = payload.dict()
    services.version_draft(by=user, resource=resource, **data)
    return _detail(user, code)


@router.post("/resources/{code}/publish", response={200: ResourceDetailOut, **WRITE_ERRORS},
             summary="发布资源目录版本")
def version_publish(request: HttpRequest, code: str = CODE) -> dict[str, Any]:
    user = reader(request, MANAGE)
    resource = selectors.resource_detail_for(user, code)
    if not selectors.may_manage(user, resource):
        raise PermissionDenied(_("只有提供部门的部门管理员可以维护本部门的数据资源。"),
                               code="sharing_resource_forbidden")
    draft = selectors.open_draft_for(user, resource)
    if draft is None:
        raise DomainError(_("该资源没有待发布的草稿版本。"), code="sharing_version_no_draft", status=409)
    services.version_publish(by=user, version=draft)
    return _detail(user, code)


@router.post("/resources/{code}/withdraw", response={200: ResourceDetailOut, **WRITE_ERRORS},
             summary="撤销数据资源")
def resource_withdraw(request: HttpRequest, payload: ReasonIn, code: str = CODE) -> dict[str, Any]:
    user = reader(request, MANAGE)
    resource = selectors.resource_detail_for(user, code)
    services.resource_withdraw(by=user, resource=resource, reason=payload.reason)
    return _detail(user, code)
