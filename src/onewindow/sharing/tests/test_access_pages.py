"""The request and grant pages: submit, decide, withdraw, revoke, and the token shown once to the consumer."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.core.models import AuditEntry
from onewindow.sharing.models import AccessEvent, AccessRequest, Grant
from onewindow.sharing.services import access as svc
from onewindow.sharing.testing import SharingWorld

TODAY = timezone.localdate()


def _form(w: SharingWorld, **change: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "consumer_department": w.consumer.pk, "purpose": "case_handling", "purpose_text": "办件核验",
        "legal_basis": "《优化营商环境条例》", "fields": ["credit_code", "name"], "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + datetime.timedelta(days=60)).isoformat(), "rate_per_minute": "30",
    }
    data.update(change)
    return data


def _state() -> tuple[Any, ...]:
    return (AccessRequest.objects.count(), Grant.objects.count(), AccessEvent.objects.count(),
            AuditEntry.objects.count(), sorted(AccessRequest.objects.values_list("number", "status")),
            sorted(Grant.objects.values_list("pk", "status", "token_hash")))


def test_conditional_flow_through_the_pages(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    consumer = w.client("consumer_clerk")
    response = consumer.post(f"/sharing/catalogue/{resource.code}/request/", _form(w))
    number = f"GX{TODAY.year}000001"
    assert (response.status_code, response["Location"]) == (302, f"/sharing/requests/{number}/")
    page = consumer.get(f"/sharing/requests/{number}/").content.decode()
    assert 'id="withdraw-form"' in page and 'id="approve-form"' not in page
    assert f'data-request="{number}"' in consumer.get("/sharing/requests/", {"side": "mine"}).content.decode()
    provider = w.client("provider_admin")
    listing = provider.get("/sharing/requests/", {"side": "to_decide", "status": "submitted"}).content.decode()
    assert f'data-request="{number}"' in listing
    page = provider.get(f"/sharing/requests/{number}/").content.decode()
    assert 'id="approve-form"' in page and 'id="refuse-form"' in page and 'id="withdraw-form"' not in page
    before = _state()
    wider = provider.post(f"/sharing/requests/{number}/approve/", {"fields": ["legal_representative"]})
    assert wider.status_code == 422
    assert b'data-code="sharing_scope_wider"' in wider.content
    assert _state() == before
    approved = provider.post(f"/sharing/requests/{number}/approve/", {"fields": ["name"], "rate_per_minute": "10"})
    assert approved.status_code == 302
    followed = provider.get(f"/sharing/requests/{number}/").content.decode()
    assert 'id="grant-token"' not in followed  # the provider never sees the token
    assert 'id="revoke-form"' in followed and 'id="token-form"' not in followed
    grant = Grant.objects.get()
    assert (grant.fields, grant.rate_per_minute) == (["name"], 10)
    page = consumer.get(f"/sharing/requests/{number}/").content.decode()
    assert 'id="token-form"' in page and 'id="grant-token"' not in page
    issued = consumer.post(f"/sharing/grants/{grant.pk}/token/")
    assert issued.status_code == 200
    assert issued["Cache-Control"] == "private, no-store"
    token = issued.content.decode().split('id="grant-token">')[1].split("<")[0]
    assert svc.grant_authenticate(token) == grant
    assert 'id="grant-token"' not in consumer.get(f"/sharing/requests/{number}/").content.decode()
    grants = provider.get("/sharing/grants/", {"side": "to_decide"}).content.decode()
    assert f'data-grant="{grant.pk}"' in grants
    assert provider.post(f"/sharing/grants/{grant.pk}/revoke/", {"reason": "超范围"}).status_code == 302
    grant.refresh_from_db()
    assert (grant.status, grant.revoke_reason) == ("revoked", "超范围")
    assert svc.grant_authenticate(token) == grant  # the token still names it; the exchange refuses a revoked grant


def test_unconditional_submit_shows_the_token_once(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource(sharing_class="unconditional")
    response = w.client("consumer_admin").post(f"/sharing/catalogue/{resource.code}/request/", _form(w))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    page = response.content.decode()
    token = page.split('id="grant-token">')[1].split("<")[0]
    grant = Grant.objects.get()
    assert svc.grant_authenticate(token) == grant
    number = grant.request.number
    assert token not in w.client("consumer_admin").get(f"/sharing/requests/{number}/").content.decode()


def test_submit_refusals_keep_the_form(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    consumer = w.client("consumer_clerk")
    for change, code in (({"fields": []}, "sharing_request_invalid"),
                         ({"valid_to": "2020-01-01"}, "sharing_request_invalid"),
                         ({"consumer_department": "x"}, "sharing_request_invalid"),
                         ({"consumer_department": w.outsider.pk}, "sharing_request_forbidden")):
        before = _state()
        response = consumer.post(f"/sharing/catalogue/{resource.code}/request/", _form(w, **change))
        assert response.status_code in (403, 422)
        assert f'data-code="{code}"'.encode() in response.content, change
        assert _state() == before
    closed = w.resource(sharing_class="not_shared")
    response = consumer.post(f"/sharing/catalogue/{closed.code}/request/", _form(w))
    assert response.status_code == 409
    assert b'data-code="sharing_resource_not_shared"' in response.content


def test_refuse_and_withdraw_pages(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    consumer = w.client("consumer_clerk")
    consumer.post(f"/sharing/catalogue/{resource.code}/request/", _form(w))
    consumer.post(f"/sharing/catalogue/{resource.code}/request/", _form(w, purpose="statistics"))
    first, second = AccessRequest.objects.order_by("id")
    provider = w.client("provider_admin")
    before = _state()
    empty = provider.post(f"/sharing/requests/{first.number}/refuse/", {"reason": " "})
    assert empty.status_code == 422
    assert _state() == before
    assert provider.post(f"/sharing/requests/{first.number}/refuse/", {"reason": "依据不足"}).status_code == 302
    page = consumer.get(f"/sharing/requests/{first.number}/").content.decode()
    assert 'id="reason"' in page and "依据不足" in page
    wrong = provider.post(f"/sharing/requests/{second.number}/withdraw/")
    assert wrong.status_code == 403
    assert consumer.post(f"/sharing/requests/{second.number}/withdraw/").status_code == 302
    assert AccessRequest.objects.get(pk=second.pk).status == "withdrawn"
    again = consumer.post(f"/sharing/requests/{second.number}/withdraw/")
    assert again.status_code == 409
    assert b'data-code="sharing_request_illegal_transition"' in again.content


@pytest.mark.parametrize("who", ["outsider_admin", "clerk", "provider_clerk"])
def test_other_departments_see_nothing(sharing_world: SharingWorld, who: str) -> None:
    w = sharing_world
    grant, _t = w.grant(w.resource())
    number = grant.request.number
    client = w.client(who)
    before = _state()
    assert f'data-request="{number}"' not in client.get("/sharing/requests/").content.decode()
    assert f'data-grant="{grant.pk}"' not in client.get("/sharing/grants/").content.decode()
    for response in (client.get(f"/sharing/requests/{number}/"),
                     client.post(f"/sharing/requests/{number}/withdraw/"),
                     client.post(f"/sharing/grants/{grant.pk}/token/"),
                     client.post(f"/sharing/grants/{grant.pk}/revoke/", {"reason": "x"}),
                     client.post(f"/sharing/grants/{2**64}/revoke/", {"reason": "x"})):
        assert response.status_code == 404
    assert _state() == before


def test_citizen_and_anonymous(sharing_world: SharingWorld) -> None:
    w = sharing_world
    grant, _t = w.grant(w.resource())
    for url in ("/sharing/requests/", "/sharing/grants/", f"/sharing/requests/{grant.request.number}/"):
        assert w.client("citizen").get(url).status_code == 403
        assert w.client("anonymous").get(url).status_code == 302
    assert w.client("citizen").post(f"/sharing/grants/{grant.pk}/token/").status_code == 403
