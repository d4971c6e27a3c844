"""The consumer side of an HTTP exchange (services.peer_client.call_peer) against stand-ins of the
other installation: a signed request, a verified answer, tampered answers, refusals passed
through, a provider that is down or hangs (timeouts and the circuit breaker, without a stopwatch).
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from onewindow.core.errors import DomainError
from onewindow.sharing import breaker, canonical, signing
from onewindow.sharing.choices import ExchangeOutcome, ExchangeRole, Purpose
from onewindow.sharing.models import ExchangeLogEntry, SigningKey
from onewindow.sharing.services import peer_client
from onewindow.sharing.services.exchange import exchange_query
from onewindow.sharing.services.keys import signing_key_for
from onewindow.sharing.testing import SharingWorld

from .peer_servers import BlockingPeer, FakePeer, provider_answer
from .peer_world import GRANTED, HOUSE_ROW, REMOTE_CODE, REMOTE_TOKEN, RemoteSetup, remote_setup

PARAMS = {"key": HOUSE_ROW["cert_no"]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_breakers(settings: Any) -> Iterator[FakeClock]:
    settings.SHARING_PEER_CONNECT_TIMEOUT = 2
    settings.SHARING_PEER_READ_TIMEOUT = 0.3
    settings.SHARING_PEER_RETRIES = 0
    settings.SHARING_PEER_RETRY_BACKOFF = 0
    settings.SHARING_BREAKER_THRESHOLD = 2
    settings.SHARING_BREAKER_COOL_DOWN = 60
    clock = FakeClock()
    previous = breaker.set_clock(clock)
    breaker.breakers_reset()
    yield clock
    breaker.set_clock(previous)
    breaker.breakers_reset()


def honest(setup: RemoteSetup, rows: list[dict[str, Any]] | None = None) -> Any:
    """A respond function of an honest peer: the granted fields of HOUSE_ROW, signed."""
    answer_rows = rows if rows is not None else [{name: HOUSE_ROW[name] for name in GRANTED}]

    def respond(request: dict[str, Any]) -> tuple[int, bytes]:
        body = provider_answer(private_key=setup.private_key, kid=setup.kid, exchange_id=request["body"]["exchange_id"],
                               rows=answer_rows, fields=list(GRANTED))
        return 200, json.dumps(body).encode()

    return respond


def call(setup: RemoteSetup, exchange_id: uuid.UUID | None = None, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "resource": setup.resource, "grant": setup.grant, "purpose": Purpose.CASE_HANDLING, "params": PARAMS,
        "fields": list(GRANTED), "case_number": "JA2026000123", "exchange_id": exchange_id or uuid.uuid4(),
        "consumer_code": setup.consumer_code,
    }
    values.update(overrides)
    return peer_client.call_peer(**values)


@pytest.fixture
def fake_peer() -> Iterator[FakePeer]:
    with FakePeer() as peer:
        yield peer


@pytest.fixture
def setup(sharing_world: SharingWorld, fake_peer: FakePeer) -> RemoteSetup:
    result = remote_setup(sharing_world, base_url=fake_peer.base_url, endpoint=fake_peer.endpoint)
    fake_peer.respond = honest(result)
    return result


def test_a_signed_request_gets_a_verified_answer(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    exchange_id = uuid.uuid4()
    rows, as_of, statement = call(setup, exchange_id)

    assert rows == [{"cert_no": HOUSE_ROW["cert_no"], "district": "黄浦区", "registered": True}]
    assert as_of is not None and as_of.isoformat() == "2026-12-01T08:00:00+00:00"
    sent = fake_peer.requests[0]
    assert sent["path"] == "/api/v1/sharing/peer/exchange"
    assert sent["headers"]["Authorization"] == f"Bearer {REMOTE_TOKEN}"
    body = sent["body"]
    assert {k: v for k, v in body.items() if k != "statement"} == {
        "exchange_id": str(exchange_id), "resource_code": REMOTE_CODE, "purpose": "case_handling",
        "params": PARAMS, "fields": GRANTED, "case_number": "JA2026000123", "consumer_code": setup.consumer_code,
    }
    # The provider can prove the request: the statement is the consumer department's signature
    # over the digest of the request content it recomputes from the body.
    content = peer_client.request_content(
        exchange_id=exchange_id, resource_code=REMOTE_CODE, purpose="case_handling", params=PARAMS,
        fields=GRANTED, case_number="JA2026000123", consumer_code=setup.consumer_code)
    assert content["params_digest"] == canonical.digest(PARAMS)
    own = signing_key_for(setup.world.consumer)
    assert body["statement"]["kid"] == own.kid
    assert body["statement"]["content_hash"] == canonical.digest(content)
    assert signing.verify(own.public_key, canonical.digest(content).encode(), body["statement"]["signature"])
    # The answer's statement verified against the peer's key.
    answer = provider_answer(private_key=setup.private_key, kid=setup.kid, exchange_id=str(exchange_id),
                             rows=rows, fields=GRANTED)
    assert statement == {k: answer["statement"][k] for k in ("kid", "signature", "content_hash")}
    assert breaker.breaker_for(peer_client.breaker_key(setup.resource)).state == breaker.CLOSED


def test_the_exchange_logs_the_answer_with_the_peers_statement(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    result = exchange_query(grant=setup.grant, purpose=Purpose.CASE_HANDLING, params=PARAMS,
                            case_number="JA2026000123")

    assert result.rows == [{"cert_no": HOUSE_ROW["cert_no"], "district": "黄浦区", "registered": True}]
    entry = ExchangeLogEntry.objects.get()
    assert (entry.role, entry.outcome, entry.exchange_id, entry.provider_code) == (
        ExchangeRole.CONSUMER, ExchangeOutcome.OK, result.exchange_id, f"OW-PEER:{setup.peer_department.code}")
    sent_statement = provider_answer(private_key=setup.private_key, kid=setup.kid,
                                     exchange_id=str(result.exchange_id), rows=result.rows, fields=GRANTED)["statement"]
    assert (entry.peer_kid, entry.peer_content_hash, entry.peer_signature) == (
        setup.kid, sent_statement["content_hash"], sent_statement["signature"])
    assert entry.response_digest == sent_statement["content"]["response_digest"]


def _tamper(kind: str, setup: RemoteSetup) -> Any:
    other_private, _public = signing.new_key_pair()

    def respond(request: dict[str, Any]) -> tuple[int, bytes]:
        exchange_id = request["body"]["exchange_id"]
        rows = [{name: HOUSE_ROW[name] for name in GRANTED}]
        body = provider_answer(private_key=setup.private_key, kid=setup.kid, exchange_id=exchange_id, rows=rows,
                               fields=GRANTED)
        statement = body["statement"]
        if kind == "signature_flipped":
            raw = bytearray(statement["signature"].encode())
            raw[5] = ord("A") if raw[5] != ord("A") else ord("B")
            statement["signature"] = raw.decode()
        elif kind == "signed_by_another_key":
            statement["signature"] = signing.sign(other_private, statement["content_hash"].encode())
        elif kind == "rows_changed_after_signing":
            body["rows"] = [{**rows[0], "district": "静安区"}]
        elif kind == "statement_of_another_exchange":
            body = provider_answer(private_key=setup.private_key, kid=setup.kid, exchange_id=str(uuid.uuid4()),
                                   rows=rows, fields=GRANTED)
        elif kind == "unknown_kid":
            statement["kid"] = "OW-PEER-UNKNOWN-9"
        elif kind == "content_not_matching_hash":
            statement["content"]["fields"] = ["cert_no"]
        elif kind == "missing_statement":
            del body["statement"]
        return 200, json.dumps(body).encode()

    return respond


@pytest.mark.parametrize("kind", ["signature_flipped", "signed_by_another_key", "rows_changed_after_signing",
                                  "statement_of_another_exchange", "unknown_kid", "content_not_matching_hash"])
def test_a_tampered_answer_is_refused_and_not_used(setup: RemoteSetup, fake_peer: FakePeer, kind: str) -> None:
    fake_peer.respond = _tamper(kind, setup)
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_peer_signature_invalid", 502)


def test_a_tampered_answer_through_the_exchange_is_logged_and_nothing_is_answered(
        setup: RemoteSetup, fake_peer: FakePeer) -> None:
    fake_peer.respond = _tamper("signature_flipped", setup)
    with pytest.raises(DomainError) as caught:
        exchange_query(grant=setup.grant, purpose=Purpose.CASE_HANDLING, params=PARAMS)
    assert caught.value.code == "sharing_peer_signature_invalid"
    entry = ExchangeLogEntry.objects.get()
    assert (entry.outcome, entry.error_code, entry.response_digest, entry.peer_signature) == (
        ExchangeOutcome.REFUSED, "sharing_peer_signature_invalid", "", "")


def test_an_answer_without_a_statement_or_not_json_is_refused(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    fake_peer.respond = _tamper("missing_statement", setup)
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_peer_response_invalid", 502)
    fake_peer.respond = lambda request: (200, b"<html>proxy login</html>")
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_peer_response_invalid", 502)


def test_the_providers_refusal_is_passed_through_with_its_code_and_status(
        setup: RemoteSetup, fake_peer: FakePeer) -> None:
    refusal = {"code": "sharing_fields_not_granted", "message": "以下数据项不在共享授权范围内：registered。",
               "fields": {"fields": ["registered"]}}
    fake_peer.respond = lambda request: (403, json.dumps(refusal).encode())
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status, str(caught.value.message)) == (
        "sharing_fields_not_granted", 403, refusal["message"])
    assert caught.value.fields == {"fields": ["registered"]}
    fake_peer.respond = lambda request: (429, b"not json")
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_peer_refused", 429)
    limited = {"code": "sharing_rate_limited", "message": "调用过于频繁", "fields": {}}
    fake_peer.respond = lambda request: (429, json.dumps(limited).encode(), {"Retry-After": "17"})
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status, caught.value.retry_after) == (  # type: ignore[attr-defined]
        "sharing_rate_limited", 429, 17)
    # A refusal is an answer: the peer is up, the breaker stays closed.
    state = breaker.breaker_for(peer_client.breaker_key(setup.resource))
    assert (state.state, state.failures) == (breaker.CLOSED, 0)


def _signed_refusal(setup: RemoteSetup, code: str, *, error_code: str | None = None) -> Any:
    def respond(request: dict[str, Any]) -> tuple[int, bytes]:
        body = provider_answer(private_key=setup.private_key, kid=setup.kid, exchange_id=request["body"]["exchange_id"],
                               rows=[], fields=["registered"], content_extra={"response_digest": "",
                                                                              "error_code": error_code or code})
        return 403, json.dumps({"code": code, "message": "不在授权范围内", "fields": {},
                                "statement": body["statement"]}).encode()

    return respond


def test_a_refusal_keeps_the_providers_statement_when_it_verifies(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    fake_peer.respond = _signed_refusal(setup, "sharing_fields_not_granted")
    with pytest.raises(DomainError) as caught:
        call(setup)
    sent = json.loads(fake_peer.respond(fake_peer.requests[0])[1])["statement"]
    assert caught.value.statement == {k: sent[k] for k in ("kid", "signature", "content_hash")}  # type: ignore[attr-defined]
    # A statement of another refusal than the one answered is dropped; the refusal stands.
    fake_peer.respond = _signed_refusal(setup, "sharing_fields_not_granted", error_code="sharing_grant_revoked")
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert caught.value.code == "sharing_fields_not_granted"
    assert not hasattr(caught.value, "statement")


def test_a_refusal_through_the_exchange_is_logged_with_the_providers_statement(
        setup: RemoteSetup, fake_peer: FakePeer) -> None:
    fake_peer.respond = _signed_refusal(setup, "sharing_purpose_mismatch")
    with pytest.raises(DomainError):
        exchange_query(grant=setup.grant, purpose=Purpose.CASE_HANDLING, params=PARAMS)
    entry = ExchangeLogEntry.objects.get()
    sent = json.loads(fake_peer.respond(fake_peer.requests[0])[1])["statement"]
    assert (entry.outcome, entry.error_code, entry.peer_kid, entry.peer_content_hash) == (
        ExchangeOutcome.REFUSED, "sharing_purpose_mismatch", setup.kid, sent["content_hash"])


def test_a_5xx_is_unavailable_and_counts_against_the_breaker(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    fake_peer.respond = lambda request: (500, b'{"code": "server_error"}')
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_provider_unavailable", 503)
    assert breaker.breaker_for(peer_client.breaker_key(setup.resource)).failures == 1
    fake_peer.respond = lambda request: (504, b'{"code": "sharing_provider_timeout"}')
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_provider_timeout", 504)
    assert breaker.breaker_for(peer_client.breaker_key(setup.resource)).state == breaker.OPEN  # threshold 2


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_retried_then_unavailable(setup: RemoteSetup, settings: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    port = _closed_port()
    setup.peer.base_url = f"http://127.0.0.1:{port}"
    setup.peer.save()
    setup.resource.endpoint = f"http://127.0.0.1:{port}/api/v1/sharing/peer/exchange"
    setup.resource.save()
    settings.SHARING_PEER_RETRIES = 2
    attempts: list[str] = []
    original = peer_client._post_once

    def counting(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str]:
        attempts.append(url)
        return original(url, body, headers)

    monkeypatch.setattr(peer_client, "_post_once", counting)
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_provider_unavailable", 503)
    assert len(attempts) == 3  # the first try and two retries: nothing had been sent
    assert breaker.breaker_for(peer_client.breaker_key(setup.resource)).failures == 1


def test_a_provider_that_hangs_times_out_and_the_breaker_opens(
        sharing_world: SharingWorld, fresh_breakers: FakeClock) -> None:
    with BlockingPeer() as blocking:
        setup = remote_setup(sharing_world, base_url=blocking.base_url, endpoint=blocking.endpoint)
        state = breaker.breaker_for(peer_client.breaker_key(setup.resource))

        for expected_connections in (1, 2):  # the threshold is 2
            with pytest.raises(DomainError) as caught:
                call(setup)
            assert (caught.value.code, caught.value.status) == ("sharing_provider_timeout", 504)
            assert blocking.drain() == expected_connections  # a read timeout is never retried
        assert state.state == breaker.OPEN

        # Open: refused at once, without connecting.
        with pytest.raises(DomainError) as caught:
            call(setup)
        assert (caught.value.code, caught.value.status) == ("sharing_provider_unavailable", 503)
        assert blocking.drain() == 2

        # After the cool-down one trial goes through; it hangs too, so the breaker opens again.
        fresh_breakers.now += 60
        assert state.state == breaker.HALF_OPEN
        with pytest.raises(DomainError) as caught:
            call(setup)
        assert caught.value.code == "sharing_provider_timeout"
        assert blocking.drain() == 3
        assert state.state == breaker.OPEN


def test_a_hanging_provider_through_the_exchange_logs_timeout_then_unavailable(
        sharing_world: SharingWorld) -> None:
    with BlockingPeer() as blocking:
        setup = remote_setup(sharing_world, base_url=blocking.base_url, endpoint=blocking.endpoint)
        codes = []
        for _ in range(3):
            with pytest.raises(DomainError) as caught:
                exchange_query(grant=setup.grant, purpose=Purpose.CASE_HANDLING, params=PARAMS)
            codes.append(caught.value.code)
        assert codes == ["sharing_provider_timeout", "sharing_provider_timeout", "sharing_provider_unavailable"]
        assert blocking.drain() == 2
    logged = list(ExchangeLogEntry.objects.order_by("id").values_list("role", "outcome", "error_code"))
    assert logged == [
        (ExchangeRole.CONSUMER, ExchangeOutcome.TIMEOUT, "sharing_provider_timeout"),
        (ExchangeRole.CONSUMER, ExchangeOutcome.TIMEOUT, "sharing_provider_timeout"),
        (ExchangeRole.CONSUMER, ExchangeOutcome.UNAVAILABLE, "sharing_provider_unavailable"),
    ]


def test_an_endpoint_of_no_registered_peer_is_refused_before_connecting(
        setup: RemoteSetup, fake_peer: FakePeer) -> None:
    setup.peer.base_url = "http://peer.example.invalid"
    setup.peer.save()
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_peer_unknown", 502)
    assert fake_peer.requests == []


def test_a_grant_without_the_other_sides_token_is_refused(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    setup.grant.remote_token = ""
    with pytest.raises(DomainError) as caught:
        call(setup)
    assert (caught.value.code, caught.value.status) == ("sharing_grant_not_remote", 409)
    assert fake_peer.requests == []


def test_the_peer_is_matched_by_the_longest_base_url(setup: RemoteSetup, fake_peer: FakePeer) -> None:
    other = type(setup.peer).objects.create(code="OW-OTHER", name="其他平台", base_url=f"{fake_peer.base_url}/other")
    longer = type(setup.peer).objects.create(code="OW-API", name="接口平台", base_url=f"{fake_peer.base_url}/api/")
    assert peer_client.peer_for_endpoint(fake_peer.endpoint) == longer
    assert peer_client.peer_for_endpoint(f"{fake_peer.base_url}/other/x") == other
    assert peer_client.peer_for_endpoint(f"{fake_peer.base_url}/otherwise") == setup.peer
    assert peer_client.peer_for_endpoint("http://127.0.0.2:1/x") is None
    assert SigningKey.objects.filter(peer=setup.peer).count() == 1
