"""Pages of the data-sharing platform's home and the resource catalogue (资源目录).

- ``/sharing/``: the platform's home, with links to the catalogue, requests, grants, the exchange
  log, bulk drops and the statistics;
- ``/sharing/catalogue/``: the catalogue, searched and filtered (``selectors.catalogue``);
- ``/sharing/catalogue/<code>/``: one resource — its terms, fields (personal ones marked), class,
  conditions or basis, frequency, contact, digest and version history — with the "申请共享" form
  for requesters and the draft / publish / withdraw forms for the provider's admins;
- ``/sharing/catalogue/new/``: register a resource (provider admins).

Who: every member of staff reads (the catalogue is public inside the extranet); the writes are
the provider department's admins' (the services check). The helpers here (``require_reader``,
``error_page``, ``page_number``, ``field_messages``) are shared by the other sharing pages.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.core.errors import DomainError, PermissionDenied, field_messages
from onewindow.core.models import Department
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from ..choices import AdapterKind, FieldType, Purpose, ResourceKind, ResourceStatus, SharingClass, UpdateFrequency
from ..models import DataResource, ResourceVersion
from ..providers import PROVIDERS
from ..selectors import access as access_selectors
from ..selectors import catalogue as selectors
from ..services import catalogue as services

PAGE_SIZE = 30
PERSONAL_WORDS = {"personal", "个人", "个人信息"}
KEY_WORDS = {"key", "键", "查询键"}


def require_reader(user: Any) -> None:
    """The platform's pages are for staff (and system admins): 403 ``sharing_staff_only`` otherwise."""
    if not perms.is_sharing_reader(user):
        raise PermissionDenied(_("仅政务部门工作人员可以使用数据共享平台。"), code="sharing_staff_only")


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "sharing/error.html", {"error": exc}, status=exc.status)




def fields_as_text(fields: list[dict[str, Any]]) -> str:
    """The schema as the draft form's lines: ``name | label | type | personal key``."""
    lines = []
    for f in fields:
        flags = " ".join(w for w, on in (("personal", f.get("personal")), ("key", f.get("key"))) if on)
        lines.append(" | ".join([f["name"], f["label"], f["type"], *([flags] if flags else [])]))
    return "\n".join(lines)


