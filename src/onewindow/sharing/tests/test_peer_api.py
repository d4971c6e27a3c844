"""The peer endpoint, ``POST /api/v1/sharing/peer/exchange`` (the provider side of an exchange with
another installation): a grant token and a signed request statement, the answer with this side's
signed statement; the authorization matrix and every refusal, with what was (not) logged."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from onewindow.core.masking import mask_name
from onewindow.sharing import canonical, signing
from onewindow.sharing.choices import ExchangeOutcome, ExchangeRole, Purpose
from onewindow.sharing.models import ExchangeLogEntry, Grant, PeerInstallation, SigningKey
from onewindow.sharing.services.keys import signing_key_for
from onewindow.sharing.services.peer_client import request_content
from onewindow.sharing.testing import FAKE_ROWS, SharingWorld

URL = "/api/v1/sharing/peer/exchange"
PEER = "OW-CONS"
ROW = FAKE_ROWS[0]


class Consumer:
    """The calling installation: its key (imported here as a peer key) and the grant it holds."""

    def __init__(self, world: SharingWorld, *, fields: list[str] | None = None) -> None:
        self.world = world
        self.resource = world.resource()
        self.grant, self.token = world.grant(self.resource, fields=fields or ["credit_code", "name"])
        self.peer = PeerInstallation.objects.create(code=PEER, name="静安区共享平台", base_url="http://consumer.example")
        self.private, public = signing.new_key_pair()
        self.kid = f"{PEER}-{world.consumer.code}-1"
        SigningKey.objects.create(kid=self.kid, peer=self.peer, public_key=public)
        self.consumer_code = f"{PEER}:{world.consumer.code}"

    def body(self, *, private: str | None = None, kid: str | None = None, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "exchange_id": str(uuid.uuid4()), "resource_code": self.resource.code,
            "purpose": Purpose.CASE_HANDLING.value,
            "params": {"key": ROW["credit_code"]}, "fields": ["credit_code", "name"], "case_number": "JA2026000001",
            "consumer_code": self.consumer_code,
        }
        values.update(overrides)
        content_hash = canonical.digest(request_content(**values))
        values["statement"] = {"kid": kid or self.kid, "content_hash": content_hash,
                               "signature": signing.sign(private or self.private, content_hash.encode())}
        return values

    def post(self, body: dict[str, Any], *, token: str | None = None, client: Client | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token}"} if client is None else {}
        return (client or Client()).post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def consumer(sharing_world: SharingWorld) -> Consumer:
    return Consumer(sharing_world)


def test_a_signed_request_is_answered_with_the_providers_signed_statement(consumer: Consumer) -> None:
    body = consumer.body()
    response = consumer.post(body)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["exchange_id"] == body["exchange_id"]
    assert data["rows"] == [{"credit_code": ROW["credit_code"], "name": ROW["name"]}]
    assert data["fields"] == ["credit_code", "name"]
    statement = data["statement"]
    own = signing_key_for(consumer.world.provider)
    assert statement["kid"] == own.kid
    assert canonical.digest(statement["content"]) == statement["content_hash"]
    assert signing.verify(own.public_key, statement["content_hash"].encode(), statement["signature"])
    content = statement["content"]
    assert (content["role"], content["exchange_id"], content["consumer_code"], content["case_number"],
            content["response_digest"]) == (
        "provider", body["exchange_id"], consumer.consumer_code, "JA2026000001", canonical.digest(data["rows"]))
    entry = ExchangeLogEntry.objects.get()
    assert (entry.role, entry.outcome, entry.content_hash, entry.grant_id) == (
        ExchangeRole.PROVIDER, ExchangeOutcome.OK, statement["content_hash"], consumer.grant.pk)
    # The consumer's request statement is kept beside the entry.
    assert (entry.peer_kid, entry.peer_content_hash, entry.peer_signature) == (
        consumer.kid, body["statement"]["content_hash"], body["statement"]["signature"])


def test_a_personal_field_not_granted_is_answered_masked(consumer: Consumer) -> None:
    response = consumer.post(consumer.body(fields=["credit_code", "legal_representative"]))
    assert response.status_code == 200, response.content
    assert response.json()["rows"] == [{"credit_code": ROW["credit_code"],
                                        "legal_representative": mask_name(ROW["legal_representative"])}]


@pytest.mark.parametrize(("principal", "code"), [
    ("anonymous", "unauthenticated"),
    ("citizen", "unauthenticated"),
    ("outsider_admin", "unauthenticated"),
    ("provider_admin", "unauthenticated"),
    ("consumer_admin", "unauthenticated"),
    ("admin", "unauthenticated"),
    ("token", "sharing_grant_token_invalid"),
])
def test_only_a_grant_token_may_call(consumer: Consumer, principal: str, code: str) -> None:
    client = consumer.world.client(principal)
    response = consumer.post(consumer.body(), client=client)
    assert (response.status_code, response.json()["code"]) == (401, code)
    assert ExchangeLogEntry.objects.count() == 0


def test_an_unknown_or_malformed_grant_token_is_refused(consumer: Consumer) -> None:
    for token in ("ow_000000000000_unknown-secret", "not-a-token", consumer.token + "x"):
        response = consumer.post(consumer.body(), token=token)
        assert (response.status_code, response.json()["code"]) == (401, "sharing_grant_token_invalid")
    assert ExchangeLogEntry.objects.count() == 0


def test_a_revoked_grant_is_refused_and_the_refusal_logged(consumer: Consumer) -> None:
    Grant.objects.filter(pk=consumer.grant.pk).update(status="revoked", revoke_reason="测试撤销",
                                                      revoked_at=consumer.grant.created_at)
    body = consumer.body()
    response = consumer.post(body)
    assert (response.status_code, response.json()["code"]) == (403, "sharing_grant_revoked")
    entry = ExchangeLogEntry.objects.get()
    assert (entry.outcome, entry.error_code, entry.peer_kid) == (ExchangeOutcome.REFUSED, "sharing_grant_revoked",
                                                                 consumer.kid)


def test_an_unknown_kid_is_refused(consumer: Consumer) -> None:
    other_private, _public = signing.new_key_pair()
    own = signing_key_for(consumer.world.consumer)  # this installation's own key is not a peer's
    other_peer = PeerInstallation.objects.create(code="OW-OTHER", name="其他平台", base_url="http://other.example")
    other_private2, other_public2 = signing.new_key_pair()
    SigningKey.objects.create(kid="OW-OTHER-X-1", peer=other_peer, public_key=other_public2)
    for kid, private in (("OW-CONS-UNKNOWN-1", other_private), (own.kid, own.private_key),
                         ("OW-OTHER-X-1", other_private2)):  # a key of another installation than the caller's
        response = consumer.post(consumer.body(kid=kid, private=private))
        assert (response.status_code, response.json()["code"]) == (401, "sharing_peer_unknown"), kid
    assert ExchangeLogEntry.objects.count() == 0


def test_a_tampered_request_statement_is_refused(consumer: Consumer) -> None:
    changed = consumer.body()
    changed["params"] = {"key": "91310000000000000X"}  # changed after signing
    signed_by_other = consumer.body(private=signing.new_key_pair()[0])
    bad_signature = consumer.body()
    bad_signature["statement"]["signature"] = "A" * 88
    for body in (changed, signed_by_other, bad_signature):
        response = consumer.post(body)
        assert (response.status_code, response.json()["code"]) == (401, "sharing_peer_signature_invalid")
    assert ExchangeLogEntry.objects.count() == 0


def test_a_consumer_code_of_another_department_or_another_resource_is_refused(consumer: Consumer) -> None:
    response = consumer.post(consumer.body(consumer_code=f"{PEER}:{consumer.world.outsider.code}"))
    assert (response.status_code, response.json()["code"]) == (403, "sharing_peer_consumer_mismatch")
    assert "statement" not in response.json()  # refused before the exchange: nothing logged, nothing signed
    other = consumer.world.resource()
    response = consumer.post(consumer.body(resource_code=other.code))
    assert (response.status_code, response.json()["code"]) == (403, "sharing_resource_not_granted")
    assert ExchangeLogEntry.objects.count() == 0


def test_a_replayed_exchange_is_refused(consumer: Consumer) -> None:
    body = consumer.body()
    assert consumer.post(body).status_code == 200
    response = consumer.post(body)
    assert (response.status_code, response.json()["code"]) == (409, "sharing_exchange_replayed")
    assert ExchangeLogEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_replay_racing_past_the_check_is_refused_409_not_500(consumer: Consumer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Two deliveries of one exchange id both pass the "already served?" check; the second one's
    provider entry meets the unique constraint: a clean 409, one provider entry, no 500."""
    from onewindow.sharing.services import peer_exchange

    real_serve = peer_exchange.exchange_serve

    def serve_after_the_other_request(**kwargs: Any) -> Any:
        real_serve(**kwargs)  # the racing request, served first
        return real_serve(**kwargs)

    monkeypatch.setattr(peer_exchange, "exchange_serve", serve_after_the_other_request)
    response = consumer.post(consumer.body())
    assert (response.status_code, response.json()["code"]) == (409, "sharing_exchange_replayed")
    assert list(ExchangeLogEntry.objects.values_list("role", "outcome")) == [
        (ExchangeRole.PROVIDER.value, ExchangeOutcome.OK.value)]


