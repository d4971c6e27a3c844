"""The access API: requests and grants, and the authorization matrix of every route (each refusal
writes nothing)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from onewindow.core.models import AuditEntry
from onewindow.sharing.models import AccessEvent, AccessRequest, Grant
from onewindow.sharing.services import access as svc
from onewindow.sharing.testing import SharingWorld

BASE = "/api/v1/sharing"
TODAY = timezone.localdate()
NOT_STAFF = {
    "anonymous": (401, "unauthenticated"),
    "citizen": (403, "sharing_staff_only"),
    "system_token": (403, "token_without_user"),
}
READ_ALL = {**NOT_STAFF, **{n: (200, "") for n in (
    "clerk", "outsider_admin", "provider_clerk", "provider_admin", "consumer_clerk", "consumer_admin", "admin",
    "token", "readonly_token", "provider_token")}}
#: Reading one request or grant: the two departments and system admins.
READ_ONE = {**NOT_STAFF, "clerk": (404, ""), "outsider_admin": (404, ""), "provider_clerk": (404, ""),
            "provider_admin": (200, ""), "provider_token": (200, ""), "consumer_clerk": (200, ""),
            "consumer_admin": (200, ""), "token": (200, ""), "readonly_token": (200, ""), "admin": (200, "")}
PROVIDER_ACTS = {**NOT_STAFF, "readonly_token": (403, "insufficient_scope"),
                 "clerk": (404, "sharing_request_not_found"), "outsider_admin": (404, "sharing_request_not_found"),
                 "provider_clerk": (404, "sharing_request_not_found"),
                 "consumer_clerk": (403, "sharing_request_action_forbidden"),
                 "consumer_admin": (403, "sharing_request_action_forbidden"),
                 "token": (403, "sharing_request_action_forbidden"),
                 "admin": (403, "sharing_request_action_forbidden"),
                 "provider_admin": (200, ""), "provider_token": (200, "")}
REQUESTER_ACTS = {**PROVIDER_ACTS, "consumer_clerk": (200, ""), "consumer_admin": (200, ""), "token": (200, ""),
                  "provider_admin": (403, "sharing_request_action_forbidden"),
                  "provider_token": (403, "sharing_request_action_forbidden")}


def _state() -> tuple[Any, ...]:
    return (AccessRequest.objects.count(), Grant.objects.count(), AccessEvent.objects.count(),
            AuditEntry.objects.count(), sorted(AccessRequest.objects.values_list("number", "status")),
            sorted(Grant.objects.values_list("pk", "status", "token_hash")))


def _check(w: SharingWorld, expected: dict[str, tuple[int, str]], call: Any, fresh: Any = None) -> dict[str, Any]:
    """Call as every principal (with a fresh target from ``fresh()`` when given); the 200 bodies."""
    bodies = {}
    for name, (status, code) in expected.items():
        target = fresh() if fresh else None
        before = _state()
        response = call(w.client(name), target) if fresh else call(w.client(name))
        assert response.status_code == status, (name, response.content)
        if status == 200:
            bodies[name] = response.json()
        else:
            if code:
                assert response.json()["code"] == code, (name, response.json())
            else:
                assert response.json()["code"].endswith("_not_found"), name
            assert _state() == before, name
    return bodies


def _submit(w: SharingWorld, resource: Any = None, purpose: str = "case_handling") -> AccessRequest:
    request, _t = svc.request_submit(
        by=w.consumer_clerk, resource=resource or w.resource(), consumer_department=w.consumer, purpose=purpose,
        purpose_text="办件核验", legal_basis="《优化营商环境条例》", fields=["credit_code", "name"],
        valid_from=TODAY, valid_to=TODAY + datetime.timedelta(days=90), rate_per_minute=20)
    return request


def _payload(w: SharingWorld, code: str, purpose: str = "case_handling") -> dict[str, Any]:
    return {"resource_code": code, "consumer_department_id": w.consumer.pk, "purpose": purpose,
            "purpose_text": "办件核验", "legal_basis": "《优化营商环境条例》", "fields": ["credit_code"],
            "valid_from": TODAY.isoformat(), "valid_to": (TODAY + datetime.timedelta(days=30)).isoformat(),
            "rate_per_minute": 10}


def test_list_and_detail_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    request = _submit(w)
    grant, _token = w.grant(w.resource(), purpose="statistics")
    bodies = _check(w, READ_ALL, lambda c: c.get(f"{BASE}/requests"))
    assert [i["number"] for i in bodies["consumer_clerk"]["items"]] == [grant.request.number, request.number]
    assert bodies["outsider_admin"]["items"] == []
    assert bodies["admin"]["total"] == 2
    _check(w, READ_ONE, lambda c: c.get(f"{BASE}/requests/{request.number}"))
    bodies = _check(w, READ_ALL, lambda c: c.get(f"{BASE}/grants"))
    assert [i["id"] for i in bodies["token"]["items"]] == [grant.pk]
    assert bodies["clerk"]["items"] == []
    assert set(bodies["token"]["items"][0]) >= {"token_prefix", "state", "fields"}
    assert "token_hash" not in bodies["token"]["items"][0]
    bad = w.client("token").get(f"{BASE}/requests", {"side": "theirs"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_filter")


def test_detail_shape(sharing_world: SharingWorld) -> None:
    w = sharing_world
    request = _submit(w)
    body = w.client("provider_admin").get(f"{BASE}/requests/{request.number}").json()
    assert body["actions"] == ["approve", "refuse"]
    assert [e["action"] for e in body["events"]] == ["submitted"]
    assert body["fields"] == ["credit_code", "name"]
    assert body["grant"] is None and body["token"] is None
    assert w.client("consumer_clerk").get(f"{BASE}/requests/{request.number}").json()["actions"] == ["withdraw"]


def test_submit_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    code = w.resource().code
    purposes = itertools.cycle(["case_handling", "prefill", "supervision", "statistics", "verification"])
    expected = {**NOT_STAFF, "readonly_token": (403, "insufficient_scope"),
                "clerk": (403, "sharing_request_forbidden"), "outsider_admin": (403, "sharing_request_forbidden"),
                "provider_clerk": (403, "sharing_request_forbidden"),
                "provider_admin": (403, "sharing_request_forbidden"),
                "provider_token": (403, "sharing_request_forbidden"), "admin": (403, "sharing_request_forbidden"),
                "consumer_clerk": (200, ""), "consumer_admin": (200, ""), "token": (200, "")}
    bodies = _check(w, expected, lambda c: c.post(f"{BASE}/requests", _payload(w, code, next(purposes)),
                                                   content_type="application/json"))
    assert {b["status"] for b in bodies.values()} == {"submitted"}
    assert {b["token"] for b in bodies.values()} == {None}


def test_unconditional_submit_shows_the_token_once(sharing_world: SharingWorld) -> None:
    w = sharing_world
    code = w.resource(sharing_class="unconditional").code
    response = w.client("token").post(f"{BASE}/requests", _payload(w, code), content_type="application/json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "approved"
    grant = Grant.objects.get()
    assert svc.grant_authenticate(body["token"]) == grant
    assert body["grant"]["token_prefix"] == grant.token_prefix
    again = w.client("token").get(f"{BASE}/requests/{body['number']}").json()
    assert again["token"] is None


def test_submit_refusals(sharing_world: SharingWorld) -> None:
    w = sharing_world
    closed = w.resource(sharing_class="not_shared").code
    open_ = w.resource().code
    cases = [
        (_payload(w, closed), 409, "sharing_resource_not_shared"),
        ({**_payload(w, open_), "fields": ["credit_code", "capital"]}, 422, "sharing_fields_unknown"),
        ({**_payload(w, open_), "resource_code": "NO-SUCH-0001"}, 404, "sharing_resource_not_found"),
        ({**_payload(w, open_), "consumer_department_id": 999999}, 404, "department_not_found"),
        ({**_payload(w, open_), "valid_to": "2020-01-01"}, 422, "sharing_request_invalid"),
        ({**_payload(w, open_), "rate_per_minute": 0}, 422, "invalid"),
    ]
    for payload, status, code in cases:
        before = _state()
        response = w.client("consumer_clerk").post(f"{BASE}/requests", payload, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (status, code), payload
        assert _state() == before


def test_approve_matrix_and_the_token_is_not_shown_to_the_provider(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    purposes = iter(["case_handling", "prefill", "supervision", "statistics", "verification"] * 4)
    bodies = _check(
        w, PROVIDER_ACTS,
        lambda c, r: c.post(f"{BASE}/requests/{r.number}/approve", {"fields": ["name"], "rate_per_minute": 5},
                            content_type="application/json"),
        fresh=lambda: _submit(w, resource, next(purposes)) if not AccessRequest.objects.filter(
            status="submitted").exists() else AccessRequest.objects.get(status="submitted"))
    for body in bodies.values():
        assert body["status"] == "approved"
        assert body["token"] is None
        assert (body["grant"]["fields"], body["grant"]["rate_per_minute"]) == (["name"], 5)
    wider = w.client("provider_admin").post(
        f"{BASE}/requests/{_submit(w, resource, 'prefill').number}/approve", {"fields": ["legal_representative"]},
        content_type="application/json")
    assert (wider.status_code, wider.json()["code"]) == (422, "sharing_scope_wider")


def test_refuse_and_withdraw_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()

    def pending() -> AccessRequest:
        found = AccessRequest.objects.filter(status="submitted").first()
        if found is not None:
            return found
        purpose = ["case_handling", "prefill", "supervision", "statistics", "verification"][
            AccessRequest.objects.count() % 5]
        return _submit(w, resource if AccessRequest.objects.count() < 5 else w.resource(), purpose)

    bodies = _check(w, PROVIDER_ACTS, lambda c, r: c.post(f"{BASE}/requests/{r.number}/refuse",
                                                          {"reason": "用途不符"}, content_type="application/json"),
                    fresh=pending)
    assert {(b["status"], b["reason"]) for b in bodies.values()} == {("refused", "用途不符")}
    bodies = _check(w, REQUESTER_ACTS, lambda c, r: c.post(f"{BASE}/requests/{r.number}/withdraw",
                                                           content_type="application/json"), fresh=pending)
    assert {b["status"] for b in bodies.values()} == {"withdrawn"}
    done = AccessRequest.objects.filter(status="withdrawn").first()
    assert done is not None
    again = w.client("token").post(f"{BASE}/requests/{done.number}/withdraw", content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "sharing_request_illegal_transition")


def test_revoke_and_token_matrix(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    grant_acts = {key: (status, code.replace("sharing_request_not_found", "sharing_grant_not_found")
                        .replace("sharing_request_action_forbidden", "sharing_grant_forbidden"))
                  for key, (status, code) in PROVIDER_ACTS.items()}
    bodies = _check(w, grant_acts, lambda c, g: c.post(f"{BASE}/grants/{g.pk}/revoke", {"reason": "超范围使用"},
                                                       content_type="application/json"),
                    fresh=lambda: w.grant(resource)[0])
    assert {(b["state"], b["revoke_reason"]) for b in bodies.values()} == {("revoked", "超范围使用")}
    token_acts = {key: (status, code.replace("sharing_request_not_found", "sharing_grant_not_found")
                        .replace("sharing_request_action_forbidden", "sharing_grant_forbidden"))
                  for key, (status, code) in REQUESTER_ACTS.items()}
    grant, old = w.grant(resource)
    bodies = _check(w, token_acts, lambda c: c.post(f"{BASE}/grants/{grant.pk}/token",
                                                    content_type="application/json"))
    assert svc.grant_authenticate(old) is None
    grant.refresh_from_db()
    latest = [b for b in bodies.values() if b["grant"]["token_prefix"] == grant.token_prefix]
    assert len(latest) == 1
    assert svc.grant_authenticate(latest[0]["token"]) == grant
    revoked = Grant.objects.filter(status="revoked").first()
    assert revoked is not None
    again = w.client("token").post(f"{BASE}/grants/{revoked.pk}/token", content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "sharing_grant_already_revoked")
