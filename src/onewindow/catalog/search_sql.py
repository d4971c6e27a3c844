"""The SQL search the in-memory index replaced (decision 0020), kept as the reference the index is
tested against (``tests/test_search_index.py``): the same filters, ranking, facets and paging as
``selectors._index_search``, in two or three statements that scan the item table.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from onewindow.core.models import Department, Region

from .choices import Category, DepthLevel, ItemStatus, Level
from .models import ItemType, ServiceItem
from .search_keys import normalize_query
from .selectors import FACET_TTL, FacetCount, SearchFilters, _generation


def sql_search(f: SearchFilters, *, staff: bool, page: int,
               page_size: int) -> tuple[int, dict[str, list[FacetCount]], list[int]]:
    """(total, facets, the page's item ids in order), by SQL."""
    qs = _filtered(f, staff=staff)
    total, facets = _facets(qs, f)
    start = (page - 1) * page_size
    ids = (list(_ranked(qs, f.q).values_list("id", flat=True)[start:start + page_size])
           if total and start < total else [])
    return total, facets, ids


def _name_contains(text: str) -> Q:
    # Chinese has no case: a plain LIKE avoids UPPER() on every row (PostgreSQL's icontains).
    has_letters = any(c.isascii() and c.isalpha() for c in text)
    return Q(name__icontains=text) if has_letters else Q(name__contains=text)


def _filtered(f: SearchFilters, *, staff: bool) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.all()
    if f.status:
        qs = qs.filter(status=f.status)
    elif not staff:
        qs = qs.filter(status=ItemStatus.ACTIVE)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.district:
        qs = qs.filter(district__code=f.district)
    if f.street:
        qs = qs.filter(region__code=f.street)
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.type:
        qs = qs.filter(item_type__code=f.type)
    if f.category:
        qs = qs.filter(category=f.category)
    if f.depth is not None:
        qs = qs.filter(depth_level=f.depth)
    labels = _labels() if f.q else {}
    for term in f.q.split():
        text, pinyin = normalize_query(term)
        cond = _name_contains(text)
        if pinyin:
            cond |= Q(name_pinyin__contains=pinyin) | Q(name_initials__contains=pinyin)
        if len(text) >= 2 and not pinyin:
            # "静安 食品", "公安 护照": a term naming a district or a department narrows to its items
            districts = [pk for pk, (_code, name) in labels["district"].items() if text in name]
            departments = [pk for pk, (_code, name) in labels["department"].items() if text in name]
            if districts:
                cond |= Q(district_id__in=districts)
            if departments:
                cond |= Q(department_id__in=departments)
        qs = qs.filter(cond)
    return qs


def _ranked(qs: QuerySet[ServiceItem], q: str) -> QuerySet[ServiceItem]:
    """Order: exact name > name prefix > name substring > initials equal to the query > other
    initials matches > pinyin prefix > other pinyin matches; then city before district before
    street; then sort order (the curated 热门事项 order).

    Initials prefix and initials substring share a class on purpose: "hz" is the start of
    化妆品 and 会展 as much as the middle of 普通护照签发, and the curated order, not where the
    letters fall, tells which one most people look for."""
    if not q:
        return qs.order_by("level_rank", "sort_order", "id")
    text, pinyin = normalize_query(q)
    whens = [When(name=text, then=Value(0)), When(name__startswith=text, then=Value(1)),
             When(_name_contains(text), then=Value(2))]
    if pinyin:
        whens += [When(name_initials=pinyin, then=Value(3)),
                  When(name_initials__contains=pinyin, then=Value(4)),
                  When(name_pinyin__startswith=pinyin, then=Value(5))]
    rank = Case(*whens, default=Value(6), output_field=IntegerField())
    return qs.annotate(rank=rank).order_by("rank", "level_rank", "sort_order", "id")


def _labels() -> dict[str, dict[int, tuple[str, str]]]:
    """id → (code, name) of districts, item types and departments (small tables), cached per
    generation."""
    key = f"catalog:labels:{_generation()}"
    labels: dict[str, dict[int, tuple[str, str]]] | None = cache.get(key)
    if labels is None:
        labels = {
            "district": {r.pk: (r.code, r.name) for r in Region.objects.filter(level=Level.DISTRICT)},
            "type": {t.pk: (t.code, t.name) for t in ItemType.objects.all()},
            "department": {pk: (code, name) for pk, code, name in
                           Department.objects.values_list("pk", "code", "name")},
        }
        cache.set(key, labels, FACET_TTL)
    return labels


def _facets(qs: QuerySet[ServiceItem], f: SearchFilters) -> tuple[int, dict[str, list[FacetCount]]]:
    """Counts per level, district, type, category and depth of the filtered set, in one grouped
    query (plus one for departments once a district or the city level is chosen)."""
    rows = list(qs.order_by().values_list("level", "district_id", "item_type_id", "category", "depth_level")
                .annotate(n=Count("id")))
    sums: dict[str, dict[Any, int]] = {k: {} for k in ("level", "district", "type", "category", "depth")}
    total = 0
    for level, district_id, type_id, category, depth, n in rows:
        total += n
        for name, value in (("level", level), ("district", district_id), ("type", type_id),
                            ("category", category), ("depth", depth)):
            if value is not None:
                sums[name][value] = sums[name].get(value, 0) + n
    labels = _labels()
    level_labels, category_labels, depth_labels = dict(Level.choices), dict(Category.choices), dict(DepthLevel.choices)
    facets = {
        "level": [FacetCount(v, str(level_labels[v]), sums["level"][v]) for v in level_labels if v in sums["level"]],
        "category": [FacetCount(v, str(category_labels[v]), sums["category"][v])
                     for v in Category.values if v in sums["category"]],
        "depth": [FacetCount(str(v), str(depth_labels[v]), sums["depth"][v])
                  for v in DepthLevel.values if v in sums["depth"]],
        "district": sorted((FacetCount(*labels["district"].get(pk, (str(pk), str(pk))), n)
                            for pk, n in sums["district"].items()), key=lambda fc: fc.value),
        "type": sorted((FacetCount(*labels["type"].get(pk, (str(pk), str(pk))), n)
                        for pk, n in sums["type"].items()), key=lambda fc: fc.value),
    }
    if f.district or f.street or f.level == Level.CITY:
        dept_rows = (qs.order_by().values_list("department__code", "department__name", "department__sort_order")
                     .annotate(n=Count("id")))
        facets["department"] = [FacetCount(code, name, n) for code, name, _sort, n
                                in sorted(dept_rows, key=lambda r: (r[2], r[0]))]
    else:
        facets["department"] = []
    return total, facets
