"""Schemas of the catalog API (/api/v1/catalog/) and the one place that renders its answers.

The selectors return model objects and plain dataclasses (``SearchResult``, ``CatalogStats``, and
``SearchRows`` of ``values()`` rows for the API's search); the functions below turn them into the
JSON shapes of the schemas (issue #10 part 3). The search page's answer is rendered once per
catalog generation and kept in the cache (``item_list_payload``): a repeated search costs one cache
read, no query and no per-item work; a new one the in-memory index and one statement (decision 0020).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.urls import get_script_prefix, reverse
from ninja import Schema

from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut

from . import selectors
from .models import ItemVersion, ServiceItem
from .selectors import SearchResult, SearchRows


class FacetOut(Schema):
    value: str
    label: str
    count: int


class NamedRef(Schema):
    code: str
    name: str


class ItemSummaryOut(Schema):
    code: str
    name: str
    level: str
    category: str
    type: NamedRef
    department: NamedRef
    region: NamedRef
    depth_level: int
    fully_online: bool
    status: str
    url: str


class ItemListOut(Schema):
    total: int
    page: int
    pages: int
    page_size: int
    items: list[ItemSummaryOut]
    facets: dict[str, list[FacetOut]]


class MaterialOut(Schema):
    name: str
    form: str
    copies: int
    required: bool
    note: str
    shared_resource: str  # the sharing resource that proves it ("" if none): 可免交（已共享）


class TimeLimitOut(Schema):
    days: int | None
    unit: str
    note: str


class VersionOut(Schema):
    number: int
    name: str
    category: str
    type: NamedRef
    legal_basis: str
    handling_type: str
    statutory_limit: TimeLimitOut
    promised_limit: TimeLimitOut
    fee_free: bool
    fee_text: str
    fee_amount: Decimal | None
    depth_level: int
    depth_codes: list[str]
    fully_online: bool
    channels: list[str]
    on_site_visits: int
    on_site_reason: str
    form_schema: dict[str, Any]
    status: str
    status_reason: str
    status_date: datetime.date | None
    valid_from: datetime.date
    change_note: str
    materials: list[MaterialOut]


class VersionSummaryOut(Schema):
    number: int
    name: str
    status: str
    valid_from: datetime.date
    change_note: str
    created_at: datetime.datetime


class ItemDetailOut(Schema):
    code: str
    basic_code: str
    name: str
    level: str
    department: NamedRef
    region: NamedRef
    status: str
    current_version: VersionOut
    guide_url: str
    pdf_url: str


class ItemTypeOut(Schema):
    code: str
    name: str
    is_power: bool
    is_confirmed: bool


class StatsOut(Schema):
    city_approval: int
    district_approval: int
    city_service: int
    district_service: int
    street_service: int
    city_approval_fully_online: int
    district_approval_fully_online: int
    total: int


# --------------------------------------------------------------------------- rendering

def _ref(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name}


def item_summary_out(item: ServiceItem) -> dict[str, Any]:
    """The public summary of an item in search results (``ItemSummaryOut``)."""
    return {
        "code": item.code, "name": item.name, "level": item.level, "category": item.category,
        "type": _ref(item.item_type.code, item.item_type.name),
        "department": _ref(item.department.code, item.department.name),
        "region": _ref(item.region.code, item.region.name),
        "depth_level": item.depth_level, "fully_online": item.fully_online, "status": item.status,
        "url": reverse("catalog:guide", args=[item.code]),
    }


_GUIDE_URL: dict[str, str] = {}  # script prefix → the guide's URL with CODE0 for the code


def _guide_url(code: str) -> str:
    """``reverse("catalog:guide", args=[code])``, formatted from the reversed pattern for the
    plain codes of the catalog (letters and digits; a reverse costs more than the rest of a row),
    reversed for any other."""
    if not (code.isascii() and code.isalnum()):
        return reverse("catalog:guide", args=[code])
    prefix = get_script_prefix()
    pattern = _GUIDE_URL.get(prefix)
    if pattern is None:
        pattern = _GUIDE_URL[prefix] = reverse("catalog:guide", args=["CODE0"])
    return pattern.replace("CODE0", code)


def item_row_out(row: dict[str, Any]) -> dict[str, Any]:
    """``item_summary_out`` of a ``selectors.ROW_COLUMNS`` row."""
    return {
        "code": row["code"], "name": row["name"], "level": row["level"], "category": row["category"],
        "type": _ref(row["item_type__code"], row["item_type__name"]),
        "department": _ref(row["department__code"], row["department__name"]),
        "region": _ref(row["region__code"], row["region__name"]),
        "depth_level": row["depth_level"], "fully_online": row["fully_online"], "status": row["status"],
        "url": _guide_url(row["code"]),
    }


def _facets_out(result: SearchResult | SearchRows) -> dict[str, list[dict[str, Any]]]:
    return {name: [{"value": fc.value, "label": fc.label, "count": fc.count} for fc in values]
            for name, values in result.facets.items()}


def item_rows_out(result: SearchRows) -> dict[str, Any]:
    """``item_list_out`` of a page of rows."""
    return {"total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
            "items": [item_row_out(r) for r in result.rows], "facets": _facets_out(result)}


def item_list_out(result: SearchResult) -> dict[str, Any]:
    """One page of search results with its facets (``ItemListOut``)."""
    return {"total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
            "items": [item_summary_out(i) for i in result.items], "facets": _facets_out(result)}


def item_list_payload(*, user: Any, page: int = 1, page_size: int = selectors.PAGE_SIZE,
                      **filters: Any) -> dict[str, Any]:
    """``item_list_out`` of ``selectors.item_search`` (as rows: ``item_search_rows``), kept in the
    cache per catalog generation
    under ``selectors.search_page_key`` (every committed catalog write bumps the generation, so a
    kept answer is never older than the last write this cache has seen)."""
    with selectors.one_generation():
        key = selectors.search_page_key(user=user, page=page, page_size=page_size, **filters)
        payload: dict[str, Any] | None = cache.get(key)
        if payload is None:
            payload = item_rows_out(selectors.item_search_rows(user=user, page=page, page_size=page_size, **filters))
            cache.set(key, payload, selectors.FACET_TTL)
    return payload


def version_out(v: ItemVersion) -> dict[str, Any]:
    """One version of an item with its materials (``VersionOut``); materials in the prefetched order."""
    return {
        "number": v.number, "name": v.name, "category": v.category,
        "type": _ref(v.item_type.code, v.item_type.name), "legal_basis": v.legal_basis,
        "handling_type": v.handling_type,
        "statutory_limit": {"days": v.statutory_limit, "unit": v.statutory_unit, "note": v.statutory_note},
        "promised_limit": {"days": v.promised_limit, "unit": v.promised_unit, "note": v.promised_note},
        "fee_free": v.fee_free, "fee_text": v.fee_text, "fee_amount": v.fee_amount,
        "depth_level": v.depth_level, "depth_codes": [c for c in v.depth_codes.split("^") if c],
        "fully_online": v.fully_online, "channels": v.channel_list, "on_site_visits": v.on_site_visits,
        "on_site_reason": v.on_site_reason, "form_schema": v.form_schema, "status": v.status,
        "status_reason": v.status_reason, "status_date": v.status_date, "valid_from": v.valid_from,
        "change_note": v.change_note,
        "materials": [{"name": m.name, "form": m.form, "copies": m.copies, "required": m.required,
                       "note": m.note, "shared_resource": m.shared_resource} for m in v.materials.all()],
    }


def item_detail_out(item: ServiceItem) -> dict[str, Any]:
    """An item with its current version, the guide page and PDF links (``ItemDetailOut``)."""
    assert item.current_version is not None  # selectors.item_get_for finds only items with one
    return {"code": item.code, "basic_code": item.basic_item.code, "name": item.name, "level": item.level,
            "department": _ref(item.department.code, item.department.name),
            "region": _ref(item.region.code, item.region.name), "status": item.status,
            "current_version": version_out(item.current_version),
            "guide_url": reverse("catalog:guide", args=[item.code]),
            "pdf_url": reverse("catalog:guide-pdf", args=[item.code])}


class VersionPageOut(PageOut):
    items: list[VersionSummaryOut]


class ItemTypePageOut(PageOut):
    items: list[ItemTypeOut]
