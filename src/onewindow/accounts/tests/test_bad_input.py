"""Bad input is a 4xx with a code, never a 500, and writes nothing (also on PostgreSQL, which
refuses NUL characters in text)."""

from __future__ import annotations

import json

import pytest

from onewindow.accounts.models import ApiToken, Mandate, Person
from onewindow.accounts.testing import Principals, make_resident_id
from onewindow.core.models import AuditEntry

BASE = "/api/v1/accounts"


def state() -> tuple[int, ...]:
    return (Person.objects.count(), Mandate.objects.count(), Mandate.objects.filter(revoked_at__isnull=False).count(),
            ApiToken.objects.count(), AuditEntry.objects.count())


@pytest.mark.parametrize(("who", "method", "url", "body", "status", "code"), [
    ("clerk", "POST", "/persons", {"name": "张\x00三", "id_number": "VALID", "phone": "13900001111"}, 400,
     "text_invalid"),
    ("clerk", "POST", "/persons", {"name": "张三", "id_number": "VALID", "phone": "1390000111\x00"}, 400,
     "mobile_format"),
    ("clerk", "POST", "/persons", {"name": "张三", "id_type": "passport", "id_number": "E1\x002345", "phone":
     "13900001111"}, 400, "id_number_format"),
    ("clerk", "POST", "/persons", {"name": "张三", "id_type": "driver_licence", "id_number": "E12345",
                                   "phone": "13900001111"}, 422, "invalid"),
    ("clerk", "POST", "/persons/lookup", {"id_type": "passport", "id_number": "\x00abc"}, 400, "id_number_format"),
    ("clerk", "GET", "/organizations/%00", None, 404, "organization_not_found"),
    ("clerk", "GET", "/persons/0", None, 404, "person_not_found"),  # references are random, never ids
    ("clerk", "GET", "/persons/99999999999999999999?unmask=true", None, 404, "person_not_found"),
    ("clerk", "GET", "/persons/%00abc", None, 404, "person_not_found"),
    ("agent", "POST", "/mandates/MANDATE/revoke", {"reason": "a\x00b"}, 400, "text_invalid"),
    ("agent", "POST", "/mandates", {"agent_id_number": "CITIZEN", "principal_credit_code": "\x00"}, 404,
     "organization_not_found"),
    ("agent", "POST", "/mandates", {"agent_id_number": "CITIZEN", "principal_credit_code": "ORG",
                                    "valid_from": "2020-01-01"}, 400, "valid_from_past"),
    ("agent", "POST", "/mandates", {"agent_id_number": "CITIZEN", "principal_credit_code": "ORG",
                                    "scope": "items", "item_codes": ["bad code!"]}, 400, "item_code_format"),
    ("admin", "POST", "/tokens", {"name": "x", "scopes": ["device"], "owner_username": "a\x00"}, 400, "text_invalid"),
    ("admin", "POST", "/tokens", {"name": "x", "scopes": ["device"], "owner_username": "nobody"}, 400,
     "owner_not_found"),
    ("admin", "POST", "/tokens", {"name": "x\x00", "scopes": ["device"], "system_name": "s"}, 400, "text_invalid"),
    ("admin", "POST", "/tokens", {"name": "x", "scopes": "device", "system_name": "s"}, 422, "invalid"),
])
def test_bad_input_is_refused_cleanly(principals: Principals, who: str, method: str, url: str,
                                      body: dict[str, object] | None, status: int, code: str) -> None:
    payload = json.dumps(body or {}).replace('"VALID"', json.dumps(make_resident_id()))
    payload = payload.replace('"CITIZEN"', json.dumps(principals.citizen.person.id_number))
    payload = payload.replace('"ORG"', json.dumps(principals.organization.credit_code))
    url = BASE + url.replace("MANDATE", str(principals.mandate.pk))
    client = principals.client(who)
    before = state()
    response = client.get(url) if method == "GET" else client.post(url, data=payload, content_type="application/json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert state() == before
