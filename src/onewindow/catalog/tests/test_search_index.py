"""The in-memory search index (decision 0020): the same answers as the SQL it replaced, and the
statement budget of a search through the API (issue #17)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client

from onewindow.catalog import demo, selectors
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.search_index import positions
from onewindow.catalog.search_keys import name_search_keys
from onewindow.catalog.search_sql import sql_search
from onewindow.core.models import Region
from onewindow.core.testing import StatementBudget

API = "/api/v1/catalog/items"


def test_positions_skip_and_limit() -> None:
    bits = 0b1011_0110
    assert positions(bits) == [1, 2, 4, 5, 7]
    assert positions(bits, 2, 2) == [4, 5]
    assert positions(bits, 5) == []
    assert positions(0) == []


def _workload(names: list[tuple[str, str, str, str | None]], count: int) -> list[dict[str, Any]]:
    """Searches like the bench's (bench/catalog_varied.py): substrings, pinyin, initials, filters, page 2."""
    rng = random.Random(17)
    out: list[dict[str, Any]] = []
    for _ in range(count):
        name, level, category, district = names[rng.randrange(len(names))]
        size = rng.randint(2, 4)
        start = rng.randrange(max(1, len(name) - size + 1))
        text = name[start:start + size]
        full, initials = name_search_keys(text)
        q = rng.choice([text, text, full, initials, f"{text[:2]} {initials[:2]}"])
        params: dict[str, Any] = {"q": q}
        extra = rng.random()
        if extra < 0.15:
            params["level"] = level
        elif extra < 0.25:
            params["category"] = category
        elif extra < 0.35 and district:
            params["district"] = district
        if rng.random() < 0.2:
            params["page"] = 2
        out.append(params)
    return out


def test_the_index_answers_as_the_sql_on_the_demo_catalog(regions: dict[str, Region]) -> None:
    demo.load(progress=lambda n: None, seed=20170929)
    names = [(n, lv, c, d) for n, lv, c, d in ServiceItem.objects.order_by("id")
             .values_list("name", "level", "category", "district__code")]
    searches = [*_workload(names, 150), *[
        {}, {"q": "护照"}, {"q": "hz"}, {"q": "静安"}, {"q": "公安 港澳"}, {"q": "许可", "district": "310106"},
        {"q": "xk", "page": 2}, {"level": "city"}, {"q": "许可", "level": "city"}, {"q": "ICP"}, {"q": "icp"},
        {"q": "a"}, {"q": "护 照"}, {"street": "310104003"}, {"depth": 4, "category": "approval"},
        {"q": "登记", "page": 40}, {"status": "withdrawn"}, {"q": "许可", "status": "suspended"},
    ]]
    for params in searches:
        page = int(params.pop("page", 1))
        for staff in (False, True):
            if params.get("status") and not staff:
                continue
            f = selectors.clean_filters(user=None, **{k: v for k, v in params.items() if k != "status"})
            if params.get("status"):
                f = selectors.SearchFilters(**{**f.__dict__, "status": params["status"]})
            expected = sql_search(f, staff=staff, page=page, page_size=20)
            assert selectors._index_search(f, staff=staff, page=page, page_size=20) == expected, (params, staff)


@pytest.fixture
def items(make_item: Callable[..., ServiceItem]) -> list[ServiceItem]:
    return [make_item(name="普通护照签发"), make_item(name="普通护照换发"), make_item(name="往来港澳通行证签发")]


def test_statements_of_a_search_with_a_cold_index(items: list[ServiceItem]) -> None:
    """The first search of a worker after a catalog write builds the index."""
    with StatementBudget([
        (r'FROM "catalog_cataloggeneration"', "the catalog generation (at most once a second per worker)"),
        (r'FROM "catalog_cataloggeneration"', "the generation the index is built at, read before its rows"),
        (r'FROM "catalog_serviceitem".*ORDER BY', "the index's rows: every item's search columns"),
        (r'FROM "core_region"', "district labels (facets, and a term naming a district)"),
        (r'FROM "catalog_itemtype"', "item type labels (facets)"),
        (r'FROM "core_department"', "department labels and order (facets, a term naming a department)"),
    ]):  # the page's rows come from the index too, rendered with it (schemas.item_list_json): no statement
        body = Client().get(API, {"q": "hz"}).json()
    assert [i["name"] for i in body["items"]] == ["普通护照签发", "普通护照换发"]


def test_statements_of_a_search_with_a_warm_index(items: list[ServiceItem]) -> None:
    Client().get(API, {"q": "护照"})  # builds the index
    selectors._last_read = None  # the worker's last read of the generation is over a second old
    with StatementBudget([
        (r'FROM "catalog_cataloggeneration"', "the catalog generation: is the index still current?"),
    ]):
        body = Client().get(API, {"q": "gangao"}).json()
    assert [i["name"] for i in body["items"]] == ["往来港澳通行证签发"]
    with mock.patch.object(selectors, "GENERATION_TTL", 3600):  # however slow this machine is
        # the generation was read within GENERATION_TTL; the rows are the index's, rendered with it
        with StatementBudget([]):
            assert len(Client().get(API, {"q": "签发"}).json()["items"]) == 2
        with StatementBudget([]):  # nothing found: no page to read
            assert Client().get(API, {"q": "不存在的事项"}).json()["total"] == 0
