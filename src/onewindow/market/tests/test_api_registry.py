"""The registry API: its authorization matrix (every principal × every operation), the shapes of
its answers and refusals, and the query count of the search."""

from __future__ import annotations

import json
from typing import Any

import pytest

from onewindow.accounts.models import Organization
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry
from onewindow.market.services import entity_register
from onewindow.market.testing import REGISTRY_PRINCIPALS, RegistryWorld, entity_row

pytestmark = pytest.mark.django_db
API = "/api/v1/market"
SYSTEM = system_actor("test_api")

READERS = {"data_clerk", "data_clerk_other", "regulator", "admin", "token", "clerk_token"}
WRITERS = {"data_clerk", "admin", "clerk_token"}
UNMASKERS = {"regulator"}
REFUSAL = {
    "anonymous": (401, "unauthenticated"),
    "citizen": (403, "market_registry_forbidden"),
    "clerk_other_department": (403, "market_registry_forbidden"),
    "data_clerk_other": (403, "market_registry_forbidden"),
    "regulator": (403, "market_registry_forbidden"),
    "token": (403, "market_registry_forbidden"),
    "token_unscoped": (403, "insufficient_scope"),
    "device": (403, "insufficient_scope"),
}
UNMASK_REFUSAL = {**REFUSAL, "data_clerk": (403, "unmask_forbidden"), "admin": (403, "unmask_forbidden"),
                  "data_clerk_other": (403, "unmask_forbidden"), "token": (403, "unmask_machine_forbidden"),
                  "clerk_token": (403, "unmask_machine_forbidden")}


@pytest.fixture
def entity(registry_world: RegistryWorld) -> dict[str, Any]:
    row = entity_row(name="上海静安宏达贸易有限公司")
    entity_register(by=SYSTEM, data=row)
    return row


def _call(w: RegistryWorld, name: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    client = w.client(name)
    if method == "GET":
        return client.get(API + path)
    return client.post(API + path, data=json.dumps(body or {}), content_type="application/json")


def _expect(response: Any, name: str, allowed: set[str], ok: int, refusals: dict[str, tuple[int, str]]) -> None:
    if name in allowed:
        assert response.status_code == ok, response.content
        return
    status, code = refusals[name]
    assert (response.status_code, response.json()["code"]) == (status, code)


@pytest.mark.parametrize("name", REGISTRY_PRINCIPALS)
def test_search_matrix(registry_world: RegistryWorld, entity: dict[str, Any], name: str) -> None:
    response = _call(registry_world, name, "GET", "/entities?q=hdmy")
    _expect(response, name, READERS, 200, REFUSAL)
    if response.status_code == 200:
        body = response.json()
        assert (body["total"], body["page"], body["pages"], body["capped"]) == (1, 1, 1, False)
        assert body["items"][0]["credit_code"] == entity["credit_code"]
        assert body["items"][0]["industry"] == "百货零售"


@pytest.mark.parametrize("name", REGISTRY_PRINCIPALS)
def test_detail_matrix(registry_world: RegistryWorld, entity: dict[str, Any], name: str) -> None:
    response = _call(registry_world, name, "GET", f"/entities/{entity['credit_code']}")
    _expect(response, name, READERS, 200, REFUSAL)
    if response.status_code == 200:
        body = response.json()
        assert body["legal_rep_id_number"] == entity["legal_rep_id_number"][:3] + "*" * 11 + entity[
            "legal_rep_id_number"][-4:]
        assert body["legal_rep_phone"] == entity["legal_rep_phone"][:3] + "****" + entity["legal_rep_phone"][-4:]
        assert [v["kind"] for v in body["versions"]] == ["registered"]
        assert entity["legal_rep_id_number"] not in response.content.decode()


@pytest.mark.parametrize("name", REGISTRY_PRINCIPALS)
def test_register_matrix(registry_world: RegistryWorld, name: str) -> None:
    row = entity_row()
    before = Organization.objects.count()
    response = _call(registry_world, name, "POST", "/entities", row)
    _expect(response, name, WRITERS, 201, REFUSAL)
    assert Organization.objects.count() == before + (1 if name in WRITERS else 0)
    if response.status_code == 201:
        assert response.json()["credit_code"] == row["credit_code"]


@pytest.mark.parametrize("name", REGISTRY_PRINCIPALS)
def test_unmask_matrix(registry_world: RegistryWorld, entity: dict[str, Any], name: str) -> None:
    response = _call(registry_world, name, "POST", f"/entities/{entity['credit_code']}/unmask")
    _expect(response, name, UNMASKERS, 200, UNMASK_REFUSAL)
    views = AuditEntry.objects.filter(action="personal_data.view").count()
    assert views == (1 if name in UNMASKERS else 0)
    if response.status_code == 200:
        assert response.json()["legal_rep_id_number"] == entity["legal_rep_id_number"]


@pytest.mark.parametrize("name", REGISTRY_PRINCIPALS)
def test_import_detail_matrix(registry_world: RegistryWorld, name: str) -> None:
    import io

    from onewindow.market.services import entities_import
    from onewindow.market.testing import csv_bytes

    run = entities_import(by=SYSTEM, file=io.BytesIO(csv_bytes([entity_row(), entity_row(industry_code="x")])),
                          file_name="a.csv")
    response = _call(registry_world, name, "GET", f"/imports/{run.pk}")
    _expect(response, name, WRITERS, 200, REFUSAL)
    if response.status_code == 200:
        body = response.json()
        assert (body["rows_created"], body["rows_failed"]) == (1, 1)
        assert [(e["line"], e["field"], e["code"]) for e in body["errors"]] == [
            (3, "industry_code", "market_industry_unknown")]


def test_register_refusal_shape_and_nothing_written(registry_world: RegistryWorld) -> None:
    before = Organization.objects.count()
    response = _call(registry_world, "data_clerk", "POST", "/entities",
                     entity_row(credit_code="91310106MA1FL0000X", industry_code="9999"))
    body = response.json()
    assert (response.status_code, body["code"]) == (422, "credit_code_checksum")
    assert sorted(body["fields"]) == ["credit_code", "industry_code"]
    assert Organization.objects.count() == before
    again = entity_row()
    assert _call(registry_world, "data_clerk", "POST", "/entities", again).status_code == 201
    conflict = _call(registry_world, "data_clerk", "POST", "/entities", again)
    assert (conflict.status_code, conflict.json()["code"]) == (409, "market_entity_exists")


def test_search_refusals_and_not_found(registry_world: RegistryWorld) -> None:
    response = _call(registry_world, "regulator", "GET", "/entities?q=公司")
    assert (response.status_code, response.json()["code"]) == (422, "market_search_too_broad")
    response = _call(registry_world, "regulator", "GET", "/entities/91310106MA1FL00000")
    assert (response.status_code, response.json()["code"]) == (404, "entity_not_found")
    response = _call(registry_world, "data_clerk", "GET", "/imports/999999")
    assert (response.status_code, response.json()["code"]) == (404, "entity_import_not_found")


def test_search_query_count_does_not_grow_with_the_page(registry_world: RegistryWorld,
                                                        django_assert_max_num_queries: Any) -> None:
    for i in range(30):
        entity_register(by=SYSTEM, data=entity_row(name=f"上海宏达{i}号贸易有限公司"))
    client = registry_world.client("regulator")
    with django_assert_max_num_queries(12):
        response = client.get(API + "/entities?q=宏达&page_size=30")
    assert response.json()["total"] == 30
