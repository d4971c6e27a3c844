"""Schemas of the catalog API (/api/v1/catalog/) and the one place that renders its answers.

The selectors return model objects and plain dataclasses (``SearchResult``, ``CatalogStats``, and
``SearchHits``, the index's item ids, for the API's search); the functions below turn them into the
JSON shapes of the schemas (issue #10 part 3).

The API's search answer (issue #17) is JSON bytes joined from parts rendered ahead: each item's
result row is rendered once per catalog generation and kept in the index (``item_list_json``), so a
search renders only its counts and facets — no pydantic, no per-item dict. The bytes are the
``ItemListOut`` document (compact separators, UTF-8), checked field by field against the
schema-validated ``item_list_out`` in ``tests/test_search_answer.py``. The answer is kept in the
cache per catalog generation (``item_list_body``): a repeated search costs one cache read.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from ninja import Schema

from onewindow.core.schemas import ErrorOut as ErrorOut  # re-exported: the one error shape
from onewindow.core.schemas import PageOut

from . import selectors
from .models import ItemVersion, ServiceItem
from .search_index import SearchIndex
from .selectors import SearchHits, SearchRequest, SearchResult


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


def _guide_url(code: str, prefix: str) -> str:
    """``reverse("catalog:guide", args=[code])`` under the script prefix ``prefix``, formatted from
    the reversed pattern for the plain codes of the catalog (letters and digits; a reverse costs
    more than the rest of a row), reversed for any other."""
    if not (code.isascii() and code.isalnum()):
        return reverse("catalog:guide", args=[code])
    pattern = _GUIDE_URL.get(prefix)
    if pattern is None:
        pattern = _GUIDE_URL[prefix] = reverse("catalog:guide", args=["CODE0"])
    return pattern.replace("CODE0", code)


def _compact(value: Any) -> bytes:
    """JSON as the search answer sends it: UTF-8, no spaces after separators (smaller: the answer
    is most of what a search costs the server to write, issue #17)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _rows_json(index: SearchIndex, prefix: str) -> dict[int, bytes]:
    """Item id → ``item_summary_out`` of the index's row as JSON, every item at once on the API's
    first search of the index's generation under ``prefix`` (a varied workload shows most items
    within minutes; rendering them one by one would cost as much again in dictionary lookups)."""
    found = index.rendered.get(prefix)
    if found is not None:
        return found
    labels = index.labels
    found = {}
    for pk, (code, name, level, category, type_id, department_id, region_id, depth, online,
             status) in index.rows.items():
        found[pk] = _compact({
            "code": code, "name": name, "level": level, "category": category,
            "type": _ref(*labels["type"].get(type_id, ("", ""))),
            "department": _ref(*labels["department"].get(department_id, ("", ""))),
            "region": _ref(*labels["region"].get(region_id, ("", ""))),
            "depth_level": depth, "fully_online": online, "status": status, "url": _guide_url(code, prefix),
        })
    index.rendered[prefix] = found
    return found


def _facets_out(result: SearchResult | SearchHits) -> dict[str, list[dict[str, Any]]]:
    return {name: [{"value": fc.value, "label": fc.label, "count": fc.count} for fc in values]
            for name, values in result.facets.items()}


def _facets_json(hits: SearchHits) -> bytes:
    """``_facets_out`` as JSON: each entry's ``{"value":…,"label":…,"count":`` rendered once per
    index and language (labels of levels, categories and depths are translated), then its count."""
    parts = hits.index.facet_parts
    language = get_language() or ""
    out = []
    for name, values in hits.facets.items():
        entries = []
        for fc in values:
            key = (language, fc.value, fc.label)
            part = parts.get(key)
            if part is None:
                part = parts[key] = _compact({"value": fc.value, "label": fc.label, "count": 0})[:-2]
            entries.append(b"%b%d}" % (part, fc.count))
        out.append(b'"%b":[%b]' % (name.encode(), b",".join(entries)))
    return b"{%b}" % b",".join(out)


def item_list_json(hits: SearchHits) -> bytes:
    """``item_list_out`` of a page of hits, as the JSON bytes of ``ItemListOut`` (same keys, same
    order), joined from the parts kept with the index."""
    rows = _rows_json(hits.index, get_script_prefix())
    items = b",".join([rows[pk] for pk in hits.ids])
    return b'{"total":%d,"page":%d,"pages":%d,"page_size":%d,"items":[%b],"facets":%b}' % (
        hits.total, hits.page, hits.pages, hits.page_size, items, _facets_json(hits))


def item_list_out(result: SearchResult) -> dict[str, Any]:
    """One page of search results with its facets (``ItemListOut``)."""
    return {"total": result.total, "page": result.page, "pages": result.pages, "page_size": result.page_size,
            "items": [item_summary_out(i) for i in result.items], "facets": _facets_out(result)}


def item_list_body(*, user: Any, page: int = 1, page_size: int = selectors.PAGE_SIZE, **filters: Any) -> bytes:
    """The API's search answer (``item_list_json`` of ``selectors.item_search_hits``), kept in the
    cache per catalog generation under ``selectors.search_answer_key`` (every committed catalog
    write bumps the generation, so a kept answer is never older than the last write this cache has
    seen). Validates first: 422 ``catalog.bad_filter`` / 403 as ``selectors.item_search``."""
    with selectors.one_generation():
        request: SearchRequest = selectors.search_request(user=user, page=page, page_size=page_size, **filters)
        key = selectors.search_answer_key(request)
        body: bytes | None = cache.get(key)
        if body is None:
            body = item_list_json(selectors.item_search_hits(request))
            cache.set(key, body, selectors.FACET_TTL)
    return body


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
