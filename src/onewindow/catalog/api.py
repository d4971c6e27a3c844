"""The catalog part of the JSON API (/api/v1/catalog/): public reads of the service catalog.

No authentication is required. Anonymous callers, citizens, enterprise agents and machine tokens
get the public view (active items in search; active and suspended items by code); staff signed in
with their session also see suspended and withdrawn items and may filter by ``status``
(``catalog.status_filter_forbidden``, 403, for everyone else). Bad filter values are 422
``catalog.bad_filter`` / ``invalid`` naming the field; unknown codes 404 ``item_not_found``.
Writes happen in the Django admin (through the services), not here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from onewindow.core.normalize import NfkcInt, NfkcStr
from onewindow.core.pagination import MAX_PAGE, MAX_PAGE_SIZE, PAGE_SIZE, paginated

from . import selectors
from .schemas import (
    ErrorOut,
    ItemDetailOut,
    ItemListOut,
    ItemTypePageOut,
    StatsOut,
    VersionOut,
    VersionPageOut,
    item_detail_out,
    item_list_body,
)

router = Router(tags=["catalog"])
ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class ItemFilters(Schema):
    q: str = Field("", max_length=100, description="中文、全拼或拼音首字母，如 护照 / huzhao / hz")
    level: str = Field("", description="city | district | street")
    district: NfkcStr = Field("", description="区代码（6位），如 310106")
    street: NfkcStr = Field("", description="街镇代码（9位），如 310106021")
    department: NfkcStr = Field("", description="部门代码")
    type: NfkcStr = Field("", description="事项类型代码，如 01 行政许可、20 公共服务")
    category: str = Field("", description="approval | service")
    depth: NfkcInt | None = Field(None, ge=0, le=4, description="网上办理深度 0..4（4 = 全程网办）")
    status: str = Field("", description="active | suspended | withdrawn（仅工作人员）")
    page: NfkcInt = Field(1, ge=1, le=selectors.MAX_PAGE)
    page_size: NfkcInt = Field(selectors.PAGE_SIZE, ge=1, le=100)


@router.get("/items", response={200: ItemListOut, **ERRORS}, summary="搜索事项 Search the catalog")
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> HttpResponse:
    # The answer is JSON bytes of the ItemListOut document, joined by schemas.item_list_body from
    # rows rendered once per catalog generation, and sent as is, without a validation pass, because
    # this is the hot path (catalog/tests/test_search_answer.py compares it field by field with the
    # schema-validated answer; the schemathesis run checks it against the OpenAPI schema).
    return HttpResponse(item_list_body(user=request.user, **filters.dict()), content_type="application/json")


@router.get("/items/{code}", response={200: ItemDetailOut, **ERRORS}, summary="事项详情 Item detail (办事指南)")
def get_item(request: HttpRequest, code: str) -> dict[str, Any]:
    return item_detail_out(selectors.item_get_for(request.user, code))


@router.get("/items/{code}/versions", response={200: VersionPageOut, **ERRORS},
            summary="事项版本 Version history")
def list_versions(request: HttpRequest, code: str, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
                  page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    return paginated(selectors.item_versions_for(request.user, code), page, page_size)


@router.get("/types", response=ItemTypePageOut, summary="事项类型 Item types")
def list_types(request: HttpRequest, page: NfkcInt = Query(1, ge=1, le=MAX_PAGE),  # noqa: B008
               page_size: NfkcInt = Query(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)) -> dict[str, Any]:  # noqa: B008
    return paginated(selectors.item_type_list(), page, page_size)


@router.get("/stats", response=StatsOut, summary="大厅事项统计 Headline figures")
def stats(request: HttpRequest) -> Any:
    return selectors.catalog_stats()


__all__ = ["VersionOut", "router"]
