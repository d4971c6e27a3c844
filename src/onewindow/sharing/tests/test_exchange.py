"""The exchange service: the matrix over consumers and grants, masking, both-sides logging (same
exchange id, each side signed by its department's key), refusal entries, the per-grant rate and
provider failures answered clearly."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.utils import timezone

from onewindow.core.errors import DomainError
from onewindow.sharing import rate_limits, signing
from onewindow.sharing.choices import ExchangeOutcome, Purpose, ResourceStatus
from onewindow.sharing.models import DataResource, ExchangeLogEntry, Grant, PeerInstallation, SigningKey
from onewindow.sharing.providers import PROVIDERS, Provider, ProviderAnswer, ProviderError
from onewindow.sharing.services.exchange import (
    exchange_query,
    exchange_serve,
    mask_value,
    params_digest,
    response_digest,
)
from onewindow.sharing.services.log import signed_bytes
from onewindow.sharing.testing import FAKE_ROWS, SharingWorld

CODE = FAKE_ROWS[0]["credit_code"]
NOW = 1_900_000_040.0  # 20 s into a minute window


@pytest.fixture(autouse=True)
def fixed_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test stays inside one rate window (no stopwatch: the window's clock is fixed)."""
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW)


def entries(exchange_id: uuid.UUID | None = None) -> list[ExchangeLogEntry]:
    rows = ExchangeLogEntry.objects.order_by("id")
    return list(rows.filter(exchange_id=exchange_id) if exchange_id else rows)


def refuse(grant: Grant, **kwargs: Any) -> DomainError:
    kwargs.setdefault("purpose", grant.purpose)
    kwargs.setdefault("params", {"key": CODE})
    with pytest.raises(DomainError) as caught:
        exchange_query(grant=grant, **kwargs)
    return caught.value


def assert_refusal_logged(grant: Grant, code: str, outcome: str = ExchangeOutcome.REFUSED) -> None:
    """One exchange, logged on both sides with the refusal, nothing answered, the grant unused."""
    logged = entries()
    assert len({e.exchange_id for e in logged}) == 1
    assert sorted((e.role, e.outcome, e.error_code, e.response_digest) for e in logged) == [
        ("consumer", outcome, code, ""), ("provider", outcome, code, "")]
    grant.refresh_from_db()
    assert grant.last_used_at is None


def test_a_consumer_with_a_grant_gets_the_granted_fields_logged_on_both_sides(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    grant, _token = w.grant(resource)
    result = exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE}, case_number="JA2026-1")
    assert (result.resource_code, result.fields) == (resource.code, ["credit_code", "name", "legal_representative"])
    assert result.rows == [dict(FAKE_ROWS[0])]
    assert result.provider_code == f"OW-LOCAL:{w.provider.code}"
    consumer, provider = sorted(entries(result.exchange_id), key=lambda e: e.role)
    assert len(entries()) == 2
    for entry in (consumer, provider):
        assert (entry.outcome, entry.error_code, entry.resource_code, entry.grant_id, entry.purpose) == (
            ExchangeOutcome.OK, "", resource.code, grant.pk, Purpose.CASE_HANDLING)
        assert (entry.consumer_code, entry.provider_code) == (f"OW-LOCAL:{w.consumer.code}", result.provider_code)
        assert (entry.case_number, entry.fields) == ("JA2026-1", result.fields)
        assert entry.params_digest == params_digest(result.exchange_id, {"key": CODE})
        assert entry.response_digest == response_digest(result.rows)
    assert (consumer.role, provider.role) == ("consumer", "provider")
    # each side is signed by its own department's key, and the signature verifies
    consumer_key = SigningKey.objects.get(kid=consumer.kid)
    provider_key = SigningKey.objects.get(kid=provider.kid)
    assert (consumer_key.department, provider_key.department) == (w.consumer, w.provider)
    assert signing.verify(consumer_key.public_key, signed_bytes(consumer.content_hash), consumer.signature)
    assert signing.verify(provider_key.public_key, signed_bytes(provider.content_hash), provider.signature)
    grant.refresh_from_db()
    assert grant.last_used_at is not None


