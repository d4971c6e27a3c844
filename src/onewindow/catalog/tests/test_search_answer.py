"""The API's search answer is JSON bytes joined from parts rendered once per catalog generation
(``schemas.item_list_json``, issue #17), sent without a validation pass: it must be, field by field,
the ``ItemListOut`` document that the schema validates from ``selectors.item_search``'s objects, for
every kind of search — empty, no hits, paging, filters, staff, English labels."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from onewindow.catalog import demo, schemas, selectors, services
from onewindow.catalog.models import ServiceItem
from onewindow.catalog.schemas import ItemListOut, ItemSummaryOut
from onewindow.core.models import Region

from .conftest import TEST_ACTOR

API = "/api/v1/catalog/items"
#: The keys of the answer and of a row, in the schemas' order (the bytes keep it).
ANSWER_KEYS = list(ItemListOut.model_fields)
ROW_KEYS = list(ItemSummaryOut.model_fields)


def _searches() -> list[dict[str, Any]]:
    """Substrings, pinyin, initials and two-term queries of the demo's names, with filters and pages,
    and the edge cases."""
    names = list(ServiceItem.objects.order_by("id").values_list("name", "level", "category", "district__code"))
    rng = random.Random(1917)
    out: list[dict[str, Any]] = []
    for _ in range(60):
        name, level, category, district = names[rng.randrange(len(names))]
        start = rng.randrange(max(1, len(name) - 2))
        text = name[start:start + rng.randint(2, 4)]
        params: dict[str, Any] = {"q": rng.choice([text, text[:2] + " " + text[2:], text.lower()])}
        params.update(rng.choice([{}, {"level": level}, {"category": category},
                                  {"district": district} if district else {}, {"page": 2}, {"page_size": 7}]))
        out.append(params)
    return [*out, {}, {"q": ""}, {"q": "不存在的事项"}, {"q": "hz"}, {"q": "xk", "page": 3, "page_size": 5},
            {"q": "许可", "page": 500}, {"level": "city"}, {"street": "310104003"}, {"department": "SH-GA"},
            {"type": "20"}, {"depth": 4, "category": "approval"}, {"district": "310106", "q": "食品"},
            {"q": "登记", "page_size": 100}, {"q": "a"}, {"q": "  护照  "}]


def _schema_answer(user: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The answer as the schema validates it: ``item_list_out`` of the model objects, through
    ``ItemListOut``."""
    result = selectors.item_search(user=user, **params)
    return ItemListOut.model_validate(schemas.item_list_out(result)).model_dump(mode="json")


def _assert_same(fast: bytes, expected: dict[str, Any], params: dict[str, Any]) -> None:
    body = json.loads(fast)
    assert list(body) == ANSWER_KEYS, params
    for key in ANSWER_KEYS:
        if key != "items":
            assert body[key] == expected[key], (params, key)
    assert len(body["items"]) == len(expected["items"]), params
    for row, want in zip(body["items"], expected["items"], strict=True):
        assert list(row) == ROW_KEYS, params
        for key in ROW_KEYS:
            assert row[key] == want[key], (params, key)
            assert type(row[key]) is type(want[key]), (params, key)


@pytest.fixture
def demo_catalog(regions: dict[str, Region]) -> None:
    demo.load(progress=lambda n: None, seed=20170929)


def test_the_answer_is_the_schema_validated_one(demo_catalog: None) -> None:
    staff = get_user_model().objects.create_user("staffer", password="x-very-long-pw", is_staff=True)
    searches = _searches()
    for params in [*searches, {"status": "withdrawn"}, {"q": "许可", "status": "suspended"}]:
        for user in (None, staff):
            if params.get("status") and user is None:
                continue
            fast = schemas.item_list_body(user=user, **params)
            _assert_same(fast, _schema_answer(user, params), params)
    assert json.loads(schemas.item_list_body(user=None, q="不存在的事项"))["items"] == []


def test_english_labels_and_the_response(demo_catalog: None) -> None:
    """Facet labels are translated per request language; the rows (names from the database) are not."""
    for params in ({"q": "xk"}, {"q": "许可", "district": "310106"}, {"level": "city", "page": 2}):
        response = Client().get(API, params, headers={"Accept-Language": "en"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        with translation.override("en"):
            expected = _schema_answer(None, params)
        _assert_same(response.content, expected, params)
        assert json.loads(response.content)["facets"]["level"][0]["label"] in {"City level", "District level"}
        chinese = Client().get(API, params).json()
        assert chinese["items"] == expected["items"]
        assert chinese["facets"]["level"][0]["label"] in {"市级", "区级", "街镇级"}


def test_a_catalog_write_renders_anew(demo_catalog: None) -> None:
    first = Client().get(API, {"q": "护照"}).json()["items"][0]
    item = ServiceItem.objects.get(code=first["code"])
    services.item_revise(by=TEST_ACTOR, item=item, name=first["name"] + "（新）", change_note="改名")
    again = Client().get(API, {"q": "护照"}).json()["items"]
    assert [i["name"] for i in again if i["code"] == first["code"]] == [first["name"] + "（新）"]
