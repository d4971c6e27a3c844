"""Pages of bulk exchange (批量交换) under /sharing/drops/: the list of drops with the upload form,
and one drop's page with its counts and per-row errors.

Who: the 部门管理员 and 数据报送员 of a provider department send drops for its published datasets
and see its drops; system admins see every drop; other staff see an empty list; citizens get 403.
The upload calls ``services.bulk.drop_receive``; a drop refused as a whole is stored, so the
sender lands on its page either way and reads why.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from ..choices import DropStatus
from ..selectors.bulk import drop_get_for, drop_list_for, drop_repeat_of, drop_resources_for
from ..services.bulk import drop_receive, drop_refusal_message, resource_for_drop

PAGE_SIZE = 50


def _require_staff(user: Any) -> None:
    if not perms.is_sharing_reader(user):
        raise PermissionDenied(_("仅政务部门工作人员可以使用数据共享。"), code="sharing_staff_only")


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "sharing/drop_error.html", {"error": exc}, status=exc.status)


def _list_page(request: HttpRequest, form: QueryDict | None = None, error: DomainError | None = None) -> HttpResponse:
    g = request.GET
    resource = g.get("resource", "").strip()[:40]
    status = g.get("status", "") if g.get("status", "") in DropStatus.values else ""
    result = paginate(drop_list_for(request.user, resource_code=resource, status=status), page_number(g.get("page")),
                      PAGE_SIZE)
    query = urlencode({k: v for k, v in (("resource", resource), ("status", status)) if v})
    return render(request, "sharing/drop_list.html", {
        "rows": result.items, "page": result, "query": query, "f": {"resource": resource, "status": status},
        "statuses": DropStatus.choices, "resources": list(drop_resources_for(request.user)),
        "form": form or QueryDict(), "error": error,
        "field_errors": {k: [str(m) for m in v] for k, v in error.fields.items()} if error else {},
    }, status=error.status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def drop_list(request: HttpRequest) -> HttpResponse:
    """批量交换文件: the drops the user may see, and the form to send one."""
    try:
        _require_staff(request.user)
    except DomainError as exc:
        return _error_page(request, exc)
    if request.method == "GET":
        return _list_page(request)
    post = request.POST
    upload = request.FILES.get("file")
    try:
        if upload is None:
            message = _("请选择要报送的文件。")
            raise DomainError(message, code="sharing_drop_file_missing", status=422, fields={"file": [message]})
        resource = resource_for_drop(post.get("resource", ""))
        drop = drop_receive(by=request.user, resource=resource, file_name=(upload.name or "drop")[:200],
                            content=upload.read(), declared_sha256=post.get("sha256", "")[:200],
                            kid=post.get("kid", "")[:100], signature=post.get("signature", "")[:200])
    except DomainError as exc:
        return _list_page(request, post, exc)
    if drop.status == DropStatus.LOADED:  # a refused drop's page says why, in its alert
        counts = {"c": drop.rows_created, "u": drop.rows_updated, "n": drop.rows_unchanged, "f": drop.rows_failed}
        messages.success(request, gettext("文件已加载：新增 %(c)d 条，更新 %(u)d 条，未变 %(n)d 条，失败 %(f)d 条。")
                         % counts)
    return redirect("sharing:drop", drop_id=drop.pk)


@login_required
@require_GET
def drop_detail(request: HttpRequest, drop_id: int) -> HttpResponse:
    """One drop: file, checksum, signature key, catalogue version, counts and per-row errors."""
    try:
        _require_staff(request.user)
        drop = drop_get_for(request.user, drop_id)
    except DomainError as exc:
        return _error_page(request, exc)
    return render(request, "sharing/drop_detail.html", {
        "drop": drop, "repeat": drop_repeat_of(drop), "refusal_message": drop_refusal_message(drop),
        "changed": bool(drop.rows_created or drop.rows_updated),
    })


urlpatterns: list[URLPattern] = [
    path("drops/", drop_list, name="drops"),
    path("drops/<int:drop_id>/", drop_detail, name="drop"),
]