def fields_from_text(text: str) -> list[dict[str, Any]]:
    """Parse the draft form's lines (see :func:`fields_as_text`; ``｜`` also separates; the flags
    ``personal``/``个人`` and ``key``/``键``). The service checks the result."""
    fields = []
    for line in str(text or "").replace("｜", "|").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        flags = set(" ".join(parts[3:]).replace("，", " ").replace(",", " ").split())
        fields.append({"name": parts[0], "label": parts[1] if len(parts) > 1 else "",
                       "type": parts[2] if len(parts) > 2 else "", "personal": bool(flags & PERSONAL_WORDS),
                       "key": bool(flags & KEY_WORDS)})
    return fields


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """数据共享平台: what there is, and the counts of the caller's own work."""
    try:
        require_reader(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    return render(request, "sharing/home.html", {
        "nav": "home",
        "resources": selectors.resource_list_for(request.user).filter(status=ResourceStatus.PUBLISHED).count(),
        "to_decide": access_selectors.request_list_for(request.user, side="to_decide", status="submitted").count(),
        "mine": access_selectors.request_list_for(request.user, side="mine", status="submitted").count(),
        "grants": access_selectors.grant_list_for(request.user, side="mine", status="active").count(),
        "is_provider": bool(perms.provider_department_ids(request.user)),
    })


@login_required
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """数据资源目录: search (name, code, department, field label, pinyin) and filters."""
    try:
        require_reader(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    get = request.GET
    q = get.get("q", "")[:100]
    sharing_class = get.get("sharing_class", "") if get.get("sharing_class", "") in SharingClass.values else ""
    kind = get.get("kind", "") if get.get("kind", "") in ResourceKind.values else ""
    department_id = page_number(get.get("department")) if str(get.get("department", "")).isdigit() else None
    rows = selectors.resource_list_for(request.user, q=q, department_id=department_id,
                                       sharing_class=sharing_class or None, kind=kind or None)
    result = paginate(rows, page_number(get.get("page")), PAGE_SIZE)
    departments = Department.objects.filter(
        pk__in=DataResource.objects.filter(status=ResourceStatus.PUBLISHED).values("provider_department_id")
    ).order_by("code")
    query = urlencode({k: v for k, v in {"q": q, "sharing_class": sharing_class, "kind": kind,
                                         "department": department_id or ""}.items() if v})
    return render(request, "sharing/catalogue.html", {
        "nav": "catalogue", "rows": result.items, "page": result, "query": query, "q": q,
        "sharing_class": sharing_class, "kind": kind, "department_id": department_id, "departments": departments,
        "classes": SharingClass.choices, "kinds": ResourceKind.choices,
        "may_create": bool(perms.provider_department_ids(request.user)),
    })


def _type_label(value: str) -> str:
    return str(FieldType(value).label) if value in FieldType.values else value


def _resource_page(request: HttpRequest, resource: DataResource, *, error: DomainError | None = None,
                   data: QueryDict | None = None, form: str = "") -> HttpResponse:
    user = request.user
    versions = list(selectors.version_list_for(user, resource))
    draft = selectors.open_draft_for(user, resource)
    current = resource.current
    shown = current or draft
    today = timezone.localdate()
    requester_departments = list(Department.objects.filter(pk__in=perms.requester_department_ids(user))
                                 .order_by("code"))
    may_request = bool(requester_departments and current and resource.status == ResourceStatus.PUBLISHED
                       and current.sharing_class != SharingClass.NOT_SHARED)
    editing: ResourceVersion | None = draft or current
    return render(request, "sharing/resource.html", {
        "nav": "catalogue", "resource": resource, "version": shown, "versions": versions, "draft": draft,
        "may_manage": selectors.may_manage(user, resource) and resource.status != ResourceStatus.WITHDRAWN,
        "may_request": may_request, "requester_departments": requester_departments,
        "purposes": Purpose.choices, "classes": SharingClass.choices, "frequencies": UpdateFrequency.choices,
        "field_types": FieldType.choices, "error": error, "field_errors": field_messages(error), "form": form,
        "data": data or QueryDict(),
        "asked_fields": (data.getlist("fields") if data is not None and form == "request"
                         else (current.field_names if current else [])),
        "draft_fields_text": (data.get("fields_text", "") if data is not None and form == "draft"
                              else fields_as_text(editing.fields) if editing else ""),
        "editing": editing,
        "field_rows": [{**f, "type_label": _type_label(f.get("type", ""))} for f in (shown.fields if shown else [])],
        "default_from": today.isoformat(), "default_to": (today + datetime.timedelta(days=365)).isoformat(),
    }, status=error.status if error else 200)


@login_required
@require_GET
def resource_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        require_reader(request.user)
        resource = selectors.resource_detail_for(request.user, code)
    except DomainError as exc:
        return error_page(request, exc)
    return _resource_page(request, resource)


def resource_page_with_error(request: HttpRequest, code: str, exc: DomainError, form: str) -> HttpResponse:
    """The resource page again with the refusal beside the form that caused it (or the error page
    when the resource itself is not readable)."""
    try:
        resource = selectors.resource_detail_for(request.user, code)
    except DomainError:
        return error_page(request, exc)
    if not exc.fields and exc.status in (403, 404):
        return error_page(request, exc)
    return _resource_page(request, resource, error=exc, data=request.POST, form=form)


@login_required
@require_POST
def resource_draft(request: HttpRequest, code: str) -> HttpResponse:
    post = request.POST
    try:
        require_reader(request.user)
        resource = selectors.resource_detail_for(request.user, code)
        services.version_draft(
            by=request.user, resource=resource, name=post.get("name", ""), description=post.get("description", ""),
            sharing_class=post.get("sharing_class", ""), conditions=post.get("conditions", ""),
            not_shared_basis=post.get("not_shared_basis", ""), legal_basis=post.get("legal_basis", ""),
            update_frequency=post.get("update_frequency", ""), fields=fields_from_text(post.get("fields_text", "")),
            contact_name=post.get("contact_name", ""), contact_phone=post.get("contact_phone", ""))
    except DomainError as exc:
        return resource_page_with_error(request, code, exc, "draft")
    messages.success(request, gettext("草稿已保存；发布后生效。"))
    return redirect("sharing:resource", code=code)


@login_required
@require_POST
def resource_publish(request: HttpRequest, code: str) -> HttpResponse:
    try:
        require_reader(request.user)
        resource = selectors.resource_detail_for(request.user, code)
        draft = selectors.open_draft_for(request.user, resource)
        if draft is None:
            if not selectors.may_manage(request.user, resource):
                raise PermissionDenied(_("只有提供部门的部门管理员可以维护本部门的数据资源。"),
                                       code="sharing_resource_forbidden")
            raise DomainError(_("该资源没有待发布的草稿版本。"), code="sharing_version_no_draft", status=409)
        version = services.version_publish(by=request.user, version=draft)
    except DomainError as exc:
        return resource_page_with_error(request, code, exc, "publish")
    messages.success(request, gettext("第 %(n)s 版已发布。") % {"n": version.number})
    return redirect("sharing:resource", code=code)


@login_required
@require_POST
def resource_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    try:
        require_reader(request.user)
        resource = selectors.resource_detail_for(request.user, code)
        services.resource_withdraw(by=request.user, resource=resource, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return resource_page_with_error(request, code, exc, "withdraw")
    messages.success(request, gettext("数据资源已撤销。"))
    return redirect("sharing:resource", code=code)


def _new_page(request: HttpRequest, error: DomainError | None = None) -> HttpResponse:
    departments = Department.objects.filter(pk__in=perms.provider_department_ids(request.user)).order_by("code")
    return render(request, "sharing/resource_new.html", {
        "nav": "catalogue", "departments": departments, "kinds": ResourceKind.choices,
        "adapters": AdapterKind.choices, "providers": sorted(PROVIDERS), "error": error,
        "field_errors": field_messages(error), "data": request.POST if error else QueryDict(),
    }, status=error.status if error else 200)


@login_required
def resource_new(request: HttpRequest) -> HttpResponse:
    """登记数据资源 (provider admins): the code is allocated; the terms are drafted next."""
    try:
        require_reader(request.user)
        if not perms.provider_department_ids(request.user):
            raise PermissionDenied(_("只有提供部门的部门管理员可以维护本部门的数据资源。"),
                                   code="sharing_resource_forbidden")
    except DomainError as exc:
        return error_page(request, exc)
    if request.method != "POST":
        return _new_page(request)
    post = request.POST
    department = Department.objects.filter(pk=page_number(post.get("department"))).first() \
        if str(post.get("department", "")).isdigit() else None
    try:
        if department is None:
            raise DomainError(_("数据资源信息不正确。"), code="sharing_resource_invalid", status=422,
                              fields={"department": [_("请选择提供部门。")]})
        resource = services.resource_create(
            by=request.user, provider_department=department, kind=post.get("kind", ""),
            adapter=post.get("adapter", AdapterKind.IN_PROCESS), provider=post.get("provider", ""),
            endpoint=post.get("endpoint", ""), remote_code=post.get("remote_code", ""))
    except DomainError as exc:
        return _new_page(request, exc)
    messages.success(request, gettext("已登记数据资源 %(code)s，请填写资源目录并发布。") % {"code": resource.code})
    return redirect("sharing:resource", code=resource.code)


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("catalogue/", catalogue, name="catalogue"),
    path("catalogue/new/", resource_new, name="resource-new"),
    path("catalogue/<str:code>/", resource_detail, name="resource"),
    path("catalogue/<str:code>/draft/", resource_draft, name="resource-draft"),
    path("catalogue/<str:code>/publish/", resource_publish, name="resource-publish"),
    path("catalogue/<str:code>/withdraw/", resource_withdraw, name="resource-withdraw"),
]
