"""Catalog search: Chinese substring, pinyin, initials (hz → 护照), filters, ranking, facets."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model

from onewindow.catalog import selectors, services
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.search_keys import name_search_keys, normalize_query
from onewindow.catalog.selectors import catalog_stats, item_search
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import Department

from .conftest import TEST_ACTOR


@pytest.fixture
def catalog(make_item: Callable[..., ServiceItem], jingan_market: Department) -> dict[str, ServiceItem]:
    free = {"fee_free": True, "fee_text": "", "fee_amount": None}
    items = {
        "passport": make_item(name="普通护照签发", sort_order=5),
        "passport_renew": make_item(name="普通护照换发", sort_order=1),
        "hk": make_item(name="往来港澳通行证签发"),
        "protect": make_item(name="护照", sort_order=900),  # exact name
        "food_city": make_item(name="食品生产许可（新办）", **free),
        "food_jingan": make_item(name="食品经营许可（新办）", department=jingan_market, region="310106",
                                 level="district", depth_level=4, fully_online=True, on_site_visits=0,
                                 channels=["online"], item_type="01", **free),
        "hz_prefix": make_item(name="会展活动备案", item_type="10", **free),
        "service": make_item(name="出入境记录查询", category="service", item_type="20", statutory_limit=None,
                             promised_limit=1, **free),
    }
    return items


def names(result: Any) -> list[str]:
    return [i.name for i in result.items]


def test_name_search_keys() -> None:
    assert name_search_keys("普通护照签发") == ("putonghuzhaoqianfa", "pthzqf")
    assert name_search_keys("ICP经营许可") == ("icpjingyingxuke", "icpjyxk")
    assert normalize_query("  HZ ") == ("HZ", "hz")
    assert normalize_query("护照") == ("护照", "")
    # Control characters are spaces: PostgreSQL refuses a NUL in a text parameter (a 500 before).
    assert normalize_query("护\x00照\x1f") == ("护 照", "")
    assert normalize_query("\x00") == ("", "")


def test_chinese_substring_ranked_exact_prefix_substring(catalog: dict[str, ServiceItem]) -> None:
    result = item_search(user=None, q="护照")
    # exact name first, then prefix (none besides exact), then substrings by sort order
    assert names(result) == ["护照", "普通护照换发", "普通护照签发"]
    assert result.total == 3


def test_pinyin_initials_hz_finds_the_passport(catalog: dict[str, ServiceItem]) -> None:
    result = item_search(user=None, q="hz")
    # initials equal to "hz" (护照) first, then every other initials match by the curated sort order,
    # so the popular passport items come before 会展 (default order) although "hz" starts 会展's initials
    assert names(result) == ["护照", "普通护照换发", "普通护照签发", "会展活动备案"]


def test_full_pinyin_and_case(catalog: dict[str, ServiceItem]) -> None:
    assert names(item_search(user=None, q="HuZhao")) == ["护照", "普通护照换发", "普通护照签发"]
    assert names(item_search(user=None, q="shipin")) == ["食品生产许可（新办）", "食品经营许可（新办）"]


def test_several_terms_must_all_match(catalog: dict[str, ServiceItem]) -> None:
    assert names(item_search(user=None, q="食品 经营")) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, q="食品 hz")) == []


def test_filters(catalog: dict[str, ServiceItem]) -> None:
    assert names(item_search(user=None, q="食品", level="district")) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, district="310106")) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, department="310106-SCJG")) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, depth=4)) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, category="service")) == ["出入境记录查询"]
    assert names(item_search(user=None, type="10")) == ["会展活动备案"]
    assert item_search(user=None, q="食品", street="310106021").total == 0


def test_a_district_or_department_name_narrows_to_its_items(catalog: dict[str, ServiceItem]) -> None:
    assert names(item_search(user=None, q="静安")) == ["食品经营许可（新办）"]
    assert names(item_search(user=None, q="静安 许可")) == ["食品经营许可（新办）"]
    assert item_search(user=None, q="公安").total == 7  # every item of 上海市公安局
    assert names(item_search(user=None, q="公安 港澳")) == ["往来港澳通行证签发"]
    # name matches rank above department matches
    assert names(item_search(user=None, q="市场监督", page_size=1)) == ["食品经营许可（新办）"]


def test_without_query_city_first_then_sort(catalog: dict[str, ServiceItem]) -> None:
    result = item_search(user=None)
    assert result.total == 8
    assert names(result)[-1] == "食品经营许可（新办）"  # the only district item comes last
    assert names(result)[0] == "普通护照换发"            # sort_order 1


def test_facets_count_the_filtered_set(catalog: dict[str, ServiceItem]) -> None:
    result = item_search(user=None, q="许可")
    assert result.total == 2
    assert [(f.value, f.count) for f in result.facets["level"]] == [("city", 1), ("district", 1)]
    assert [(f.value, f.label, f.count) for f in result.facets["district"]] == [("310106", "静安区", 1)]
    assert [(f.value, f.count) for f in result.facets["depth"]] == [("2", 1), ("4", 1)]
    assert [(f.value, f.count) for f in result.facets["category"]] == [("approval", 2)]
    assert result.facets["department"] == []
    by_district = item_search(user=None, district="310106")
    assert [(f.value, f.count) for f in by_district.facets["department"]] == [("310106-SCJG", 1)]


def test_paging(catalog: dict[str, ServiceItem]) -> None:
    first = item_search(user=None, page_size=3)
    second = item_search(user=None, page_size=3, page=3)
    assert (first.pages, len(first.items), len(second.items), second.start) == (3, 3, 2, 7)
    assert item_search(user=None, page=9).items == []


def test_public_sees_active_only_staff_sees_all(catalog: dict[str, ServiceItem]) -> None:
    services.item_suspend(by=TEST_ACTOR, item=catalog["passport"], reason="暂停")
    services.item_withdraw(by=TEST_ACTOR, item=catalog["hk"], reason="取消")
    assert names(item_search(user=None, q="签发")) == []
    staff = get_user_model().objects.create_user("staffer", password="x-very-long-pw", is_staff=True)
    assert names(item_search(user=staff, q="签发")) == ["普通护照签发", "往来港澳通行证签发"]
    assert names(item_search(user=staff, q="签发", status="withdrawn")) == ["往来港澳通行证签发"]
    with pytest.raises(DomainError) as info:
        item_search(user=None, status="withdrawn")
    assert (info.value.code, info.value.status) == ("catalog.status_filter_forbidden", 403)


def test_search_and_stats_see_committed_writes(catalog: dict[str, ServiceItem],
                                               django_capture_on_commit_callbacks: Any) -> None:
    assert item_search(user=None, q="护照").total == 3
    assert catalog_stats().city_approval == 6
    with django_capture_on_commit_callbacks(execute=True):
        services.item_revise(by=TEST_ACTOR, item=catalog["protect"], name="护照加注")
    assert names(item_search(user=None, q="护照")) == ["护照加注", "普通护照换发", "普通护照签发"]
    with django_capture_on_commit_callbacks(execute=True):
        services.item_suspend(by=TEST_ACTOR, item=catalog["passport"], reason="暂停")
    assert item_search(user=None, q="护照").total == 2
    assert catalog_stats().city_approval == 5


@pytest.mark.parametrize(("filters", "field"), [
    ({"level": "province"}, "level"), ({"district": "31"}, "district"), ({"street": "abc"}, "street"),
    ({"category": "x"}, "category"), ({"depth": 5}, "depth"), ({"depth": "x"}, "depth"),
    ({"status": "gone"}, "status"), ({"department": "a b"}, "department"), ({"type": "!"}, "type"),
    ({"q": "x" * 101}, "q"), ({"page": 0}, "page"),
])
def test_bad_filters_are_422(catalog: dict[str, ServiceItem], filters: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as info:
        item_search(user=None, **filters)
    assert (info.value.code, info.value.status, list(info.value.fields)) == ("catalog.bad_filter", 422, [field])


def test_query_count_is_bounded(catalog: dict[str, ServiceItem], django_assert_max_num_queries: Any) -> None:
    # +1 in each: the catalog generation, read once per search from the database
    with django_assert_max_num_queries(8):  # 3 label tables (cached), facets, departments, page
        result = item_search(user=None, q="许可", district="310106")
        [(i.department.name, i.region.name, i.item_type.name) for i in result.items]
    with django_assert_max_num_queries(2):  # facets cached: the page only
        item_search(user=None, q="许可", district="310106", page=2)
    with django_assert_max_num_queries(1):  # the same page again: cached
        item_search(user=None, q="许可", district="310106", page=2)


def test_a_write_by_another_app_server_is_seen_at_once(catalog: dict[str, ServiceItem]) -> None:
    """Each gunicorn worker has its own in-process cache; the generation lives in the database and
    a worker re-reads it at least once a second, so a write made by another worker (another cache,
    another memory) invalidates this worker's cached pages within GENERATION_TTL."""
    from django.test import override_settings

    passport = catalog["passport"]
    assert passport.code in [i.code for i in item_search(user=None, q="护照").items]  # now cached here
    other_worker = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=other_worker), mock.patch.object(services, "forget_generation"):
        # another worker: neither its cache nor its memory of the generation are this worker's
        services.item_suspend(by=system_actor("another-worker"), item=passport, reason="系统升级")
    assert passport.code in [i.code for i in item_search(user=None, q="护照").items]  # within the TTL
    with mock.patch.object(selectors.time, "monotonic", return_value=time.monotonic() + selectors.GENERATION_TTL):
        assert passport.code not in [i.code for i in item_search(user=None, q="护照").items]
