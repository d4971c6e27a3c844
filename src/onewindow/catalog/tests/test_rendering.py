"""The catalog's API answers are rendered in one place, ``catalog.schemas`` (issue #10 part 3): the
selectors return model objects and dataclasses; the search page's rendered answer is kept per
catalog generation, so a repeated search is one cache read, and a catalog write renders anew."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from onewindow.catalog import schemas, selectors, services
from onewindow.catalog.models import ServiceItem

from .conftest import TEST_ACTOR

API = "/api/v1/catalog"


def test_search_selector_returns_objects_and_schemas_render(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    result = selectors.item_search(user=None, q="护照")
    assert [type(i) for i in result.items] == [ServiceItem]
    body = schemas.item_list_out(result)
    assert body["items"][0] == schemas.item_summary_out(item)
    assert body["items"][0]["url"] == f"/catalog/items/{item.code}/"
    assert not hasattr(selectors, "item_summary") and not hasattr(selectors, "item_search_payload")


def test_repeated_search_is_served_from_the_rendered_answer(make_item: Callable[..., ServiceItem],
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            django_assert_max_num_queries: Any) -> None:
    item = make_item()
    first = Client().get(f"{API}/items", {"q": "hz"})
    assert first.status_code == 200

    def searched_again(**kwargs: Any) -> Any:
        raise AssertionError("the search ran again for a kept answer")

    with monkeypatch.context() as patched:
        patched.setattr(selectors, "item_search", searched_again)
        with django_assert_max_num_queries(1):  # at most the worker's read of the catalog generation
            again = Client().get(f"{API}/items", {"q": "hz"})
    assert again.json() == first.json()
    services.item_revise(by=TEST_ACTOR, item=item, name="普通护照签发（换发）", change_note="改名")
    renamed = Client().get(f"{API}/items", {"q": "hz"}).json()
    assert [i["name"] for i in renamed["items"]] == ["普通护照签发（换发）"]
