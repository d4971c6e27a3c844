"""The item-list pages for staff (issue #12 part 1): a department's 抽查事项 with the form that adds
one (``services.check_item_create``), and the publication of a list by a system admin
(``services.item_list_publish``). What the public reads is at ``/supervision/public/``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.core.errors import DomainError, field_messages
from onewindow.core.models import Department
from onewindow.core.pagination import page_number, paginate

from .. import permissions as perms
from .. import selectors, services
from ..choices import CheckMethod, ItemCategory, ItemListKind
from ..selectors import item_lists
from ..services.item_lists import EDIT_ROLES
from .common import error_page, require_staff

PAGE_SIZE = 50


def _editable_departments(user: object) -> list[Department]:
    if selectors.is_system_admin(user):
        return list(Department.objects.filter(is_active=True, check_items__isnull=False).distinct().order_by("code"))
    ids = perms.department_ids(user, EDIT_ROLES)
    return list(Department.objects.filter(pk__in=ids, is_active=True).order_by("sort_order", "id"))


def _page(request: HttpRequest, data: QueryDict | None = None, error: DomainError | None = None) -> HttpResponse:
    rows = item_lists.check_items_for(request.user)
    result = paginate(rows, page_number(request.GET.get("page")), PAGE_SIZE)
    latest = {kind: item_lists.published_history(kind)[:1] for kind in ItemListKind.values}
    return render(
        request,
        "supervision/items.html",
        {
            "nav": "items",
            "rows": result.items,
            "page": result,
            "departments": _editable_departments(request.user),
            "methods": CheckMethod.choices,
            "categories": ItemCategory.choices,
            "data": data or QueryDict(),
            "checked": (data or QueryDict()).getlist("methods"),
            "error": error,
            "field_errors": field_messages(error),
            "may_publish": selectors.is_system_admin(request.user),
            "latest_random": latest[ItemListKind.RANDOM][0] if latest[ItemListKind.RANDOM] else None,
            "latest_joint": latest[ItemListKind.JOINT][0] if latest[ItemListKind.JOINT] else None,
        },
        status=error.status if error else 200,
    )


@login_required
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    """抽查事项清单 (staff): the items of the user's departments, the add form, the publish buttons."""
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    return _page(request)


@login_required
@require_http_methods(["POST"])
def item_new(request: HttpRequest) -> HttpResponse:
    try:
        require_staff(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    post = request.POST
    try:
        item = services.check_item_create(
            by=request.user,
            department_id=post.get("department_id", "")[:20],
            code=post.get("code", "")[:64],
            name=post.get("name", "")[:200],
            field=post.get("field", "")[:80],
            category=post.get("category", "")[:20],
            target=post.get("target", "")[:200],
            basis=post.get("basis", "")[:2000],
            methods=post.getlist("methods")[:5],
            ratio=post.get("ratio", "")[:20],
            frequency=post.get("frequency", "")[:100],
        )
    except DomainError as exc:
        return _page(request, post, exc)
    messages.success(request, gettext("已添加抽查事项 %(code)s %(name)s。") % {"code": item.code, "name": item.name})
    return redirect("supervision:items")


@login_required
@require_POST
def publish(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        require_staff(request.user)
        version = services.item_list_publish(by=request.user, kind=kind, note=request.POST.get("note", "")[:200])
    except DomainError as exc:
        return _page(request, None, exc)
    messages.success(
        request,
        gettext("已发布%(list)s第 %(number)s 版。") % {"list": version.get_kind_display(), "number": version.number},
    )
    return redirect("supervision:items")


urlpatterns: list[URLPattern] = [
    path("items/", item_list, name="items"),
    path("items/new/", item_new, name="item-new"),
    path("items/publish/<str:kind>/", publish, name="item-publish"),
]
