"""Search counted and paged in SQL (issue #11 benchmark): distinct entities in index order across
pages, the cap, initials and name readings together, and the fixed number of SQL statements of the
search and profile requests (no statement per row, none more for a longer page)."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.core.actors import system_actor
from onewindow.market import selectors
from onewindow.market.selectors import SearchFilters, entity_search_for
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db
SYSTEM = system_actor("test_search_paging")
API = "/api/v1/market"
#: session and user, the viewer's roles, the count, the page's ids, the profiles of the page
SEARCH_QUERIES = 6
#: session and user, the viewer's roles, the profile (with its regions and industry), versions, former
#: names, the audit entry
PROFILE_QUERIES = 7
#: session and user, the entity, two facet counts, the count, the page
TIMELINE_QUERIES = 7


def _register(names: list[str]) -> list[str]:
    codes = []
    for name in names:
        row = entity_row(name=name)
        entity_register(by=SYSTEM, data=row)
        codes.append(row["credit_code"])
    return codes


def _codes(user: Any, q: str, **kw: Any) -> list[str]:
    return [p.organization.credit_code for p in entity_search_for(user, SearchFilters(q=q), **kw).items]


def test_pages_cover_every_match_once_in_index_order(registry_world: RegistryWorld) -> None:
    user = registry_world.user("regulator")
    # 宏达宏达: two keys of one entity in the range of 宏达 — one row
    codes = _register([f"上海宏达{i:02d}号贸易有限公司" for i in range(24)] + ["上海宏达宏达贸易有限公司"])
    every = _codes(user, "宏达", page_size=100)
    assert sorted(every) == sorted(codes)
    pages = [entity_search_for(user, SearchFilters(q="宏达"), page=n, page_size=10) for n in (1, 2, 3)]
    assert [(p.total, p.page, p.pages, p.capped, len(p.items)) for p in pages] == [
        (25, 1, 3, False, 10),
        (25, 2, 3, False, 10),
        (25, 3, 3, False, 5),
    ]
    assert [x.organization.credit_code for p in pages for x in p.items] == every
    # a page past the end is the last page
    assert _codes(user, "宏达", page=9, page_size=10) == every[20:]


def test_cap_counts_entities_and_pages_stay_inside_it(
    registry_world: RegistryWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register([f"上海宏达{i:02d}号贸易有限公司" for i in range(5)])
    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    user = registry_world.user("regulator")
    first = entity_search_for(user, SearchFilters(q="宏达"), page=1, page_size=2)
    last = entity_search_for(user, SearchFilters(q="宏达"), page=5, page_size=2)
    assert (first.total, first.pages, first.capped, len(first.items)) == (3, 2, True, 2)
    assert (last.total, last.page, last.capped, len(last.items)) == (3, 2, True, 1)
    monkeypatch.setattr(selectors, "SEARCH_CAP", 5)
    assert entity_search_for(user, SearchFilters(q="宏达")).capped is False


def test_initials_then_name_reading_each_entity_once(registry_world: RegistryWorld) -> None:
    # 安佰成: initials abc; ABC: initials abc and the name fragment abc (both readings)
    by_initials, both = _register(["上海安佰成贸易有限公司", "上海ABC贸易有限公司"])
    page = entity_search_for(registry_world.user("regulator"), SearchFilters(q="abc"))
    assert (page.total, page.capped) == (2, False)
    # the initials range first, in key order: ~abcmy… of both, then the name range adds nothing
    assert sorted(p.organization.credit_code for p in page.items) == sorted([by_initials, both])
    assert len({p.pk for p in page.items}) == 2


def test_filters_alone_and_credit_code_are_counted_in_sql(registry_world: RegistryWorld) -> None:
    codes = _register(["上海宏达贸易有限公司", "上海恒通餐饮有限公司", "上海华美科技有限公司"])
    user = registry_world.user("regulator")
    page = entity_search_for(user, SearchFilters(district="310106"), page=2, page_size=2)
    assert (page.total, page.page, page.pages, [p.organization.credit_code for p in page.items]) == (
        3,
        2,
        2,
        [codes[2]],
    )
    assert _codes(user, codes[1]) == [codes[1]]
    assert _codes(user, codes[1], page=3) == [codes[1]]
    assert entity_search_for(user, SearchFilters(q="91310106MA1FL00000")).total == 0


@pytest.mark.parametrize("count", [3, 30])
def test_search_api_statements_do_not_grow_with_the_page(
    registry_world: RegistryWorld, count: int, django_assert_num_queries: Any
) -> None:
    _register([f"上海宏达{i:02d}号贸易有限公司" for i in range(count)])
    client = registry_world.client("regulator")
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(API + "/entities?q=宏达&page_size=30")
    assert (response.status_code, response.json()["total"]) == (200, count)


@pytest.mark.parametrize("q", ["hd", "310106"])
def test_search_api_statements_for_initials_and_filters(
    registry_world: RegistryWorld, q: str, django_assert_num_queries: Any
) -> None:
    _register([f"上海宏达{i:02d}号贸易有限公司" for i in range(3)])
    client = registry_world.client("regulator")
    path = API + ("/entities?q=hd" if q == "hd" else "/entities?district=310106")
    # a district filter reads the region once (to refuse an unknown code)
    with django_assert_num_queries(SEARCH_QUERIES + (q == "310106")):
        response = client.get(path)
    assert (response.status_code, response.json()["total"]) == (200, 3)


def test_profile_api_statements(registry_world: RegistryWorld, django_assert_num_queries: Any) -> None:
    (code,) = _register(["上海宏达贸易有限公司"])
    client = registry_world.client("regulator")
    with django_assert_num_queries(PROFILE_QUERIES):
        response = client.get(f"{API}/entities/{code}")
    assert (response.status_code, response.json()["credit_code"]) == (200, code)


def test_timeline_api_statements(registry_world: RegistryWorld, django_assert_num_queries: Any) -> None:
    (code,) = _register(["上海宏达贸易有限公司"])
    client = registry_world.client("regulator")
    with django_assert_num_queries(TIMELINE_QUERIES):
        response = client.get(f"{API}/records/entities/{code}")
    assert (response.status_code, response.json()["credit_code"], response.json()["total"]) == (200, code, 0)
