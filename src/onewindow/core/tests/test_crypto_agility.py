"""Crypto agility for 密评 (GB/T 39786-2021; issue #9 point 8): SM4 and SM3 where OpenSSL has them.

Key records name their algorithms (``kid:sm4-gcm+hmac-sm3:base64``, or the settings' default for an
entry that names none); every ciphertext and keyed hash names its algorithm after its key id, so
data written before an algorithm change still decrypts and is still found; audit entries name the
hash of their chain link (``sha256`` or ``sm3``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac as std_hmac
import io

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from onewindow.core import checks, crypto
from onewindow.core.actors import system_actor
from onewindow.core.audit import audit_record, audit_seal_pending, audit_verify
from onewindow.core.keys import rotate_field_keys
from onewindow.core.models import AuditEntry

SM_SUPPORTED = pytest.mark.skipif(not crypto.sm_supported(), reason="this OpenSSL has no SM4/SM3")
SECRET = bytes(range(32))
SM_KEY = f"sm1:sm4-gcm+hmac-sm3:{base64.b64encode(SECRET).decode()}"
OLD = "test1:dGVzdC1maWVsZC1rZXktZmlyc3QtMDEyMzQ1Njc4OWE="
ID_NUMBER = "31010619900101123X"


def test_this_machine_supports_sm4_and_sm3() -> None:
    """The SM tests below really run here (they would skip only on an OpenSSL without SM)."""
    assert crypto.sm_supported() is True


@SM_SUPPORTED
def test_sm4_gcm_round_trip_names_its_algorithm_and_refuses_tampering(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_FIELD_KEYS = SM_KEY
    key = crypto.current_key()
    assert (key.kid, key.cipher, key.mac) == ("sm1", "sm4-gcm", "hmac-sm3")
    token = crypto.encrypt("13812345678")
    kid, algorithm, encoded = token.split("$")
    assert (kid, algorithm) == ("sm1", "sm4-gcm")
    assert crypto.decrypt(token) == "13812345678"
    assert crypto.encrypt("13812345678") != token  # a fresh nonce each time
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        crypto.decrypt(f"sm1$sm4-gcm${base64.b64encode(bytes(raw)).decode()}")
    # The key id is authenticated too: the same bytes under another key id do not open.
    settings.ONEWINDOW_FIELD_KEYS = f"{SM_KEY},sm2:sm4-gcm+hmac-sm3:{base64.b64encode(SECRET).decode()}"
    with pytest.raises(InvalidTag):
        crypto.decrypt(f"sm2$sm4-gcm${encoded}")


@SM_SUPPORTED
def test_hmac_sm3_keyed_hash_is_hmac_sm3_under_an_sm3_derived_key(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_FIELD_KEYS = SM_KEY
    hash_key = HKDF(algorithm=hashes.SM3(), length=32, salt=None,
                    info=b"onewindow-field-keyed-hash-sm3").derive(SECRET)
    mac = hmac.HMAC(hash_key, hashes.SM3())
    mac.update(ID_NUMBER.encode())
    assert crypto.keyed_hash(ID_NUMBER) == f"sm1$hmac-sm3${mac.finalize().hex()}"


def test_legacy_entries_and_tokens_are_aes_256_gcm_and_hmac_sha256(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_FIELD_KEYS = OLD
    key = crypto.current_key()
    assert (key.cipher, key.mac) == ("aes-256-gcm", "hmac-sha256")
    token = crypto.encrypt("x")
    assert token.count("$") == 1 and token.startswith("test1$")  # the format before algorithms were named
    secret = base64.b64decode(OLD.partition(":")[2])
    hash_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"onewindow-field-keyed-hash").derive(secret)
    assert crypto.keyed_hash("x") == "test1$" + std_hmac.new(hash_key, b"x", hashlib.sha256).hexdigest()


@SM_SUPPORTED
@pytest.mark.django_db
def test_old_aes_rows_still_decrypt_and_are_found_after_switching_to_sm4(settings) -> None:  # type: ignore[no-untyped-def]
    Person = apps.get_model("accounts", "Person")
    settings.ONEWINDOW_FIELD_KEYS = OLD
    person = Person.objects.create(name="张三", id_number=ID_NUMBER, phone="13812345678")

    settings.ONEWINDOW_FIELD_KEYS = f"{SM_KEY},{OLD}"
    found = Person.objects.get(id_number_hash__in=crypto.keyed_hash_candidates(ID_NUMBER))
    assert (found.pk, found.id_number, found.phone) == (person.pk, ID_NUMBER, "13812345678")
    [count] = rotate_field_keys(models_to_rotate=[Person])
    assert (count.scanned, count.rotated) == (1, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash FROM accounts_person WHERE id = %s", [person.pk])
        id_number, id_number_hash = cursor.fetchone()
    assert id_number.startswith("sm1$sm4-gcm$") and id_number_hash.startswith("sm1$hmac-sm3$")
    settings.ONEWINDOW_FIELD_KEYS = SM_KEY
    assert Person.objects.get(id_number_hash=crypto.keyed_hash(ID_NUMBER)).id_number == ID_NUMBER
    assert [(c.scanned, c.rotated) for c in rotate_field_keys(models_to_rotate=[Person])] == [(1, 0)]


@SM_SUPPORTED
def test_changing_the_default_algorithm_keeps_old_tokens_of_the_same_key_readable(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_FIELD_KEYS = OLD
    old_token, old_hash = crypto.encrypt("13812345678"), crypto.keyed_hash("13812345678")
    settings.ONEWINDOW_FIELD_CIPHER, settings.ONEWINDOW_FIELD_MAC = "sm4-gcm", "hmac-sm3"
    assert crypto.encrypt("13812345678").startswith("test1$sm4-gcm$")
    assert crypto.decrypt(old_token) == "13812345678"
    assert old_hash in crypto.keyed_hash_candidates("13812345678")
    assert crypto.keyed_hash("13812345678").startswith("test1$hmac-sm3$")


@SM_SUPPORTED
@pytest.mark.django_db
def test_the_audit_chain_names_its_hash_and_verifies_across_a_change_to_sm3(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .test_audit import raw

    settings.ONEWINDOW_AUDIT_CHECKPOINT_DIR = tmp_path
    first = [audit_record(actor=system_actor("tester"), action="test.write", after={"n": n}) for n in range(2)]
    audit_seal_pending()
    settings.ONEWINDOW_AUDIT_HASH = "sm3"
    second = [audit_record(actor=system_actor("tester"), action="test.write", after={"n": n}) for n in range(2, 4)]
    audit_seal_pending()
    rows = list(AuditEntry.objects.order_by("seq").values_list("pk", "hash_alg", "hash", "prev_hash"))
    assert [(pk, alg) for pk, alg, _, _ in rows] == [(e.pk, "sha256") for e in first] + [(e.pk, "sm3") for e in second]
    sm3 = hashes.Hash(hashes.SM3())
    third = AuditEntry.objects.get(pk=second[0].pk)
    sm3.update(third.prev_hash.encode() + third.canonical())
    assert third.hash == sm3.finalize().hex() and third.prev_hash == rows[1][2]
    assert audit_verify().ok
    raw("UPDATE core_auditentry SET action = %s WHERE id = %s", ["forged", second[1].pk])
    assert [(p.kind, p.entry_id) for p in audit_verify().problems] == [("edited", second[1].pk)]


@pytest.mark.parametrize(("overrides", "expected"), [
    ({}, []),
    ({"ONEWINDOW_FIELD_CIPHER": "des-cbc"}, ["onewindow.E005"]),
    ({"ONEWINDOW_FIELD_MAC": "md5"}, ["onewindow.E005"]),
    ({"ONEWINDOW_AUDIT_HASH": "sha1"}, ["onewindow.E005"]),
    ({"ONEWINDOW_FIELD_KEYS": f"k:rc4+hmac-sm3:{base64.b64encode(SECRET).decode()}"}, ["onewindow.E005"]),
])
def test_an_unknown_algorithm_is_a_system_check_error(overrides: dict[str, str], expected: list[str]) -> None:
    with override_settings(**overrides):
        assert [m.id for m in checks.crypto_algorithms()] == expected


@SM_SUPPORTED
def test_new_field_key_can_name_the_sm_algorithms(settings) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("core_new_field_key", "k2027", "--algorithms", "sm4-gcm+hmac-sm3", stdout=out)
    spec = out.getvalue().strip()
    kid, algorithms, encoded = spec.split(":")
    assert (kid, algorithms, len(base64.b64decode(encoded))) == ("k2027", "sm4-gcm+hmac-sm3", 32)
    settings.ONEWINDOW_FIELD_KEYS = spec
    assert crypto.decrypt(crypto.encrypt("甲")) == "甲"