def test_the_exchanges_refusals_are_answered_and_logged_with_the_statement(sharing_world: SharingWorld) -> None:
    consumer = Consumer(sharing_world, fields=["credit_code"])
    outside = consumer.body(fields=["credit_code", "name"])
    response = consumer.post(outside)
    assert (response.status_code, response.json()["code"]) == (403, "sharing_fields_not_granted")
    assert response.json()["fields"] == {"fields": ["name"]}
    # The refusal carries this side's signed statement of the refusal's log entry.
    statement = response.json()["statement"]
    refused_entry = ExchangeLogEntry.objects.get(exchange_id=outside["exchange_id"])
    own = signing_key_for(sharing_world.provider)
    assert (statement["kid"], statement["content_hash"], statement["signature"]) == (
        own.kid, refused_entry.content_hash, refused_entry.signature)
    assert canonical.digest(statement["content"]) == statement["content_hash"]
    assert (statement["content"]["error_code"], statement["content"]["response_digest"]) == (
        "sharing_fields_not_granted", "")
    assert signing.verify(own.public_key, statement["content_hash"].encode(), statement["signature"])
    wrong_purpose = consumer.body(purpose=Purpose.STATISTICS.value, fields=["credit_code"])
    response = consumer.post(wrong_purpose)
    assert (response.status_code, response.json()["code"]) == (403, "sharing_purpose_mismatch")
    assert response.json()["statement"]["content"]["exchange_id"] == wrong_purpose["exchange_id"]
    logged = list(ExchangeLogEntry.objects.order_by("id").values_list("exchange_id", "outcome", "error_code",
                                                                      "peer_content_hash"))
    assert logged == [
        (uuid.UUID(outside["exchange_id"]), ExchangeOutcome.REFUSED, "sharing_fields_not_granted",
         outside["statement"]["content_hash"]),
        (uuid.UUID(wrong_purpose["exchange_id"]), ExchangeOutcome.REFUSED, "sharing_purpose_mismatch",
         wrong_purpose["statement"]["content_hash"]),
    ]


def test_a_malformed_body_is_refused_with_the_fields(consumer: Consumer) -> None:
    body = consumer.body()
    del body["statement"]
    body["exchange_id"] = "not-a-uuid"
    response = consumer.post(body)
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"statement", "exchange_id"}
    assert ExchangeLogEntry.objects.count() == 0


def test_a_rate_limited_peer_gets_retry_after_and_the_signed_refusal(sharing_world: SharingWorld) -> None:
    consumer = Consumer(sharing_world)
    Grant.objects.filter(pk=consumer.grant.pk).update(rate_per_minute=1)
    assert consumer.post(consumer.body()).status_code == 200
    response = consumer.post(consumer.body())
    assert (response.status_code, response.json()["code"]) == (429, "sharing_rate_limited")
    assert int(response["Retry-After"]) >= 1
    entry = ExchangeLogEntry.objects.order_by("id").last()
    assert entry is not None and (entry.outcome, entry.error_code) == (ExchangeOutcome.REFUSED, "sharing_rate_limited")
    assert response.json()["statement"]["content_hash"] == entry.content_hash