def test_the_parameters_are_never_logged_in_clear(sharing_world: SharingWorld) -> None:
    grant, _token = sharing_world.grant(sharing_world.resource())
    exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    for values in ExchangeLogEntry.objects.values():
        assert all(CODE not in str(value) for value in values.values())
    # equal queries do not share a digest (salted with the exchange id)
    exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    assert len({e.params_digest for e in entries()}) == 2


def test_not_found_is_an_empty_answer_logged_as_such(sharing_world: SharingWorld) -> None:
    grant, _token = sharing_world.grant(sharing_world.resource())
    result = exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": "NO-SUCH"})
    assert result.rows == []
    assert [e.outcome for e in entries()] == [ExchangeOutcome.NOT_FOUND] * 2


def test_a_personal_field_not_granted_is_masked_and_clear_when_granted(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    narrow, _t = w.grant(resource, fields=["credit_code", "name"])
    full, _t = w.grant(resource)
    asked = ["name", "legal_representative"]
    masked = exchange_query(grant=narrow, purpose=Purpose.CASE_HANDLING, params={"key": CODE}, fields=asked)
    clear = exchange_query(grant=full, purpose=Purpose.CASE_HANDLING, params={"key": CODE}, fields=asked)
    assert masked.rows == [{"name": FAKE_ROWS[0]["name"], "legal_representative": "周**"}]
    assert clear.rows == [{"name": FAKE_ROWS[0]["name"], "legal_representative": "周建国"}]
    # by default only the granted fields are answered: the personal field is not even masked in
    default = exchange_query(grant=narrow, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    assert default.rows == [{"credit_code": CODE, "name": FAKE_ROWS[0]["name"]}]


@pytest.mark.parametrize(("field", "value", "masked"), [
    ({"name": "id_number", "type": "id_number"}, "310106198503040251", "310***********0251"),
    ({"name": "mobile_phone", "type": "string"}, "13812345678", "138****5678"),
    ({"name": "legal_representative", "type": "string"}, "欧阳娜娜", "欧***"),
    ({"name": "birth_date", "type": "date"}, "1985-03-04", None),
    ({"name": "registered", "type": "boolean"}, True, None),
    ({"name": "name", "type": "string"}, "", ""),
])
def test_masking_by_field_type(field: dict[str, Any], value: Any, masked: Any) -> None:
    assert mask_value(field, value) == masked


def test_fields_outside_the_grant_are_refused_naming_them(sharing_world: SharingWorld) -> None:
    w = sharing_world
    grant, _t = w.grant(w.resource(), fields=["credit_code", "legal_representative"])
    error = refuse(grant, fields=["credit_code", "name", "no_such_field"])
    assert (error.status, error.code) == (403, "sharing_fields_not_granted")
    assert "name、no_such_field" in str(error.message)
    assert_refusal_logged(grant, "sharing_fields_not_granted")
    assert {tuple(e.fields) for e in entries()} == {("credit_code", "name", "no_such_field")}


@pytest.mark.parametrize(("setup", "code"), [
    ({"revoked": True}, "sharing_grant_revoked"),
    ({"valid_from": datetime.date(2020, 1, 1), "valid_to": datetime.date(2020, 12, 31)}, "sharing_grant_expired"),
    ({"valid_from": datetime.date(2099, 1, 1), "valid_to": datetime.date(2099, 12, 31)},
     "sharing_grant_not_yet_valid"),
])
def test_a_revoked_expired_or_future_grant_is_refused_and_logged(sharing_world: SharingWorld, setup: dict[str, Any],
                                                                 code: str) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource(), **setup)
    error = refuse(grant)
    assert (error.status, error.code) == (403, code)
    assert_refusal_logged(grant, code)


def test_a_purpose_that_does_not_match_is_refused_and_logged(sharing_world: SharingWorld) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource(), purpose=Purpose.PREFILL)
    error = refuse(grant, purpose=Purpose.SUPERVISION)
    assert (error.status, error.code, list(error.fields)) == (403, "sharing_purpose_mismatch", ["purpose"])
    assert_refusal_logged(grant, "sharing_purpose_mismatch")
    assert {e.purpose for e in entries()} == {Purpose.SUPERVISION}
    # an unknown purpose is logged as none rather than as some other purpose
    refuse(grant, purpose="x" * 30)
    assert entries()[-1].purpose == ""


