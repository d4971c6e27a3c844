"""Reads of the service catalog, scoped to the requesting user.

Visibility (decision, documented in docs/glossary and the API description):

- the public (anonymous users, citizens, enterprises) searches **active** items only; the detail
  and version history of an active or **suspended** item are public (a suspended guide shows why
  and since when — 政务公开), a **withdrawn** item is not found;
- staff (``is_staff``) search and read every status, and may filter by status.

Search (``item_search``, and ``item_search_hits`` for the API) filters, ranks, counts the facets
and pages in an in-memory index of the catalog per catalog generation per worker
(``search_index``, decision 0020): Chinese substring on the name, full pinyin and pinyin initials
of precomputed columns (``hz`` finds 护照); then one statement reads the page's rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.core.cache import cache
from django.db.models import Count, Prefetch, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.permissions import is_staff_member
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.models import Department, Region

from .choices import Category, DepthLevel, ItemStatus, Level
from .models import CatalogGeneration, ItemType, ItemVersion, Material, ServiceItem
from .search_index import SearchIndex, build

P = ParamSpec("P")
R = TypeVar("R")

FACET_TTL = 300
PAGE_SIZE = 20
MAX_PAGE = 500


def user_is_catalog_staff(user: Any) -> bool:
    """Staff (any valid staff role, or Django staff) see suspended and withdrawn items and may
    filter by status; everyone else gets the public view."""
    return is_staff_member(user)


_pinned_generation: ContextVar[int | None] = ContextVar("catalog_generation", default=None)


#: How long a worker trusts its last read of the generation. Another app server's write reaches
#: this worker's searches within this time; this worker's own writes at once (``forget_generation``).
GENERATION_TTL = 1.0
_last_read: tuple[float, int] | None = None


def forget_generation() -> None:
    """Make the next search read the generation from the database and rebuild its index (after a
    write, and in tests)."""
    global _last_read, _index
    _last_read = None
    _index = None


def _generation() -> int:
    """The catalog's change counter, read from the database (one primary-key lookup) at most once
    a second per worker, so every app server sees a committed write within ``GENERATION_TTL``
    without a query per search; one value per search (see ``_pinned``)."""
    global _last_read
    pinned = _pinned_generation.get()
    if pinned is not None:
        return pinned
    now = time.monotonic()
    if _last_read is not None and now - _last_read[0] < GENERATION_TTL:
        return _last_read[1]
    value = int(CatalogGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0)
    _last_read = (now, value)
    return value


@contextmanager
def _pinned() -> Iterator[int]:
    """One generation for the whole of a search: its cache keys agree, and it costs one query."""
    generation = _generation()
    token = _pinned_generation.set(generation)
    try:
        yield generation
    finally:
        _pinned_generation.reset(token)


def _one_generation(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _pinned():
            return function(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int


@dataclass
class SearchResult:
    items: list[ServiceItem]
    total: int
    page: int
    pages: int
    page_size: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)

    @property
    def start(self) -> int:
        """The 1-based position of the first item of this page."""
        return (self.page - 1) * self.page_size + 1


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    level: str = ""
    district: str = ""
    street: str = ""
    department: str = ""
    type: str = ""
    category: str = ""
    depth: int | None = None
    status: str = ""


def _bad(field_name: str, message: Any) -> DomainError:
    return DomainError(_("筛选条件有误。"), code="catalog.bad_filter", status=422,
                       fields={field_name: [message]})


_DIGITS6 = re.compile(r"^\d{6}$")
_DIGITS9 = re.compile(r"^\d{9}$")
_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


def clean_filters(*, user: Any, q: str | None = None, level: str | None = None, district: str | None = None,
                  street: str | None = None, department: str | None = None, type: str | None = None,
                  category: str | None = None, depth: int | str | None = None,
                  status: str | None = None) -> SearchFilters:
    """Validate the filter values (422 ``catalog.bad_filter`` naming the field)."""
    q = (q or "").strip()
    if len(q) > 100:
        raise _bad("q", _("搜索词不能超过100个字。"))
    if level and level not in Level.values:
        raise _bad("level", _("层级只能是 city、district 或 street。"))
    if district and not _DIGITS6.match(district):
        raise _bad("district", _("区代码应为6位数字。"))
    if street and not _DIGITS9.match(street):
        raise _bad("street", _("街镇代码应为9位数字。"))
    if department and not _CODE.match(department):
        raise _bad("department", _("部门代码格式不正确。"))
    if type and not _CODE.match(type):
        raise _bad("type", _("事项类型代码格式不正确。"))
    if category and category not in Category.values:
        raise _bad("category", _("事项类别只能是 approval 或 service。"))
    depth_value: int | None = None
    if depth not in (None, ""):
        try:
            depth_value = int(depth)
        except (TypeError, ValueError):
            raise _bad("depth", _("网上办理深度应为0到4。")) from None
        if depth_value not in DepthLevel.values:
            raise _bad("depth", _("网上办理深度应为0到4。"))
    if status:
        if status not in ItemStatus.values:
            raise _bad("status", _("状态只能是 active、suspended 或 withdrawn。"))
        if not user_is_catalog_staff(user):
            raise DomainError(_("只有工作人员可以按状态筛选事项。"), code="catalog.status_filter_forbidden",
                              status=403)
    return SearchFilters(q=q, level=level or "", district=district or "", street=street or "",
                         department=department or "", type=type or "", category=category or "",
                         depth=depth_value, status=status or "")


#: The search index of this worker, rebuilt when the generation it was built at is not the current
#: one (so a write on any app server reaches this worker's searches within ``GENERATION_TTL``), and
#: after ``INDEX_MAX_AGE`` seconds at the latest (the labels of districts and departments, which
#: change without a catalog write, are as old as the cached labels were before: ``FACET_TTL``).
_index: SearchIndex | None = None
INDEX_MAX_AGE = FACET_TTL
INDEX_COLUMNS = ("id", "name", "name_pinyin", "name_initials", "status", "level", "category", "depth_level",
                 "district_id", "district__code", "region_id", "region__code", "region__name", "department_id",
                 "department__code", "item_type_id", "item_type__code", "code", "fully_online")


def search_index() -> SearchIndex:
    """This worker's index of the current catalog generation (built on the first search after a
    change: five statements, about 10.7k rows)."""
    global _index, _last_read
    generation = _generation()
    index = _index
    if index is None or index.generation != generation or time.monotonic() - index.built_at > INDEX_MAX_AGE:
        started = time.monotonic()
        # The generation first, then the rows: the rows are at least as new as the generation they
        # are filed under (it is bumped in the transaction of every write).
        fresh = int(CatalogGeneration.objects.filter(pk=1).values_list("value", flat=True).first() or 0)
        rows = list(ServiceItem.objects.order_by("level_rank", "sort_order", "id").values_list(*INDEX_COLUMNS))
        labels = {
            "district": {pk: (code, name) for pk, code, name in
                         Region.objects.filter(level=Level.DISTRICT).values_list("pk", "code", "name")},
            "type": {pk: (code, name) for pk, code, name in ItemType.objects.values_list("pk", "code", "name")},
        }
        departments = list(Department.objects.values_list("pk", "code", "name", "sort_order"))
        labels["department"] = {pk: (code, name) for pk, code, name, _sort in departments}
        index = build(fresh, rows, labels, {pk: sort for pk, _c, _n, sort in departments}, started)
        index.build_seconds = time.monotonic() - started
        _index = index
        if _pinned_generation.get() is None:
            _last_read = (index.built_at, fresh)
    return index


_CHOICE_LABELS: dict[str, tuple[dict[Any, str], ...]] = {}


def _choice_labels() -> tuple[dict[Any, str], ...]:
    """The labels of levels, categories and depths in the active language (translated once)."""
    language = get_language() or ""
    found = _CHOICE_LABELS.get(language)
    if found is None:
        found = _CHOICE_LABELS[language] = tuple({value: str(label) for value, label in choices.choices}
                                                 for choices in (Level, Category, DepthLevel))
    return found


def _by_code(index: SearchIndex, kind: str, sums: dict[Any, int]) -> list[FacetCount]:
    """The facet of ``kind`` (district, type) in the order of the codes: in the index's order of
    its labels, or (a value without a label, shown as its id) sorted."""
    labels = index.labels[kind]
    if all(pk in labels for pk in sums):
        return [FacetCount(*labels[pk], sums[pk]) for pk in index.by_code_order[kind] if pk in sums]
    return sorted((FacetCount(*labels.get(pk, (str(pk), str(pk))), n) for pk, n in sums.items()),
                  key=lambda fc: fc.value)


def _index_search(f: SearchFilters, *, staff: bool, page: int, page_size: int,
                  index: SearchIndex | None = None) -> tuple[int, dict[str, list[FacetCount]], list[int]]:
    """(total, facets, the page's item ids in order) from the index (``search_index()`` unless
    given): ``_filtered``, ``_ranked`` and ``_facets`` without SQL."""
    index = index or search_index()
    matched = index.all
    if f.status:
        matched &= index.status.get(f.status, 0)
    elif not staff:
        matched &= index.status.get(ItemStatus.ACTIVE, 0)
    for value, source in ((f.level, index.level.bits), (f.category, index.category.bits)):
        if value:
            matched &= source.get(value, 0)
    for value, name in ((f.district, "district"), (f.street, "street"), (f.department, "department"),
                        (f.type, "type")):
        if value:
            matched &= index.by_code[name].get(value, 0)
    if f.depth is not None:
        matched &= index.depth.bits.get(f.depth, 0)
    for term in f.q.split():
        if not matched:
            break
        matched &= index.term(term)
    total = matched.bit_count()
    level_labels, category_labels, depth_labels = _choice_labels()
    sums = index.counts(matched, total, ("level", "category", "depth", "district", "type"))
    labels = index.labels
    facets = {
        "level": [FacetCount(v, level_labels[v], sums["level"][v]) for v in level_labels if v in sums["level"]],
        "category": [FacetCount(v, category_labels[v], sums["category"][v])
                     for v in category_labels if v in sums["category"]],
        "depth": [FacetCount(str(v), depth_labels[v], sums["depth"][v])
                  for v in depth_labels if v in sums["depth"]],
        "district": _by_code(index, "district", sums["district"]),
        "type": _by_code(index, "type", sums["type"]),
        "department": [],
    }
    if f.district or f.street or f.level == Level.CITY:
        by_department = index.counts(matched, total, ("department",))["department"]
        facets["department"] = [FacetCount(*labels["department"][pk], n) for pk, n in
                                sorted(by_department.items(),
                                       key=lambda kv: (index.department_sort[kv[0]], labels["department"][kv[0]][0]))]
    start = (page - 1) * page_size
    ids = index.page(index.ranked(matched, f.q), start, page_size) if total and start < total else []
    return total, facets, ids


def _checked(*, user: Any, page: int, page_size: int, **filters: Any) -> tuple[SearchFilters, bool, int]:
    f = clean_filters(user=user, **filters)
    if page < 1 or page > MAX_PAGE:
        raise _bad("page", _("页码应在1到%(max)s之间。") % {"max": MAX_PAGE})
    return f, user_is_catalog_staff(user), max(1, min(page_size, 100))


@dataclass(frozen=True)
class SearchRequest:
    """A search of the API, validated (``search_request``): what its answer depends on."""

    filters: SearchFilters
    staff: bool
    page: int
    page_size: int


def search_request(*, user: Any, page: int = 1, page_size: int = PAGE_SIZE, **filters: Any) -> SearchRequest:
    """Validate one search of the API as ``user`` asks it (422 ``catalog.bad_filter``, 403 for the
    status filter of a non-staff caller, as ``item_search``), once for its cache key and its hits."""
    f, staff, page_size = _checked(user=user, page=page, page_size=page_size, **filters)
    return SearchRequest(filters=f, staff=staff, page=page, page_size=page_size)


@dataclass
class SearchHits:
    """One page of search results as the index's item ids, for the API's renderer
    (``schemas.item_list_json``, which reads each row from ``index.rows`` and ``index.labels``)."""

    index: SearchIndex
    ids: list[int]
    total: int
    page: int
    pages: int
    page_size: int
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)


@_one_generation
def item_search_hits(request: SearchRequest) -> SearchHits:
    """``item_search`` for the API: the same results, facets and paging, the page as item ids of
    the index of the current generation — no statement, no model instances — and nothing cached
    here (the rendered answer is, by ``schemas.item_list_body``)."""
    index = search_index()
    total, facets, ids = _index_search(request.filters, staff=request.staff, page=request.page,
                                       page_size=request.page_size, index=index)
    return SearchHits(index=index, ids=ids, total=total, page=request.page,
                      pages=max(1, math.ceil(total / request.page_size)), page_size=request.page_size,
                      facets=facets)


@_one_generation
def item_search(*, user: Any, q: str | None = None, level: str | None = None, district: str | None = None,
                street: str | None = None, department: str | None = None, type: str | None = None,
                category: str | None = None, depth: int | str | None = None, status: str | None = None,
                page: int = 1, page_size: int = PAGE_SIZE) -> SearchResult:
    """Search the catalog (事项搜索) of the online hall, the public's front door.

    Any Chinese substring of the name, full pinyin or pinyin initials; filters by level, district,
    street, department, type, category, online depth (and status for staff); ranked (see
    ``_ranked``); paginated; with facet counts. Actor: anyone; the public sees active items only.
    """
    f, staff, page_size = _checked(user=user, page=page, page_size=page_size, q=q, level=level, district=district,
                                   street=street, department=department, type=type, category=category, depth=depth,
                                   status=status)
    # the language too: the facets' labels of levels, categories and depths are translated
    digest = hashlib.sha1(json.dumps([f.__dict__, staff, get_language()], sort_keys=True,
                                     ensure_ascii=False).encode(), usedforsecurity=False).hexdigest()
    generation = _generation()
    # Popular searches repeat (护照, 居住证 …): the whole page is cached per catalog generation,
    # which every committed write bumps, so a cached page is never older than the last write
    # seen by this cache (shared through Redis in a city installation, see docs/operations.md).
    page_key = f"catalog:page:{generation}:{digest}:{page}:{page_size}"
    result: SearchResult | None = cache.get(page_key)
    if result is not None:
        return result
    total, facets, ids = _index_search(f, staff=staff, page=page, page_size=page_size)
    items: list[ServiceItem] = []
    if ids:
        by_id = ServiceItem.objects.select_related("department", "region", "item_type").in_bulk(ids)
        items = [by_id[pk] for pk in ids if pk in by_id]
    result = SearchResult(items=items, total=total, page=page, pages=max(1, math.ceil(total / page_size)),
                          page_size=page_size, facets=facets)
    cache.set(page_key, result, FACET_TTL)
    return result


@contextmanager
def one_generation() -> Iterator[int]:
    """One catalog generation for a whole read (a cache key and the search behind it agree)."""
    with _pinned() as generation:
        yield generation


def search_answer_key(request: SearchRequest) -> str:
    """The cache key of one search's answer as the API renders it (``schemas.item_list_body``), per
    catalog generation, so a repeated search costs one cache read. The public and the staff view
    differ (``staff`` is part of the key), and so do the languages (the facets' labels)."""
    f = request.filters
    fields = (f.q, f.level, f.district, f.street, f.department, f.type, f.category, f.depth, f.status,
              request.staff, request.page, request.page_size, get_language())
    digest = hashlib.sha1(repr(fields).encode(), usedforsecurity=False).hexdigest()
    return f"catalog:answer:{_generation()}:{digest}"


def _visible(user: Any) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.exclude(current_version__isnull=True)
    if not user_is_catalog_staff(user):
        qs = qs.exclude(status=ItemStatus.WITHDRAWN)
    return qs


def item_get_for(user: Any, code: str) -> ServiceItem:
    """One item with its current version and materials, for the 办事指南 (guide) page, PDF and API.

    Public: active and suspended items; staff: every status. Otherwise ``item_not_found``.
    """
    item = (_visible(user)
            .select_related("department", "region", "district", "basic_item", "item_type",
                            "current_version", "current_version__item_type")
            .prefetch_related(Prefetch("current_version__materials", queryset=Material.objects.order_by("sort", "id")))
            .filter(code=code).first())
    if item is None:
        raise NotFound(_("找不到该事项。"), code="item_not_found")
    return item


def item_versions_for(user: Any, code: str) -> list[ItemVersion]:
    """The version history of a visible item, newest first (each version is immutable)."""
    item = item_get_for(user, code)
    return list(ItemVersion.objects.filter(item=item).select_related("item_type").order_by("-number"))


def item_type_list() -> list[ItemType]:
    """The 事项类型 dictionary (DOMAIN.md R1.2; codes unconfirmed, hence editable)."""
    return list(ItemType.objects.order_by("sort_order", "code"))


@dataclass(frozen=True)
class CatalogStats:
    city_approval: int
    district_approval: int
    city_service: int
    district_service: int
    street_service: int
    city_approval_fully_online: int
    district_approval_fully_online: int
    total: int


def catalog_stats() -> CatalogStats:
    """The online hall's headline figures (seed article: 785 市级审批事项, 6500 区级审批事项,
    240+ 市级服务事项, 3000+ 区级服务事项, 100 / 700+ 全程网上办理), counted from active items
    in one grouped query, cached per catalog generation."""
    key = f"catalog:stats:{_generation()}"
    stats: CatalogStats | None = cache.get(key)
    if stats is None:
        counts: dict[tuple[str, str, bool], int] = {
            (level, category, online): n for level, category, online, n in
            ServiceItem.objects.filter(status=ItemStatus.ACTIVE).order_by()
            .values_list("level", "category", "fully_online").annotate(n=Count("id"))}

        def total(level: str, category: str | None = None, online: bool | None = None) -> int:
            return sum(n for (lv, cat, onl), n in counts.items()
                       if lv == level and (category is None or cat == category)
                       and (online is None or onl == online))

        stats = CatalogStats(
            city_approval=total(Level.CITY, Category.APPROVAL),
            district_approval=total(Level.DISTRICT, Category.APPROVAL),
            city_service=total(Level.CITY, Category.SERVICE),
            district_service=total(Level.DISTRICT, Category.SERVICE),
            street_service=total(Level.STREET, Category.SERVICE),
            city_approval_fully_online=total(Level.CITY, Category.APPROVAL, True),
            district_approval_fully_online=total(Level.DISTRICT, Category.APPROVAL, True),
            total=sum(counts.values()),
        )
        cache.set(key, stats, FACET_TTL)
    return stats


@dataclass
class SearchPage:
    result: SearchResult
    stats: CatalogStats
    filters: SearchFilters
    districts: list[tuple[str, str]]
    types: list[tuple[str, str]]


def catalog_search_page(*, user: Any, page: int = 1, **filters: Any) -> SearchPage:
    """Everything the catalog search page shows: results, facets, headline figures, filter options."""
    result = item_search(user=user, page=page, **filters)
    key = f"catalog:options:{_generation()}"
    options: tuple[list[tuple[str, str]], list[tuple[str, str]]] | None = cache.get(key)
    if options is None:
        options = (list(Region.objects.filter(level=Level.DISTRICT, valid_to__isnull=True)
                        .order_by("code").values_list("code", "name")),
                   list(ItemType.objects.order_by("sort_order", "code").values_list("code", "name")))
        cache.set(key, options, FACET_TTL)
    return SearchPage(result=result, stats=catalog_stats(),
                      filters=clean_filters(user=user, **filters), districts=options[0], types=options[1])
