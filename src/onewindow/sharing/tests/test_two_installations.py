"""Two installations on one machine exchange over HTTP (issue #13 part 3: "the tests run a second
server on the same machine"), each keeping its own signed log, each holding the other's signed
statement of the same exchange — and either side can prove the other's entry.

This test process is the consumer installation (its test database, code ``OW-LOCAL`` unless
configured); the provider installation (``OW-PEER``) is a gunicorn process serving its own SQLite
file, prepared in a child process: a published 房屋登记信息 dataset, a grant for the consumer
department, the keys exchanged both ways. Runs in CI (marked slow, never skipped).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from onewindow.accounts.testing import DepartmentFactory
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.masking import mask_name
from onewindow.sharing import breaker, canonical, signing
from onewindow.sharing.choices import AdapterKind, ExchangeOutcome, ExchangeRole, Purpose, ResourceKind
from onewindow.sharing.models import ExchangeLogEntry, SigningKey
from onewindow.sharing.services.exchange import exchange_query
from onewindow.sharing.services.keys import party_code, peer_keys_import, public_keys_export, signing_key_for
from onewindow.sharing.services.log import log_entry_content, log_seal_pending, log_verify
from onewindow.sharing.services.peer_client import request_content
from onewindow.sharing.services.remote_grants import grant_register_remote
from onewindow.sharing.testing import SharingWorld, make_resource

from . import peer_installation as peer
from .peer_world import GRANTED, HOUSE_FIELDS

pytestmark = pytest.mark.slow
PEER_CODE = "OW-PEER"


@pytest.fixture
def peer_side(sharing_world: SharingWorld, tmp_path: Path) -> Iterator[tuple[peer.PeerServer, dict[str, Any]]]:
    """The provider installation, set up and serving; yields (server, setup answer)."""
    own_key = signing_key_for(sharing_world.consumer)  # exported before the peer imports our keys
    keys_file = tmp_path / "consumer-keys.json"
    keys_file.write_text(json.dumps(public_keys_export()))
    assert own_key.kid in keys_file.read_text()
    db = tmp_path / "peer.sqlite3"
    out = tmp_path / "peer-setup.json"
    peer.run("setup", str(db), PEER_CODE, str(keys_file), sharing_world.consumer.code, str(out), db=db,
             code=PEER_CODE)
    server = peer.PeerServer(db, PEER_CODE, tmp_path / "peer-server.log")
    server.start()
    breaker.breakers_reset()
    try:
        yield server, json.loads(out.read_text())
    finally:
        server.stop()
        breaker.breakers_reset()


def inspect_peer(tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "peer-log.json"
    peer.run("inspect", str(tmp_path / "peer.sqlite3"), PEER_CODE, str(out), db=tmp_path / "peer.sqlite3",
             code=PEER_CODE)
    return dict(json.loads(out.read_text()))


def test_an_exchange_between_two_installations_is_logged_and_provable_on_both_sides(
        sharing_world: SharingWorld, peer_side: tuple[peer.PeerServer, dict[str, Any]], tmp_path: Path) -> None:
    server, answer = peer_side
    world = sharing_world
    # The consumer installation learns the peer: its keys, its resource, the grant it issued.
    peer_keys_import(by=system_actor("test"), peer_code=PEER_CODE, name="黄浦区共享平台", base_url=server.base_url,
                     keys_json=answer["keys"])
    mirror = DepartmentFactory.create(code=peer.PEER_DEPARTMENT, name="上海市黄浦区房屋管理局")
    resource = make_resource(mirror, fields=HOUSE_FIELDS, name="房屋登记信息", kind=ResourceKind.DATASET,
                             adapter=AdapterKind.HTTP, endpoint=f"{server.base_url}/api/v1/sharing/peer/exchange",
                             remote_code=answer["resource_code"], code=answer["resource_code"])
    # Registered here with one field more than the peer granted: the peer refuses that itself.
    today = timezone.localdate()
    grant = grant_register_remote(by=world.consumer_admin, resource=resource, consumer_department=world.consumer,
                                  purpose=Purpose.CASE_HANDLING, fields=GRANTED,
                                  valid_from=today - datetime.timedelta(days=1),
                                  valid_to=today + datetime.timedelta(days=30), rate_per_minute=600,
                                  remote_token=answer["token"])
    params = {"key": peer.PEER_ROW["cert_no"]}

    # 1. An answer: granted fields in clear, the personal field the peer did not grant masked by the peer.
    result = exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params=params,
                            fields=["cert_no", "district", "owner_name"], case_number="JA2026000777")
    assert result.rows == [{"cert_no": peer.PEER_ROW["cert_no"], "district": "黄浦区",
                            "owner_name": mask_name("李建华")}]
    assert result.fields == ["cert_no", "district", "owner_name"]
    assert result.as_of is not None

    # 2. A refusal by the peer, passed through with its code and status.
    with pytest.raises(DomainError) as caught:
        exchange_query(grant=grant, purpose=Purpose.CASE_HANDLING, params=params)
    assert (caught.value.code, caught.value.status) == ("sharing_fields_not_granted", 403)
    assert "registered" in str(caught.value.message)

    # The consumer's log: both exchanges, the answer carrying the provider's verified statement.
    ours = list(ExchangeLogEntry.objects.order_by("id"))
    assert [(e.role, e.outcome, e.error_code) for e in ours] == [
        (ExchangeRole.CONSUMER, ExchangeOutcome.OK, ""),
        (ExchangeRole.CONSUMER, ExchangeOutcome.REFUSED, "sharing_fields_not_granted"),
    ]
    consumer_entry = ours[0]
    assert consumer_entry.exchange_id == result.exchange_id
    assert consumer_entry.consumer_code == party_code(world.consumer)
    assert consumer_entry.provider_code == f"{PEER_CODE}:{peer.PEER_DEPARTMENT}"
    assert log_seal_pending() == 2
    assert log_verify().problems == []

    # The provider's log, read in its own process: both exchanges, each with our signed statement.
    theirs = inspect_peer(tmp_path)
    assert theirs["problems"] == []
    assert [(e["role"], e["outcome"], e["error_code"]) for e in theirs["entries"]] == [
        (ExchangeRole.PROVIDER, ExchangeOutcome.OK, ""),
        (ExchangeRole.PROVIDER, ExchangeOutcome.REFUSED, "sharing_fields_not_granted"),
    ]
    provider_entry = theirs["entries"][0]
    assert provider_entry["exchange_id"] == str(result.exchange_id)
    assert provider_entry["seq"] is not None
    content = provider_entry["content"]
    assert (content["consumer_code"], content["provider_code"], content["resource_code"], content["case_number"],
            content["purpose"], content["fields"]) == (
        party_code(world.consumer), f"{PEER_CODE}:{peer.PEER_DEPARTMENT}", peer.REMOTE_CODE, "JA2026000777",
        "case_handling", ["cert_no", "district", "owner_name"])

    # We prove the provider's entry: its content hashes to the statement we keep, signed by its key,
    # over exactly the rows we received.
    assert canonical.digest(content) == provider_entry["content_hash"] == consumer_entry.peer_content_hash
    assert (consumer_entry.peer_kid, consumer_entry.peer_signature) == (provider_entry["kid"],
                                                                       provider_entry["signature"])
    peer_public = SigningKey.objects.get(kid=provider_entry["kid"], peer__code=PEER_CODE).public_key
    assert signing.verify(peer_public, consumer_entry.peer_content_hash.encode(), consumer_entry.peer_signature)
    assert content["response_digest"] == consumer_entry.response_digest == canonical.digest(result.rows)

    # The provider proves our request: the statement it keeps is our department key's signature over
    # the request it answered.
    own_key = signing_key_for(world.consumer)
    request = request_content(exchange_id=result.exchange_id, resource_code=peer.REMOTE_CODE,
                              purpose="case_handling", params=params, fields=["cert_no", "district", "owner_name"],
                              case_number="JA2026000777", consumer_code=party_code(world.consumer))
    assert provider_entry["peer_kid"] == own_key.kid
    assert provider_entry["peer_content_hash"] == canonical.digest(request)
    assert signing.verify(own_key.public_key, provider_entry["peer_content_hash"].encode(),
                          provider_entry["peer_signature"])
    # The refusal's provider entry holds our statement too.
    # The refusal: each side's entry holds the other's statement too.
    refused = theirs["entries"][1]
    assert refused["exchange_id"] == str(ours[1].exchange_id)
    assert refused["peer_kid"] == own_key.kid and refused["peer_signature"]
    assert (ours[1].peer_kid, ours[1].peer_content_hash, ours[1].peer_signature) == (
        refused["kid"], refused["content_hash"], refused["signature"])
    assert canonical.digest(refused["content"]) == refused["content_hash"]
    assert django_settings.SHARING_INSTALLATION_CODE != PEER_CODE
    assert log_entry_content(consumer_entry)["role"] == "consumer"
