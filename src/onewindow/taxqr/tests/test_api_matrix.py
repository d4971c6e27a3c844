"""Authorization matrix of every taxqr API operation: exact status and code; refusals change nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.taxqr import services
from onewindow.taxqr.models import ArchiveFile, ClientDraft, TaxRecord

from .conftest import TaxWorld, codes_for, sample

pytestmark = pytest.mark.django_db

BASE = "/api/v1/taxqr"
ACTORS = ["anonymous", "citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "tax_clerk",
          "other_tax_clerk", "admin", "device", "ownerless"]
TAX_ONLY = {"citizen": (403, "not_tax_staff"), "another_citizen": (403, "not_tax_staff"),
            "agent": (403, "not_tax_staff"), "clerk_other_department": (403, "not_tax_staff"),
            "clerk": (403, "not_tax_staff")}
#: A machine token without an owner that holds the taxqr scopes: a valid credential without a person
#: to act for, 403 token_without_user as in every app (decision 0013).
GATE = {"anonymous": (401, "unauthenticated"), "device": (403, "insufficient_scope"),
        "ownerless": (403, "token_without_user")}


def client_for(world: TaxWorld, name: str) -> Client:
    if name == "ownerless":
        _token, secret = make_api_token(name="无主系统", scopes=["taxqr:read", "taxqr:write"], system_name="bridge")
        return Client(headers={"Authorization": f"Bearer {secret}"})
    if name in ("tax_clerk", "other_tax_clerk", "tax_reviewer"):
        client = Client()
        client.force_login(getattr(world, name))
        return client
    return world.principals.client(name)


def _state() -> tuple[int, int, int, list[Any]]:
    return (TaxRecord.objects.count(), ClientDraft.objects.count(), ArchiveFile.objects.count(),
            sorted(ClientDraft.objects.values_list("id", "status", "certificate_no")))


@pytest.fixture
def setup(world: TaxWorld) -> dict[str, Any]:
    citizen_draft = services.draft_save(by=world.principals.citizen, data=sample(5))
    record = services.record_capture(by=world.tax_clerk, text=codes_for(6, now=timezone.now())[0])
    return {"draft": citizen_draft.pk, "record": record.pk, "fresh": codes_for(7, now=timezone.now())[0],
            "day": timezone.localdate().isoformat()}


def _expect(ok: dict[str, tuple[int, str]], default: tuple[int, str]) -> dict[str, tuple[int, str]]:
    return {name: ok.get(name, GATE.get(name, default)) for name in ACTORS}


OWNER_ONLY = _expect({"citizen": (200, "")}, (404, "tax_draft_not_found"))
ANY_USER_WRITE = _expect({}, (201, ""))
ANY_USER_READ = _expect({}, (200, ""))
WINDOW = _expect({**TAX_ONLY, "tax_clerk": (200, ""), "other_tax_clerk": (200, "")}, (403, "not_tax_staff"))
CAPTURE = _expect({**TAX_ONLY, "tax_clerk": (201, ""), "other_tax_clerk": (422, "property_not_in_bureau")},
                  (403, "not_tax_staff"))
READ_RECORDS = _expect({**TAX_ONLY, "tax_clerk": (200, ""), "other_tax_clerk": (200, ""), "admin": (200, "")},
                       (403, "not_tax_staff"))
READ_RECORD = _expect({**TAX_ONLY, "tax_clerk": (200, ""), "other_tax_clerk": (404, "tax_record_not_found"),
                       "admin": (200, "")}, (403, "not_tax_staff"))
ARCHIVE = _expect({**TAX_ONLY, "tax_clerk": (201, ""), "other_tax_clerk": (201, ""), "admin": (422, "bureau_required")},
                  (403, "not_tax_staff"))
#: A system admin reads every record but corrects none (workflow.RECORD): the guard's 403.
CORRECT = _expect({**TAX_ONLY, "tax_clerk": (201, ""), "other_tax_clerk": (404, "tax_record_not_found"),
                   "admin": (403, "tax_record_action_forbidden")}, (403, "not_tax_staff"))

Call = Callable[[Client, dict[str, Any]], Any]
OPERATIONS: dict[str, tuple[Call, dict[str, tuple[int, str]]]] = {
    "list drafts": (lambda c, s: c.get(f"{BASE}/drafts"), ANY_USER_READ),
    "create draft": (lambda c, s: c.post(f"{BASE}/drafts", {"data": sample(9)}, content_type="application/json"),
                     ANY_USER_WRITE),
    "update draft": (lambda c, s: c.put(f"{BASE}/drafts/{s['draft']}", {"data": sample(8)},
                                        content_type="application/json"), OWNER_ONLY),
    "code draft": (lambda c, s: c.post(f"{BASE}/drafts/{s['draft']}/code"), OWNER_ONLY),
    "window preview": (lambda c, s: c.post(f"{BASE}/window/preview", {"text": s["fresh"]}), WINDOW),
    "window capture": (lambda c, s: c.post(f"{BASE}/window/capture", {"text": s["fresh"], "window": "2"}), CAPTURE),
    "list records": (lambda c, s: c.get(f"{BASE}/records"), READ_RECORDS),
    "record detail": (lambda c, s: c.get(f"{BASE}/records/{s['record']}"), READ_RECORD),
    "correct record": (lambda c, s: c.post(f"{BASE}/records/{s['record']}/corrections",
                                           {"field": "property.address", "value": "上海市静安区临汾路380弄12号302室",
                                            "reason": "门牌更正"}, content_type="application/json"), CORRECT),
    "summary xlsx": (lambda c, s: c.get(f"{BASE}/summary.xlsx", {"date": s["day"]}), READ_RECORDS),
    "summary pdf": (lambda c, s: c.get(f"{BASE}/summary.pdf", {"date": s["day"]}), READ_RECORDS),
    "archive summary": (lambda c, s: c.post(f"{BASE}/summary/archive", {"date": s["day"], "format": "pdf"},
                                            content_type="application/json"), ARCHIVE),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("actor", ACTORS)
def test_authorization_matrix(world: TaxWorld, setup: dict[str, Any], operation: str, actor: str) -> None:
    call, expected = OPERATIONS[operation]
    status, code = expected[actor]
    before = _state()
    response = call(client_for(world, actor), setup)
    assert response.status_code == status, response.content[:300]
    if status >= 400:
        assert response.json()["code"] == code
        assert _state() == before


def test_lists_are_scoped_and_masked(world: TaxWorld, setup: dict[str, Any]) -> None:
    own = client_for(world, "tax_clerk").get(f"{BASE}/records").json()["items"]
    assert [r["id"] for r in own] == [setup["record"]]
    assert own[0]["parties"] == "张* → 李*"
    assert client_for(world, "other_tax_clerk").get(f"{BASE}/records").json()["items"] == []
    detail = client_for(world, "tax_clerk").get(f"{BASE}/records/{setup['record']}").json()
    body = json.dumps(detail, ensure_ascii=False)
    for person in sample(6)["sellers"] + sample(6)["buyers"]:
        assert person["id_number"] not in body and person["phone"] not in body
    assert detail["record"]["sellers"][0]["id_number"].count("*") == 11
    drafts = client_for(world, "another_citizen").get(f"{BASE}/drafts").json()["items"]
    assert drafts == []


def test_code_endpoint_returns_texts_svg_and_the_estimate_labelled(world: TaxWorld, setup: dict[str, Any]) -> None:
    response = client_for(world, "citizen").post(f"{BASE}/drafts/{setup['draft']}/code")
    body = response.json()
    assert response.status_code == 200
    assert len(body["texts"]) == len(body["svgs"]) == 1
    assert body["svgs"][0].startswith("<svg")
    assert body["estimate"]["label"] == "仅供参考"
    assert [line["tax"] for line in body["estimate"]["lines"]] == ["deed", "vat", "income"]


def test_invalid_draft_code_is_a_422_with_fields(world: TaxWorld) -> None:
    client = client_for(world, "citizen")
    data = sample(10)
    data["contract"]["signed_on"] = "2999-01-01"
    draft = client.post(f"{BASE}/drafts", {"data": data}, content_type="application/json").json()
    response = client.post(f"{BASE}/drafts/{draft['id']}/code")
    assert response.status_code == 422
    assert response.json()["code"] == "record_invalid"
    # In 2999 the child of the sample is no longer a minor, so that rule speaks too.
    assert set(response.json()["fields"]) == {"contract.signed_on", "buyers.0.family.children.0.id_number"}
    assert ClientDraft.objects.get(pk=draft["id"]).codes == []


def test_refusals_speak_the_requests_language(world: TaxWorld) -> None:
    client = client_for(world, "tax_clerk")
    zh = client.post(f"{BASE}/window/preview", {"text": "HC1:NOT-OURS"})
    en = client.post(f"{BASE}/window/preview", {"text": "HC1:NOT-OURS"}, headers={"Accept-Language": "en"})
    assert (zh.status_code, zh.json()["code"], en.json()["code"]) == (422, "qr_foreign", "qr_foreign")
    assert zh.json()["message"] == "这不是本系统生成的房产交易二维码。"
    assert en.json()["message"] == "This is not a housing-transaction QR code generated by this system."


def test_list_endpoints_do_not_grow_queries_with_rows(world: TaxWorld) -> None:
    from .conftest import NOW

    clerk, citizen = client_for(world, "tax_clerk"), client_for(world, "citizen")

    def counts() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as records:
            assert clerk.get(f"{BASE}/records").status_code == 200
        with CaptureQueriesContext(connection) as drafts:
            assert citizen.get(f"{BASE}/drafts").status_code == 200
        return len(records), len(drafts)

    services.record_capture(by=world.tax_clerk, text=codes_for(400)[0], now=NOW)
    services.draft_save(by=world.principals.citizen, data=sample(400))
    few = counts()
    for seed in range(401, 406):
        services.record_capture(by=world.tax_clerk, text=codes_for(seed)[0], now=NOW)
        services.draft_save(by=world.principals.citizen, data=sample(seed))
    assert counts() == few
    assert few[0] <= 8 and few[1] <= 6