def test_a_withdrawn_resource_is_refused(sharing_world: SharingWorld) -> None:
    resource = sharing_world.resource()
    grant, _t = sharing_world.grant(resource)
    DataResource.objects.filter(pk=resource.pk).update(status=ResourceStatus.WITHDRAWN)
    grant.resource.refresh_from_db()
    error = refuse(grant)
    assert (error.status, error.code) == (403, "sharing_resource_withdrawn")
    assert_refusal_logged(grant, "sharing_resource_withdrawn")


def test_the_rate_per_minute_is_per_grant_and_refuses_once_spent(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    grant, _t = w.grant(resource, rate_per_minute=2)
    other, _t = w.grant(resource, rate_per_minute=2)
    for _ in range(2):
        exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    error = refuse(grant)
    assert (error.status, error.code, error.retry_after) == (429, "sharing_rate_limited", 40)  # type: ignore[attr-defined]
    last = entries()[-2:]
    assert [(e.outcome, e.error_code) for e in last] == [(ExchangeOutcome.REFUSED, "sharing_rate_limited")] * 2
    assert rate_limits.rate_used(grant.pk) == 3
    # another grant has its own budget; refused calls before the rate check cost nothing
    refuse(other, purpose=Purpose.SUPERVISION)
    assert rate_limits.rate_used(other.pk) == 0
    exchange_query(grant=other, purpose=Purpose.CASE_HANDLING, params={"key": CODE})


def test_the_next_minute_window_allows_again(sharing_world: SharingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource(), rate_per_minute=1)
    exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    assert refuse(grant).code == "sharing_rate_limited"
    monkeypatch.setattr(rate_limits, "clock", lambda: NOW + 60)
    assert exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE}).rows


def _install(monkeypatch: pytest.MonkeyPatch, query: Any) -> None:
    monkeypatch.setitem(PROVIDERS, "test.entity", Provider(name="test.entity", fields=("credit_code",),
                                                           params=("key",), query=query))


@pytest.mark.parametrize(("failure", "status", "code", "outcome"), [
    (ProviderError("sharing_params_invalid", "键值格式不正确"), 422, "sharing_params_invalid", ExchangeOutcome.REFUSED),
    (ProviderError("sharing_provider_timeout", "timeout"), 504, "sharing_provider_timeout", ExchangeOutcome.TIMEOUT),
    (ProviderError("sharing_provider_unavailable", "down"), 503, "sharing_provider_unavailable",
     ExchangeOutcome.UNAVAILABLE),
    (RuntimeError("bug"), 502, "sharing_provider_error", ExchangeOutcome.ERROR),
])
def test_provider_failures_are_clear_answers_logged_with_their_outcome(
        sharing_world: SharingWorld, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int, code: str,
        outcome: str) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource())

    def query(params: dict[str, Any], **_: Any) -> ProviderAnswer:
        raise failure

    _install(monkeypatch, query)
    error = refuse(grant)
    assert (error.status, error.code) == (status, code)
    assert_refusal_logged(grant, code, outcome)


def test_an_unknown_provider_is_unavailable(sharing_world: SharingWorld) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource(provider="test.nobody"))
    error = refuse(grant)
    assert (error.status, error.code) == (503, "sharing_provider_unavailable")
    assert_refusal_logged(grant, "sharing_provider_unavailable", ExchangeOutcome.UNAVAILABLE)


