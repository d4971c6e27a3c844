"""Authorization matrix of every accounts API operation (ARCHITECTURE rule 8).

Each operation is called by each standard principal; the test asserts the exact status and
error code, and for every refusal that nothing changed (no person, mandate, token or audit
entry written, nothing revoked).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from onewindow.accounts.models import ApiToken, Mandate, Person
from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals, make_resident_id
from onewindow.core.models import AuditEntry

BASE = "/api/v1/accounts"
ALL_STAFF_OK = {"clerk_other_department", "clerk", "reviewer", "manager", "admin"}


def snapshot() -> tuple[Any, ...]:
    return (
        Person.objects.count(),
        Mandate.objects.count(),
        Mandate.objects.filter(revoked_at__isnull=False).count(),
        ApiToken.objects.count(),
        ApiToken.objects.filter(revoked_at__isnull=False).count(),
        AuditEntry.objects.count(),
    )


def call(p: Principals, who: str, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    client = p.client(who)
    if method == "GET":
        return client.get(url)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


Case = tuple[str, str, Callable[[Principals], str], Callable[[Principals], dict[str, Any] | None],
             dict[str, tuple[int, str | None]]]


def expect(default: tuple[int, str | None], **overrides: tuple[int, str | None]) -> dict[str, tuple[int, str | None]]:
    table = dict.fromkeys(PRINCIPAL_NAMES, default)
    table["anonymous"] = (401, "unauthenticated")
    table["device"] = (403, "insufficient_scope")
    table.update(overrides)
    return table


OK = (200, None)
READ_ONLY_POSTS = {"persons.lookup"}  # a POST only so that the ID number stays out of URLs
FORBIDDEN = (403, "forbidden")
PERSON_NOT_FOUND = (404, "person_not_found")
ORGANIZATION_NOT_FOUND = (404, "organization_not_found")
MANDATE_NOT_FOUND = (404, "mandate_not_found")

CASES: list[Case] = [
    ("me", "GET", lambda p: f"{BASE}/me", lambda p: None, expect(OK, device=OK)),
    ("persons.list", "GET", lambda p: f"{BASE}/persons", lambda p: None, expect(OK)),
    ("persons.lookup", "POST", lambda p: f"{BASE}/persons/lookup",
     lambda p: {"id_number": p.citizen.person.id_number}, expect(FORBIDDEN, **dict.fromkeys(ALL_STAFF_OK, OK))),
    ("persons.detail", "GET", lambda p: f"{BASE}/persons/{p.citizen.person.ref}", lambda p: None,
     expect(OK, another_citizen=PERSON_NOT_FOUND, agent=PERSON_NOT_FOUND)),
    # No case, ticket, appointment or tax record: nobody is in scope (the full matrix with scope is
    # test_persons_idor.py).
    ("persons.unmask", "GET", lambda p: f"{BASE}/persons/{p.citizen.person.ref}?unmask=true", lambda p: None,
     expect((403, "unmask_out_of_scope"), citizen=(403, "unmask_forbidden"), another_citizen=PERSON_NOT_FOUND,
            agent=PERSON_NOT_FOUND)),
    ("me.access_log", "GET", lambda p: f"{BASE}/me/access-log", lambda p: None, expect(OK)),
    ("persons.register", "POST", lambda p: f"{BASE}/persons",
     lambda p: {"name": "孙丽", "id_number": make_resident_id("310104"), "phone": "13900001111"},
     expect((201, None), citizen=(409, "already_registered"), another_citizen=(409, "already_registered"),
            agent=(409, "already_registered"), manager=(409, "already_registered"))),
    ("organizations.detail", "GET", lambda p: f"{BASE}/organizations/{p.organization.credit_code}",
     lambda p: None, expect(OK, citizen=ORGANIZATION_NOT_FOUND, another_citizen=ORGANIZATION_NOT_FOUND)),
    ("mandates.list", "GET", lambda p: f"{BASE}/mandates", lambda p: None, expect(OK)),
    ("mandates.grant", "POST", lambda p: f"{BASE}/mandates",
     lambda p: {"agent_id_number": p.citizen.person.id_number, "principal_credit_code": p.organization.credit_code},
     expect((201, None), citizen=ORGANIZATION_NOT_FOUND, another_citizen=ORGANIZATION_NOT_FOUND,
            manager=FORBIDDEN)),
    ("mandates.revoke", "POST", lambda p: f"{BASE}/mandates/{p.mandate.pk}/revoke", lambda p: {"reason": "不再代办"},
     expect(OK, citizen=MANDATE_NOT_FOUND, another_citizen=MANDATE_NOT_FOUND, manager=MANDATE_NOT_FOUND)),
    ("tokens.list", "GET", lambda p: f"{BASE}/tokens", lambda p: None, expect(FORBIDDEN, admin=OK)),
    ("tokens.issue", "POST", lambda p: f"{BASE}/tokens",
     lambda p: {"name": "叫号屏 02", "scopes": ["device"], "system_name": "kiosk-02"},
     expect(FORBIDDEN, admin=(201, None))),
    ("tokens.revoke", "POST", lambda p: f"{BASE}/tokens/{p.device_token.pk}/revoke",
     lambda p: {"reason": "设备报废"}, expect(FORBIDDEN, admin=OK)),
]


@pytest.mark.parametrize("who", PRINCIPAL_NAMES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matrix(principals: Principals, case: Case, who: str) -> None:
    _name, method, url, body, table = case
    status, code = table[who]
    target_url, payload = url(principals), body(principals)
    before = snapshot()
    response = call(principals, who, method, target_url, payload)
    assert response.status_code == status, response.content
    data = response.json()
    if status >= 400:
        assert data["code"] == code
        assert isinstance(data["message"], str) and data["message"]
        assert set(data) == {"code", "message", "fields"}
        # Nothing changed, except that a refused unmask by a logged-in user is recorded as exactly
        # one refusal entry in the audit trail (issue #9).
        recorded = 1 if _name == "persons.unmask" and code not in ("person_not_found", "insufficient_scope",
                                                                  "unauthenticated") else 0
        assert snapshot() == (*before[:-1], before[-1] + recorded)
    elif method == "POST" and _name not in READ_ONLY_POSTS:
        assert snapshot() != before


OPERATION_OF_CASE = {
    "me": ("GET", "/me"),
    "persons.list": ("GET", "/persons"),
    "persons.lookup": ("POST", "/persons/lookup"),
    "persons.detail": ("GET", "/persons/{ref}"),
    "persons.unmask": ("GET", "/persons/{ref}"),
    "me.access_log": ("GET", "/me/access-log"),
    "persons.register": ("POST", "/persons"),
    "organizations.detail": ("GET", "/organizations/{credit_code}"),
    "mandates.list": ("GET", "/mandates"),
    "mandates.grant": ("POST", "/mandates"),
    "mandates.revoke": ("POST", "/mandates/{mandate_id}/revoke"),
    "tokens.list": ("GET", "/tokens"),
    "tokens.issue": ("POST", "/tokens"),
    "tokens.revoke": ("POST", "/tokens/{token_id}/revoke"),
}


def test_matrix_covers_every_accounts_operation() -> None:
    from onewindow.config.api import api

    schema = api.get_openapi_schema()
    operations = {(m.upper(), path.removeprefix("/api/v1/accounts")) for path, ops in schema["paths"].items()
                  if path.startswith("/api/v1/accounts/") for m in ops}
    assert {c[0] for c in CASES} == set(OPERATION_OF_CASE)
    assert set(OPERATION_OF_CASE.values()) == operations
