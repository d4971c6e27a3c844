"""The catalog API (/api/v1/catalog/): shapes, errors, query counts and the authorization matrix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.testing import PRINCIPAL_NAMES, STAFF_PRINCIPALS, Principals
from onewindow.catalog import services
from onewindow.catalog.models import ServiceItem
from onewindow.core.models import Department

from .conftest import TEST_ACTOR

API = "/api/v1/catalog"


@pytest.fixture
def items(make_item: Callable[..., ServiceItem], jingan_market: Department) -> dict[str, ServiceItem]:
    free = {"fee_free": True, "fee_text": "", "fee_amount": None}
    passport = make_item(materials=[{"name": "居民身份证", "form": "original"},
                                    {"name": "户口簿", "form": "copy", "copies": 2, "required": False}])
    suspended = make_item(name="往来台湾通行证签发", **free)
    services.item_suspend(by=TEST_ACTOR, item=suspended, reason="系统升级")
    withdrawn = make_item(name="往来港澳通行证签发", **free)
    services.item_withdraw(by=TEST_ACTOR, item=withdrawn, reason="取消")
    food = make_item(name="食品经营许可（新办）", department=jingan_market, region="310106", level="district",
                     depth_level=4, fully_online=True, on_site_visits=0, channels=["online"], **free)
    return {"passport": passport, "suspended": suspended, "withdrawn": withdrawn, "food": food}


def test_list_shape(items: dict[str, ServiceItem], client: Client) -> None:
    response = client.get(f"{API}/items", {"q": "hz"})
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["pages"], body["page_size"]) == (1, 1, 1, 20)
    assert body["items"] == [{
        "code": items["passport"].code, "name": "普通护照签发", "level": "city", "category": "approval",
        "type": {"code": "01", "name": "行政许可"}, "department": {"code": "SH-GA", "name": "上海市公安局"},
        "region": {"code": "310000", "name": "上海市"}, "depth_level": 2, "fully_online": False, "status": "active",
        "url": f"/catalog/items/{items['passport'].code}/"}]
    assert body["facets"]["level"] == [{"value": "city", "label": "市级", "count": 1}]


def test_list_filters(items: dict[str, ServiceItem], client: Client) -> None:
    body = client.get(f"{API}/items", {"district": "310106", "depth": 4}).json()
    assert [i["name"] for i in body["items"]] == ["食品经营许可（新办）"]
    body = client.get(f"{API}/items", {"level": "city"}).json()
    assert [i["name"] for i in body["items"]] == ["普通护照签发"]


def test_detail_and_versions(items: dict[str, ServiceItem], client: Client) -> None:
    code = items["passport"].code
    body = client.get(f"{API}/items/{code}").json()
    v = body["current_version"]
    assert (body["code"], body["name"], body["status"], body["department"]["name"]) == (
        code, "普通护照签发", "active", "上海市公安局")
    assert (v["number"], v["statutory_limit"], v["promised_limit"]) == (
        1, {"days": 15, "unit": "working", "note": ""}, {"days": 7, "unit": "working", "note": ""})
    assert (v["fee_free"], v["fee_text"], v["depth_codes"], v["channels"]) == (
        False, "120元/本", ["1", "2", "3"], ["online", "window"])
    assert v["materials"] == [
        {"name": "居民身份证", "form": "original", "copies": 1, "required": True, "note": "", "shared_resource": ""},
        {"name": "户口簿", "form": "copy", "copies": 2, "required": False, "note": "", "shared_resource": ""}]
    assert body["pdf_url"] == f"/catalog/items/{code}/guide.pdf"
    services.item_revise(by=TEST_ACTOR, item=items["passport"], promised_limit=5, change_note="提速")
    versions = client.get(f"{API}/items/{code}/versions").json()["items"]
    assert [(x["number"], x["change_note"]) for x in versions] == [(2, "提速"), (1, "")]


def test_types_and_stats(items: dict[str, ServiceItem], client: Client) -> None:
    types = client.get(f"{API}/types").json()["items"]
    assert [t["code"] for t in types] == ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"]
    assert types[0] == {"code": "01", "name": "行政许可", "is_power": True, "is_confirmed": False}
    stats = client.get(f"{API}/stats").json()
    assert stats == {"city_approval": 1, "district_approval": 1, "city_service": 0, "district_service": 0,
                     "street_service": 0, "city_approval_fully_online": 0, "district_approval_fully_online": 1,
                     "total": 2}


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"level": "province"}, "catalog.bad_filter", "level"),
    ({"district": "abc"}, "catalog.bad_filter", "district"),
    ({"category": "other"}, "catalog.bad_filter", "category"),
    ({"depth": 9}, "invalid", "depth"),
    ({"depth": "x"}, "invalid", "depth"),
    ({"page": 0}, "invalid", "page"),
    ({"page_size": 1000}, "invalid", "page_size"),
    ({"q": "x" * 101}, "invalid", "q"),
])
def test_bad_filters_are_422_json(items: dict[str, ServiceItem], client: Client, params: dict[str, Any],
                                  code: str, field: str) -> None:
    response = client.get(f"{API}/items", params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert list(body["fields"]) == [field]
    assert body["message"]


def test_unknown_item_is_404_json(db: Any, client: Client) -> None:
    for url in (f"{API}/items/NOPE", f"{API}/items/NOPE/versions"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "item_not_found", "message": "找不到该事项。", "fields": {}}


def test_list_query_count_guard(items: dict[str, ServiceItem], client: Client,
                                django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(7):  # includes one read of the catalog generation
        assert client.get(f"{API}/items", {"q": "许可", "page_size": 50}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/items/{items['passport'].code}").status_code == 200


# --- authorization matrix: every operation × every principal ---------------------------------

OPERATIONS: list[tuple[str, Callable[[dict[str, ServiceItem]], str], bool | None]] = [
    # (name, url, staff_only): None = everyone 200; True = staff 200, others refused
    ("search", lambda i: f"{API}/items?q=签发", None),
    ("search by status", lambda i: f"{API}/items?status=withdrawn", True),
    ("active detail", lambda i: f"{API}/items/{i['passport'].code}", None),
    ("suspended detail", lambda i: f"{API}/items/{i['suspended'].code}", None),
    ("withdrawn detail", lambda i: f"{API}/items/{i['withdrawn'].code}", True),
    ("versions", lambda i: f"{API}/items/{i['passport'].code}/versions", None),
    ("withdrawn versions", lambda i: f"{API}/items/{i['withdrawn'].code}/versions", True),
    ("types", lambda i: f"{API}/types", None),
    ("stats", lambda i: f"{API}/stats", None),
]


@pytest.mark.parametrize("who", PRINCIPAL_NAMES)
@pytest.mark.parametrize(("operation", "url", "staff_only"), OPERATIONS, ids=[o[0] for o in OPERATIONS])
def test_authorization_matrix(items: dict[str, ServiceItem], principals: Principals, who: str, operation: str,
                              url: Callable[[dict[str, ServiceItem]], str], staff_only: bool | None) -> None:
    response = principals.client(who).get(url(items))
    allowed = staff_only is None or who in STAFF_PRINCIPALS
    if allowed:
        assert response.status_code == 200, response.content
    else:
        expected = ({"search by status": (403, "catalog.status_filter_forbidden")}
                    .get(operation, (404, "item_not_found")))
        assert (response.status_code, response.json()["code"]) == expected
    if operation == "search" and allowed:
        names = [i["name"] for i in response.json()["items"]]
        assert names == (["普通护照签发", "往来台湾通行证签发", "往来港澳通行证签发"] if who in STAFF_PRINCIPALS
                         else ["普通护照签发"])
