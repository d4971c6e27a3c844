"""The signing keys of the exchange log: own keys on first use, rotation, export, peer import."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.sharing import signing
from onewindow.sharing.models import PeerInstallation, SigningKey
from onewindow.sharing.services import keys as key_service
from onewindow.sharing.testing import SharingWorld

BY = system_actor("test")


def peer_keys(*kids: str) -> dict[str, Any]:
    return {"installation": "OW-PEER", "keys": [{"kid": kid, "public_key": signing.new_key_pair()[1]} for kid in kids]}


def import_peer(keys_json: Any, *, code: str = "OW-PEER", url: str = "http://127.0.0.1:8001") -> PeerInstallation:
    return key_service.peer_keys_import(by=BY, peer_code=code, name="对端平台", base_url=url, keys_json=keys_json)


def state() -> list[tuple[Any, ...]]:
    return list(SigningKey.objects.order_by("kid").values_list("kid", "public_key", "active", "peer__code")) + \
        list(PeerInstallation.objects.values_list("code", "name", "base_url"))


def test_a_key_is_created_once_on_first_use(sharing_world: SharingWorld) -> None:
    key = key_service.signing_key_for(sharing_world.consumer)
    assert key.kid == "OW-LOCAL-TEST-310106-XZFW-1"
    assert key.active and key.peer is None and key.department == sharing_world.consumer
    assert key_service.signing_key_for(sharing_world.consumer).pk == key.pk
    assert key_service.signing_key_for(None).kid == "OW-LOCAL-install-1"
    assert SigningKey.objects.count() == 2
    assert AuditEntry.objects.filter(action="sharing.key_create").count() == 2
    # a usable pair: the stored private key signs what the public key verifies
    assert signing.verify(key.public_key, b"x", signing.sign(key.private_key, b"x"))


def test_the_installation_code_names_the_keys(sharing_world: SharingWorld, settings: Any) -> None:
    settings.SHARING_INSTALLATION_CODE = "OW-JINGAN"
    assert key_service.signing_key_for(sharing_world.provider).kid == "OW-JINGAN-TEST-310106-SCJ-1"
    assert key_service.party_code(sharing_world.provider) == "OW-JINGAN:TEST-310106-SCJ"


def test_the_private_key_is_encrypted_at_rest(sharing_world: SharingWorld) -> None:
    key = key_service.signing_key_for(sharing_world.consumer)
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM sharing_signingkey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert stored and key.private_key not in stored
    audit = AuditEntry.objects.get(action="sharing.key_create", target_id=str(key.pk))
    assert key.private_key not in json.dumps(audit.after)


def test_rotation_retires_the_old_key(sharing_world: SharingWorld) -> None:
    old = key_service.signing_key_for(sharing_world.consumer)
    new = key_service.key_rotate(by=BY, department=sharing_world.consumer)
    old.refresh_from_db()
    assert new.kid == "OW-LOCAL-TEST-310106-XZFW-2" and new.active
    assert old.active is False and old.retired_at is not None and old.public_key
    assert key_service.signing_key_for(sharing_world.consumer).pk == new.pk
    audit = AuditEntry.objects.get(action="sharing.key_rotate")
    assert audit.before == {"kids": [old.kid]}
    assert audit.after == {"kid": new.kid, "department": "TEST-310106-XZFW"}
    # rotating a department without a key yet creates its first one
    assert key_service.key_rotate(by=BY, department=sharing_world.provider).kid == "OW-LOCAL-TEST-310106-SCJ-1"


def test_export_lists_public_keys_only(sharing_world: SharingWorld) -> None:
    key_service.signing_key_for(sharing_world.consumer)
    key_service.key_rotate(by=BY, department=sharing_world.consumer)
    import_peer(peer_keys("OW-PEER-install-1"))
    exported = key_service.public_keys_export()
    assert exported["installation"] == "OW-LOCAL"
    assert [(k["kid"], k["active"], k["department"]) for k in exported["keys"]] == [
        ("OW-LOCAL-TEST-310106-XZFW-1", False, "TEST-310106-XZFW"),
        ("OW-LOCAL-TEST-310106-XZFW-2", True, "TEST-310106-XZFW"),
    ]
    text = json.dumps(exported)
    for key in SigningKey.objects.filter(peer__isnull=True):
        assert key.private_key not in text
    assert "private" not in text


def test_import_creates_the_peer_and_its_keys_and_is_idempotent(sharing_world: SharingWorld) -> None:
    keys = peer_keys("OW-PEER-install-1", "OW-PEER-310106-GA-1")
    peer = import_peer(json.dumps(keys))
    assert (peer.code, peer.name, peer.base_url) == ("OW-PEER", "对端平台", "http://127.0.0.1:8001")
    stored = list(peer.keys.order_by("kid").values_list("kid", "public_key", "private_key", "active"))
    assert stored == sorted((k["kid"], k["public_key"], "", True) for k in keys["keys"])
    before = state()
    import_peer(json.dumps(keys))
    assert state() == before
    assert AuditEntry.objects.filter(action="sharing.peer_keys_import").count() == 2


def test_import_of_a_new_export_adds_keys_and_retires_inactive_ones(sharing_world: SharingWorld) -> None:
    first = peer_keys("OW-PEER-install-1")
    import_peer(first)
    second = {"keys": [dict(first["keys"][0], active=False), *peer_keys("OW-PEER-install-2")["keys"]]}
    import_peer(second, url="https://peer.example.gov.cn/")
    assert list(SigningKey.objects.order_by("kid").values_list("kid", "active")) == [
        ("OW-PEER-install-1", False), ("OW-PEER-install-2", True)]
    assert SigningKey.objects.get(kid="OW-PEER-install-1").retired_at is not None
    assert PeerInstallation.objects.get().base_url == "https://peer.example.gov.cn/"


@pytest.mark.parametrize(("arguments", "code"), [
    ({"keys_json": "{not json"}, "sharing_keys_invalid"),
    ({"keys_json": {"keys": []}}, "sharing_keys_invalid"),
    ({"keys_json": {"keys": ["x"]}}, "sharing_keys_invalid"),
    ({"keys_json": {"keys": [{"kid": "bad kid!", "public_key": signing.new_key_pair()[1]}]}}, "sharing_keys_invalid"),
    ({"keys_json": {"keys": [{"kid": "OW-PEER-1", "public_key": "c2hvcnQ="}]}}, "sharing_keys_invalid"),
    ({"keys_json": {"keys": [{"kid": "OW-PEER-1", "public_key": "not base64!"}]}}, "sharing_keys_invalid"),
    ({"code": "OW-LOCAL"}, "sharing_peer_code_invalid"),
    ({"code": ""}, "sharing_peer_code_invalid"),
    ({"url": "ftp://peer/"}, "sharing_peer_url_invalid"),
])
def test_import_refuses_bad_input_changing_nothing(sharing_world: SharingWorld, arguments: dict[str, Any],
                                                   code: str) -> None:
    import_peer(peer_keys("OW-PEER-install-1"))
    before = state()
    values: dict[str, Any] = {"keys_json": peer_keys("OW-PEER-install-2"), **arguments}
    keys_json = values.pop("keys_json")
    with pytest.raises(DomainError) as refused:
        import_peer(keys_json, **values)
    assert (refused.value.code, refused.value.status) == (code, 400)
    assert state() == before


def test_import_refuses_a_kid_of_an_own_key_or_another_peer(sharing_world: SharingWorld) -> None:
    own = key_service.signing_key_for(sharing_world.consumer)
    import_peer(peer_keys("OW-OTHER-install-1"), code="OW-OTHER")
    before = state()
    for kid in (own.kid, "OW-OTHER-install-1"):
        keys = peer_keys("OW-PEER-install-1", kid)
        with pytest.raises(DomainError) as refused:
            import_peer(keys)
        assert (refused.value.code, refused.value.status) == ("sharing_key_kid_collision", 409)
        assert state() == before


def test_import_refuses_a_changed_public_key(sharing_world: SharingWorld) -> None:
    import_peer(peer_keys("OW-PEER-install-1"))
    before = state()
    with pytest.raises(DomainError) as refused:
        import_peer(peer_keys("OW-PEER-install-1"))
    assert (refused.value.code, refused.value.status) == ("sharing_key_changed", 409)
    assert state() == before
