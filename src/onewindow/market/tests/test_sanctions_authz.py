"""Authorization matrix of the 联合惩戒 API and pages (ARCHITECTURE rule 8): every operation by every
principal of :data:`SANCTION_PRINCIPALS`, with the exact status and code, and for every refusal
that nothing changed (entries, events, audit entries).

Who may what: the listing department's regulator, data clerk and admin (session, or the data
clerk's token with the scope ``market.records``) deliver entries and ask for a credit repair; only
its regulator and admin decide a repair; the listed organization (its agent) reads its entries and
asks for a repair; a regulator of another department reads every list but acts on none; a window
clerk and a citizen see no entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from onewindow.market.models import SanctionListing
from onewindow.market.services import sanctions

from .test_sanctions_world import SANCTION_PRINCIPALS, TODAY, SanctionsWorld, build_sanctions_world, entry, snapshot

BASE = "/api/v1/market/sanctions"
Expected = tuple[int, str | None]
OK: Expected = (200, None)
CREATED: Expected = (201, None)
UNAUTHENTICATED: Expected = (401, "unauthenticated")
NO_SCOPE: Expected = (403, "insufficient_scope")
NOT_LISTER: Expected = (403, "sanction_not_listing_department")
FORBIDDEN: Expected = (403, "sanction_action_forbidden")
NOT_FOUND: Expected = (404, "sanction_not_found")


def expect(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    table = dict.fromkeys(SANCTION_PRINCIPALS, default)
    table.update(anonymous=UNAUTHENTICATED, token_unscoped=NO_SCOPE, device=NO_SCOPE)
    table.update(overrides)
    return table


@dataclass
class Setting:
    w: SanctionsWorld
    listed: SanctionListing
    requested: SanctionListing


def _setting() -> Setting:
    w = build_sanctions_world()
    code = w.entity.credit_code
    listed = sanctions.sanction_list(by=w.user("regulator"), entry=entry("L1", code)).listing
    requested = sanctions.sanction_list(by=w.user("regulator"), entry=entry("L2", code)).listing
    sanctions.sanction_request_repair(by=w.user("agent"), listing_id=requested.pk, reason="已补报年度报告")
    return Setting(w=w, listed=listed, requested=requested)


def _json(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, data=json.dumps(body), content_type="application/json")


SEES = {"agent": OK, "data_clerk": OK, "regulator": OK, "regulator_other": OK, "manager": OK, "admin": OK, "token": OK}
HIDDEN = {"citizen": NOT_FOUND, "clerk": NOT_FOUND}
REVIEW = expect(FORBIDDEN, regulator=OK, manager=OK, **HIDDEN)

OPERATIONS: dict[str, tuple[Callable[[Setting], tuple[str, str, Any]], dict[str, Expected]]] = {
    "add": (
        lambda s: ("post", f"{BASE}/", {**entry("N1", s.w.entity.credit_code), "department": s.w.p.department.code}),
        expect(NOT_LISTER, regulator=CREATED, data_clerk=CREATED, manager=CREATED, token=CREATED),
    ),
    "list": (lambda s: ("get", f"{BASE}/", None), expect(OK)),
    "entity": (
        lambda s: ("get", f"{BASE}/entities/{s.w.entity.credit_code}", None),
        expect(OK, citizen=(404, "records_entity_not_found")),
    ),
    "detail": (lambda s: ("get", f"{BASE}/{s.listed.pk}", None), expect(NOT_FOUND, **SEES)),
    "repair": (
        lambda s: ("post", f"{BASE}/{s.listed.pk}/repair", {"reason": "已补报年度报告"}),
        expect(FORBIDDEN, agent=OK, data_clerk=OK, regulator=OK, manager=OK, token=OK, **HIDDEN),
    ),
    "approve": (lambda s: ("post", f"{BASE}/{s.requested.pk}/approve", {"note": "已核实"}), REVIEW),
    "reject": (lambda s: ("post", f"{BASE}/{s.requested.pk}/reject", {"note": "年报仍不完整"}), REVIEW),
}
CASES = [pytest.param(op, who, id=f"{op}-{who}") for op in OPERATIONS for who in SANCTION_PRINCIPALS]


@pytest.mark.django_db
@pytest.mark.parametrize(("operation", "who"), CASES)
def test_sanctions_api_matrix(operation: str, who: str) -> None:
    s = _setting()
    build, table = OPERATIONS[operation]
    method, url, body = build(s)
    before = snapshot()
    response = _json(s.w.client(who), method, url, body)
    status, code = table[who]
    assert response.status_code == status, response.content
    if code is not None:
        assert response.json()["code"] == code
        assert snapshot() == before


@pytest.mark.django_db
def test_what_each_reader_sees_in_the_lists() -> None:
    s = _setting()
    totals = {who: s.w.client(who).get(f"{BASE}/").json()["total"] for who in SEES}
    assert totals == dict.fromkeys(SEES, 2)
    assert s.w.client("citizen").get(f"{BASE}/").json()["total"] == 0
    assert s.w.client("clerk").get(f"{BASE}/").json()["total"] == 0


@pytest.mark.django_db
def test_a_second_delivery_answers_unchanged_and_a_too_early_removal_409() -> None:
    s = _setting()
    body = {**entry("L1", s.w.entity.credit_code), "department": s.w.p.department.code}
    again = _json(s.w.client("token"), "post", f"{BASE}/", body)
    assert (again.status_code, again.json()["outcome"], again.json()["id"]) == (200, "unchanged", s.listed.pk)
    early = sanctions.sanction_list(
        by=s.w.user("regulator"),
        entry=entry("S1", s.w.entity.credit_code, list_kind="serious_violation", listed_on=TODAY.isoformat()),
    ).listing
    sanctions.sanction_request_repair(by=s.w.user("agent"), listing_id=early.pk, reason="已整改")
    before = snapshot()
    response = _json(s.w.client("regulator"), "post", f"{BASE}/{early.pk}/approve", {"note": ""})
    assert (response.status_code, response.json()["code"]) == (409, "sanction_removal_too_early")
    assert snapshot() == before


# --------------------------------------------------------------------------- pages
PAGE_PRINCIPALS = ["anonymous", "citizen", "agent", "clerk", "data_clerk", "regulator", "regulator_other", "manager"]
PAGES: dict[str, tuple[Callable[[Setting], tuple[str, str, dict[str, str] | None]], dict[str, int]]] = {
    "lists": (
        lambda s: ("get", "/market/sanctions/", None),
        {
            "citizen": 403,
            "agent": 403,
            "clerk": 403,
            "data_clerk": 200,
            "regulator": 200,
            "regulator_other": 200,
            "manager": 200,
        },
    ),
    "entity": (
        lambda s: ("get", f"/market/sanctions/entity/{s.w.entity.pk}/", None),
        {
            "citizen": 404,
            "agent": 200,
            "clerk": 200,
            "data_clerk": 200,
            "regulator": 200,
            "regulator_other": 200,
            "manager": 200,
        },
    ),
    "detail": (
        lambda s: ("get", f"/market/sanctions/{s.listed.pk}/", None),
        {
            "citizen": 404,
            "agent": 200,
            "clerk": 404,
            "data_clerk": 200,
            "regulator": 200,
            "regulator_other": 200,
            "manager": 200,
        },
    ),
    "review": (
        lambda s: ("post", f"/market/sanctions/{s.requested.pk}/review/", {"decision": "reject", "note": "未补报"}),
        {
            "citizen": 404,
            "agent": 403,
            "clerk": 404,
            "data_clerk": 403,
            "regulator": 302,
            "regulator_other": 403,
            "manager": 302,
        },
    ),
}
PAGE_CASES = [pytest.param(page, who, id=f"{page}-{who}") for page in PAGES for who in PAGE_PRINCIPALS]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "who"), PAGE_CASES)
def test_sanctions_pages_matrix(page: str, who: str) -> None:
    s = _setting()
    build, table = PAGES[page]
    method, url, data = build(s)
    before = snapshot()
    client = s.w.client(who)
    response = client.get(url) if method == "get" else client.post(url, data or {})
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
        assert snapshot() == before
        return
    assert response.status_code == table[who], response.content[:300]
    if table[who] >= 400:
        assert snapshot() == before


@pytest.mark.django_db
def test_the_profile_shows_the_entitys_listings() -> None:
    s = _setting()
    client = s.w.client("regulator")
    section = client.get(f"/market/sanctions/entity/{s.w.entity.pk}/", headers={"HX-Request": "true"})
    html = section.content.decode()
    assert section.status_code == 200
    assert 'data-count="sanctions">2<' in html
    assert html.count("经营异常名录") == 2 and "未按规定报送年度报告" in html and s.w.p.department.name in html
    assert 'data-status="listed"' in html and 'data-status="repair_requested"' in html
    with open(
        __file__.replace("tests/test_sanctions_authz.py", "templates/market/profile.html"), encoding="utf-8"
    ) as profile:
        assert '{% include "market/_sanctions.html" %}' in profile.read()
