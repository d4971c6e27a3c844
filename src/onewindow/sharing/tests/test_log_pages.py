"""The exchange log pages: who sees which entries, an entry's detail, the system admin's verification."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from onewindow.sharing import canonical
from onewindow.sharing.models import ExchangeLogEntry
from onewindow.sharing.services import log as log_service
from onewindow.sharing.testing import SHARING_PRINCIPALS, SharingWorld

CONSUMER = "OW-LOCAL:TEST-310106-XZFW"
PROVIDER = "OW-LOCAL:TEST-310106-SCJ"
OUTSIDER = "OW-LOCAL:TEST-310104-SCJ"


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings: Any, tmp_path: Path) -> None:
    settings.SHARING_LOG_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def append(world: SharingWorld, *, role: str = "consumer", consumer: str = CONSUMER, provider: str = PROVIDER,
           **overrides: Any) -> ExchangeLogEntry:
    values: dict[str, Any] = {
        "role": role, "exchange_id": uuid.uuid4(), "consumer_code": consumer, "provider_code": provider,
        "resource_code": "TEST-310106-SCJ-0001", "purpose": "prefill", "fields": ["credit_code", "name"],
        "params_digest": canonical.digest({"key": "91310106MA1FL0TEST"}), "response_digest": "ab" * 32,
        "outcome": "ok", "duration_ms": 4, "signer_department": None,
    }
    values.update(overrides)
    return log_service.log_append(**values)


@pytest.fixture
def entries(sharing_world: SharingWorld) -> dict[str, ExchangeLogEntry]:
    """A consumer and a provider entry of one exchange between the two departments, and an
    exchange between two other parties (the outsider department and a peer installation)."""
    exchange = uuid.uuid4()
    found = {
        "consumer": append(sharing_world, exchange_id=exchange, signer_department=sharing_world.consumer,
                           case_number="310106202600000007"),
        "provider": append(sharing_world, role="provider", exchange_id=exchange,
                           signer_department=sharing_world.provider, case_number="310106202600000007"),
        "other": append(sharing_world, role="provider", consumer="OW-PEER:X", provider=OUTSIDER,
                        resource_code="TEST-310104-SCJ-0001", outcome="refused",
                        error_code="sharing_purpose_mismatch"),
    }
    log_service.log_seal_pending()
    return found


def listed(response: Any) -> set[int]:
    return {row.pk for row in response.context["rows"]}


# who reads what: status and the entries listed
LIST_MATRIX = {
    "anonymous": (302, None),
    "citizen": (403, None),
    "clerk": (403, None),
    "provider_clerk": (403, None),
    "consumer_clerk": (403, None),
    "token": (302, None),
    "readonly_token": (302, None),
    "provider_token": (302, None),
    "system_token": (302, None),
    "outsider_admin": (200, {"other"}),
    "provider_admin": (200, {"consumer", "provider"}),
    "consumer_admin": (200, {"consumer", "provider"}),
    "admin": (200, {"consumer", "provider", "other"}),
}


def test_the_matrix_covers_every_principal() -> None:
    assert set(LIST_MATRIX) == set(SHARING_PRINCIPALS)


@pytest.mark.parametrize("name", sorted(LIST_MATRIX))
def test_log_list_authorization(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry], name: str) -> None:
    status, names = LIST_MATRIX[name]
    response = sharing_world.client(name).get("/sharing/logs/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    if status == 403:
        assert b"sharing_logs_forbidden" in response.content
    if names is not None:
        assert listed(response) == {entries[n].pk for n in names}


DETAIL_MATRIX = {  # (principal, entry) → status
    "anonymous": 302, "citizen": 403, "provider_clerk": 403, "token": 302, "system_token": 302,
    "outsider_admin": 404, "provider_admin": 200, "consumer_admin": 200, "admin": 200,
}


@pytest.mark.parametrize("name", sorted(DETAIL_MATRIX))
def test_log_detail_authorization(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry],
                                  name: str) -> None:
    response = sharing_world.client(name).get(f"/sharing/logs/{entries['consumer'].pk}/")
    assert response.status_code == DETAIL_MATRIX[name]
    if response.status_code == 404:
        assert b"log_entry_not_found" in response.content
        assert b"310106202600000007" not in response.content


def test_an_outsider_reads_its_own_entry(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry]) -> None:
    assert sharing_world.client("outsider_admin").get(f"/sharing/logs/{entries['other'].pk}/").status_code == 200
    assert sharing_world.client("consumer_admin").get(f"/sharing/logs/{entries['other'].pk}/").status_code == 404


def test_filters(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry]) -> None:
    client = sharing_world.client("admin")
    today = timezone.localdate(entries["consumer"].created_at).isoformat()
    cases = {
        "resource=TEST-310104-SCJ-0001": {"other"},
        "resource=TEST-310106-SCJ-": {"consumer", "provider"},
        "outcome=refused": {"other"},
        "role=consumer": {"consumer"},
        "case=310106202600000007": {"consumer", "provider"},
        f"from={today}&to={today}": {"consumer", "provider", "other"},
        "from=2000-01-01&to=2000-01-31": set(),
        "outcome=nonsense": {"consumer", "provider", "other"},
    }
    for query, names in cases.items():
        response = client.get(f"/sharing/logs/?{query}")
        assert response.status_code == 200, query
        assert listed(response) == {entries[n].pk for n in names}, query


def test_a_malformed_date_is_refused_with_422(sharing_world: SharingWorld,
                                              entries: dict[str, ExchangeLogEntry]) -> None:
    response = sharing_world.client("admin").get("/sharing/logs/?from=2026-13-45")
    assert response.status_code == 422
    assert b"sharing_log_date_invalid" in response.content
    assert listed(response) == set()


def test_the_list_names_the_departments(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry]) -> None:
    text = sharing_world.client("admin").get("/sharing/logs/").content.decode()
    assert "上海市静安区行政服务中心" in text and "上海市静安区市场监督管理局" in text
    assert "OW-PEER:X" in text  # another installation's party stays a code
    assert 'id="verify"' in text
    assert 'id="verify"' not in sharing_world.client("provider_admin").get("/sharing/logs/").content.decode()


def test_the_detail_shows_digests_signature_chain_and_key(sharing_world: SharingWorld,
                                                          entries: dict[str, ExchangeLogEntry]) -> None:
    entry = ExchangeLogEntry.objects.get(pk=entries["provider"].pk)
    response = sharing_world.client("provider_admin").get(f"/sharing/logs/{entry.pk}/")
    text = response.content.decode()
    for value in (entry.content_hash, entry.signature, entry.kid, entry.chain_hash, entry.prev_hash,
                  entry.params_digest, str(entry.exchange_id)):
        assert value in text
    assert 'id="entry-ok"' in text
    assert response.context["position"].seq == 2
    assert response.context["position"].previous_id == entries["consumer"].pk
    assert response.context["position"].next_id is None  # the next entry is outside the admin's scope
    assert response.context["position"].checkpoint.seq == 3
    assert 'id="no-peer"' in text
    for key_row in (response.context["key"],):
        assert key_row.kid == entry.kid
    assert "private" not in text.lower()


def test_the_detail_shows_a_tampered_entry(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry]) -> None:
    entry = entries["consumer"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sharing_exchangelogentry SET outcome = %s WHERE id = %s", ["refused", entry.pk])
    response = sharing_world.client("consumer_admin").get(f"/sharing/logs/{entry.pk}/")
    assert response.status_code == 200
    assert [p.code for p in response.context["problems"]] == ["content_hash_mismatch"]
    assert 'data-code="content_hash_mismatch"' in response.content.decode()


VERIFY_MATRIX = {
    "anonymous": 302, "citizen": 403, "clerk": 403, "provider_clerk": 403, "consumer_clerk": 403,
    "outsider_admin": 403, "provider_admin": 403, "consumer_admin": 403, "token": 302, "readonly_token": 302,
    "provider_token": 302, "system_token": 302, "admin": 200,
}


def test_the_verify_matrix_covers_every_principal() -> None:
    assert set(VERIFY_MATRIX) == set(SHARING_PRINCIPALS)


@pytest.mark.parametrize("name", sorted(VERIFY_MATRIX))
def test_verify_authorization(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry], name: str) -> None:
    response = sharing_world.client(name).post("/sharing/logs/verify/")
    assert response.status_code == VERIFY_MATRIX[name]
    if response.status_code == 200:
        assert response.context["report"].ok
        assert response.context["report"].checked == 3
        assert 'id="verify-ok"' in response.content.decode()
    if response.status_code == 403:
        assert b"sharing_logs" in response.content


def test_verify_is_post_only(sharing_world: SharingWorld) -> None:
    assert sharing_world.client("admin").get("/sharing/logs/verify/").status_code == 405


def test_verify_lists_the_problems(sharing_world: SharingWorld, entries: dict[str, ExchangeLogEntry]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sharing_exchangelogentry WHERE id = %s", [entries["provider"].pk])
    response = sharing_world.client("admin").post("/sharing/logs/verify/")
    assert response.status_code == 200
    report = response.context["report"]
    assert [(p.entry_id, p.code) for p in report.problems] == [(entries["other"].pk, "seq_gap")]
    text = response.content.decode()
    assert 'id="verify-failed"' in text and 'data-code="seq_gap"' in text
