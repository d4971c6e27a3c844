"""POST /api/v1/sharing/exchange/{resource_code}: the authorization matrix over callers and grant
tokens, the refusals of the contract (each with nothing answered, and logged once the grant is
known), 429 with Retry-After, and never a 500 for bad input."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from onewindow.sharing import rate_limits
from onewindow.sharing.choices import ExchangeOutcome, Purpose
from onewindow.sharing.models import ExchangeLogEntry, Grant
from onewindow.sharing.testing import FAKE_ROWS, SharingWorld, make_grant

CODE = FAKE_ROWS[0]["credit_code"]
NOW = 1_900_000_070.0  # 10 s before the next minute window


@pytest.fixture(autouse=True)
def fixed_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW)


def url(code: str) -> str:
    return f"/api/v1/sharing/exchange/{code}"


def post(client: Client, code: str, body: Any = None, **extra: Any) -> Any:
    payload = {"purpose": Purpose.CASE_HANDLING, "params": {"key": CODE}} if body is None else body
    data = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url(code), data=data, content_type="application/json", **extra)


def bearer(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def logged() -> list[tuple[str, str, str]]:
    return list(ExchangeLogEntry.objects.order_by("id").values_list("role", "outcome", "error_code"))


@pytest.fixture
def setup(sharing_world: SharingWorld) -> dict[str, Any]:
    w = sharing_world
    resource = w.resource()
    other_resource = w.resource(name="另一数据资源")
    grant, token = w.grant(resource, fields=["credit_code", "name"])
    _other_grant, other_token = w.grant(other_resource)
    _outsider_grant, outsider_token = make_grant(other_resource, w.outsider)
    return {"w": w, "resource": resource, "grant": grant, "token": token, "other_token": other_token,
            "outsider_token": outsider_token, "other_resource": other_resource}


# ---- who may call ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"),
    ("citizen", 401, "unauthenticated"),
    ("clerk", 401, "unauthenticated"),
    ("outsider_admin", 401, "unauthenticated"),
    ("provider_admin", 401, "unauthenticated"),
    ("consumer_clerk", 401, "unauthenticated"),
    ("consumer_admin", 401, "unauthenticated"),  # a session is not a grant, even the consumer's
    ("admin", 401, "unauthenticated"),
    ("token", 401, "sharing_grant_token_invalid"),  # an API token is not a grant token
    ("readonly_token", 401, "sharing_grant_token_invalid"),
])
def test_people_and_api_tokens_are_not_grants(setup: dict[str, Any], who: str, status: int, code: str) -> None:
    response = post(setup["w"].client(who), setup["resource"].code)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert logged() == []


def test_the_consumer_with_a_grant_gets_the_granted_fields(setup: dict[str, Any]) -> None:
    response = post(bearer(setup["token"]), setup["resource"].code,
                    {"purpose": "case_handling", "params": {"key": CODE}, "case_number": "JA2026000001"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"exchange_id", "resource_code", "fields", "rows", "as_of"}
    assert (body["resource_code"], body["fields"], body["as_of"]) == (setup["resource"].code, ["credit_code", "name"],
                                                                      None)
    assert body["rows"] == [{"credit_code": CODE, "name": FAKE_ROWS[0]["name"]}]
    entries = ExchangeLogEntry.objects.filter(exchange_id=body["exchange_id"])
    assert sorted(entries.values_list("role", "outcome", "case_number")) == [
        ("consumer", "ok", "JA2026000001"), ("provider", "ok", "JA2026000001")]


def test_a_personal_field_not_granted_comes_masked(setup: dict[str, Any]) -> None:
    response = post(bearer(setup["token"]), setup["resource"].code,
                    {"purpose": "case_handling", "params": {"key": CODE}, "fields": ["legal_representative"]})
    assert (response.status_code, response.json()["rows"]) == (200, [{"legal_representative": "周**"}])


def test_a_grant_for_another_resource_is_refused_and_logged(setup: dict[str, Any]) -> None:
    response = post(bearer(setup["other_token"]), setup["resource"].code)
    assert (response.status_code, response.json()["code"]) == (403, "sharing_grant_wrong_resource")
    assert "rows" not in response.json()
    assert sorted(logged()) == [("consumer", "refused", "sharing_grant_wrong_resource"),
                                ("provider", "refused", "sharing_grant_wrong_resource")]
    assert set(ExchangeLogEntry.objects.values_list("resource_code", flat=True)) == {setup["resource"].code}


def test_another_departments_token_is_refused_and_names_that_department(setup: dict[str, Any]) -> None:
    w = setup["w"]
    response = post(bearer(setup["outsider_token"]), setup["resource"].code)
    assert (response.status_code, response.json()["code"]) == (403, "sharing_grant_wrong_resource")
    assert set(ExchangeLogEntry.objects.values_list("consumer_code", flat=True)) == {f"OW-LOCAL:{w.outsider.code}"}


@pytest.mark.parametrize("token", ["ow_000000000000_nosuchsecret", "not-a-token", "ow_short_x"])
def test_an_unknown_or_malformed_token_is_401(setup: dict[str, Any], token: str) -> None:
    response = post(bearer(token), setup["resource"].code)
    assert (response.status_code, response.json()["code"]) == (401, "sharing_grant_token_invalid")
    assert logged() == []


def test_a_right_prefix_with_a_wrong_secret_is_401(setup: dict[str, Any]) -> None:
    prefix = setup["token"].split("_")[1]
    response = post(bearer(f"ow_{prefix}_wrongsecretwrongsecretwrongsecretwrongsecr"), setup["resource"].code)
    assert (response.status_code, response.json()["code"]) == (401, "sharing_grant_token_invalid")
    assert logged() == []


@pytest.mark.parametrize(("change", "body", "status", "code"), [
    ({"status": "revoked", "revoke_reason": "测试撤销"}, None, 403, "sharing_grant_revoked"),
    ({"valid_from": datetime.date(2020, 1, 1), "valid_to": datetime.date(2020, 12, 31)}, None, 403,
     "sharing_grant_expired"),
    ({}, {"purpose": "supervision", "params": {"key": CODE}}, 403, "sharing_purpose_mismatch"),
    ({}, {"purpose": "case_handling", "params": {"key": CODE}, "fields": ["name", "secret"]}, 403,
     "sharing_fields_not_granted"),
])
def test_refusals_under_a_known_grant_are_logged_on_both_sides(setup: dict[str, Any], change: dict[str, Any],
                                                               body: Any, status: int, code: str) -> None:
    grant: Grant = setup["grant"]
    if change:
        if change.get("status") == "revoked":
            from django.utils import timezone
            change["revoked_at"] = timezone.now()
        Grant.objects.filter(pk=grant.pk).update(**change)
    response = post(bearer(setup["token"]), setup["resource"].code, body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert "rows" not in response.json()
    assert sorted(logged()) == [("consumer", "refused", code), ("provider", "refused", code)]
    assert Grant.objects.get(pk=grant.pk).last_used_at is None


def test_an_unknown_resource_is_404(setup: dict[str, Any]) -> None:
    response = post(bearer(setup["token"]), "NO-SUCH-0001")
    assert (response.status_code, response.json()["code"]) == (404, "sharing_resource_not_found")
    assert logged() == []


@pytest.mark.parametrize("body", [
    "{not json",
    {"params": {"key": CODE}},
    {"purpose": "case_handling"},
    {"purpose": "case_handling", "params": ["key"]},
    {"purpose": "case_handling", "params": {"key": {"nested": True}}},
    {"purpose": "case_handling", "params": {"key": "x" * 201}},
    {"purpose": "case_handling", "params": {"key": CODE}, "fields": "name"},
    {"purpose": "case_handling", "params": {"key": CODE}, "case_number": "x" * 41},
    {"purpose": "p" * 41, "params": {"key": CODE}},
])
def test_bad_bodies_are_4xx_never_500_and_answer_nothing(setup: dict[str, Any], body: Any) -> None:
    response = post(bearer(setup["token"]), setup["resource"].code, body)
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"code", "message", "fields"}
    assert logged() == []


def test_the_rate_limit_answers_429_with_retry_after(setup: dict[str, Any]) -> None:
    Grant.objects.filter(pk=setup["grant"].pk).update(rate_per_minute=2)
    client = bearer(setup["token"])
    assert [post(client, setup["resource"].code).status_code for _ in range(2)] == [200, 200]
    response = post(client, setup["resource"].code)
    assert (response.status_code, response.json()["code"], response["Retry-After"]) == (429, "sharing_rate_limited",
                                                                                          "10")
    assert logged()[-2:] == [("provider", ExchangeOutcome.REFUSED, "sharing_rate_limited"),
                             ("consumer", ExchangeOutcome.REFUSED, "sharing_rate_limited")]


def test_the_openapi_document_describes_the_operation(db: None) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/sharing/exchange/{resource_code}"]["post"]
    assert {"200", "401", "403", "404", "422", "429", "503", "504"} <= set(operation["responses"])


def test_an_exchange_costs_seven_statements(setup: dict[str, Any], django_assert_num_queries: Any) -> None:
    """The grant by token, the provider department, the version, and per side its key and its entry
    (the grant's last use was written by the first call; the fake provider reads nothing)."""
    client = bearer(setup["token"])
    assert post(client, setup["resource"].code).status_code == 200  # creates both departments' keys
    with django_assert_num_queries(7):
        assert post(client, setup["resource"].code).status_code == 200