@pytest.mark.parametrize("params", [["key"], {"key": {"nested": 1}}, {1: "x"}])
def test_malformed_parameters_are_refused_before_the_provider(sharing_world: SharingWorld, params: Any) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource())
    error = refuse(grant, params=params)
    assert (error.status, error.code) == (422, "sharing_params_invalid")
    assert rate_limits.rate_used(grant.pk) == 0


def test_the_grant_use_is_written_at_most_once_a_minute(sharing_world: SharingWorld) -> None:
    grant, _t = sharing_world.grant(sharing_world.resource())
    recent = timezone.now() - datetime.timedelta(seconds=20)
    Grant.objects.filter(pk=grant.pk).update(last_used_at=recent)
    grant.refresh_from_db()
    exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    assert Grant.objects.get(pk=grant.pk).last_used_at == recent
    old = timezone.now() - datetime.timedelta(minutes=5)
    Grant.objects.filter(pk=grant.pk).update(last_used_at=old)
    grant.refresh_from_db()
    exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE})
    assert Grant.objects.get(pk=grant.pk).last_used_at > old  # type: ignore[operator]


def test_the_provider_half_carries_its_entry_on_a_refusal_and_attaches_a_peer_statement(
        sharing_world: SharingWorld) -> None:
    """What the peer endpoint uses: exchange_serve for another installation's consumer."""
    grant, _t = sharing_world.grant(sharing_world.resource())
    exchange_id = uuid.uuid4()
    private, public = signing.new_key_pair()
    peer = PeerInstallation.objects.create(code="OW-PEER", name="对端平台", base_url="http://peer.example/")
    SigningKey.objects.create(kid="PEER-1", peer=peer, public_key=public)
    signature = signing.sign(private, ("a" * 64).encode("ascii"))
    statement = {"kid": "PEER-1", "signature": signature, "content_hash": "a" * 64}
    result, entry = exchange_serve(grant=grant, purpose=Purpose.CASE_HANDLING, params={"key": CODE}, fields=None,
                                   case_number="", exchange_id=exchange_id, consumer_code="OW-PEER:DEPT-1",
                                   peer_statement=statement)
    assert (result.exchange_id, entry.exchange_id, entry.role, entry.consumer_code) == (
        exchange_id, exchange_id, "provider", "OW-PEER:DEPT-1")
    entry.refresh_from_db()
    assert (entry.peer_kid, entry.peer_signature, entry.peer_content_hash) == ("PEER-1", signature, "a" * 64)
    with pytest.raises(DomainError) as caught:
        exchange_serve(grant=grant, purpose=Purpose.SUPERVISION, params={"key": CODE}, fields=None, case_number="",
                       exchange_id=uuid.uuid4(), consumer_code="OW-PEER:DEPT-1")
    refused = caught.value.log_entry  # type: ignore[attr-defined]
    assert (refused.role, refused.outcome, refused.error_code) == ("provider", "refused", "sharing_purpose_mismatch")
    assert ExchangeLogEntry.objects.filter(role="consumer").count() == 0


def test_the_window_counts_in_the_shared_database_cache_of_the_embedded_profile(db: None) -> None:
    """The embedded profile counts in the database cache table every worker shares (core.throttle,
    whose real-process test is tests/test_shared_throttle.py); a second window starts from zero."""
    from django.core.cache import caches
    from django.core.management import call_command
    from django.test import override_settings

    from onewindow.config.settings.base import cache_settings

    with override_settings(CACHES=cache_settings("")):
        call_command("createcachetable", verbosity=0)
        try:
            assert [rate_limits.rate_hit(7, 3).allowed for _ in range(4)] == [True, True, True, False]
            assert rate_limits.rate_used(7) == 4
            assert rate_limits.rate_hit(8, 3).allowed
        finally:
            caches["shared"].clear()


def test_the_window_follows_the_time_every_service_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    moment = datetime.datetime(2026, 3, 2, 9, 30, 15, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert rate_limits._now() == moment.timestamp()
    assert rate_limits.window_key(5, rate_limits._now()) == f"sharing-rate:5:{int(moment.timestamp()) // 60}"
    assert rate_limits.seconds_to_next_window(moment.timestamp()) == 45
