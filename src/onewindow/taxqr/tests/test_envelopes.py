"""Crafted QR envelopes (issue #9 point 8): every one is a 422 with a stable code, never a 500.

The envelopes are built here from the cryptographic primitives (not from codec.seal), so that
each layer can be broken on its own: the outer header, the encrypted inner part, the signature,
the compressed payload and the record inside it.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.core.models import AuditEntry
from onewindow.taxqr import codec, keys, rules
from onewindow.taxqr.models import TaxRecord
from onewindow.taxqr.record import from_wire

from .conftest import TaxWorld

KEYS = keys.generate("sig1", "enc1")
VERSION = rules.current().version
PREVIEW = "/api/v1/taxqr/window/preview"


def encrypt(inner: bytes, *, sender: keys.SenderKeys = KEYS.sender, version: int = 1,
            enc_kid: bytes | None = None, ephemeral_public: bytes | None = None) -> bytes:
    """An envelope around ``inner`` encrypted to the receiver, with a header we choose."""
    ephemeral = X25519PrivateKey.generate()
    public = keys._raw(ephemeral.public_key())
    key = codec._derive_key(ephemeral.exchange(sender.recipient_key), public, keys._raw(sender.recipient_key))
    kid = sender.recipient_kid.encode() if enc_kid is None else enc_kid
    nonce = os.urandom(12)
    header = bytes([version, len(kid)]) + kid + (ephemeral_public or public) + nonce
    return header + AESGCM(key).encrypt(nonce, inner, header)


def signed(body: bytes, *, sender: keys.SenderKeys = KEYS.sender, sig_kid: bytes | None = None) -> bytes:
    """The inner part: ``body`` (any bytes) with a valid signature by the sender's key."""
    kid = sender.signing_kid.encode() if sig_kid is None else sig_kid
    signature = sender.signing_key.sign(codec.SIGNATURE_CONTEXT + kid + body)
    return bytes([len(kid)]) + kid + signature + body


def payload(value: Any) -> bytes:
    return zlib.compress(cbor2.dumps(value))


# Envelopes that were already refused with a 422 before issue #9 (kept as regression tests).
REFUSED: dict[str, tuple[bytes, str]] = {
    "non-ASCII encryption key id": (encrypt(signed(payload({})), enc_kid="密钥".encode()), "qr_corrupt"),
    "encryption key id length past the end": (b"\x01\xff" + b"a" * 20, "qr_corrupt"),
    "wrong version": (b"\x02" + encrypt(b"")[1:], "qr_version"),
    "signed garbage that is not zlib": (encrypt(signed(b"not zlib at all")), "qr_corrupt"),
    "signed zlib of invalid UTF-8 CBOR text": (encrypt(signed(zlib.compress(b"\x62\xff\xfe"))), "qr_corrupt"),
    "signed CBOR list instead of a map": (encrypt(signed(payload([1, 2, 3]))), "qr_corrupt"),
    "signed zlib bomb": (encrypt(signed(zlib.compress(b"\0" * 8_000_000, 9))), "qr_corrupt"),
}

# Envelopes that answered 500 (or the wrong refusal) before issue #9: a correct decoder refuses
# each with this code.
CRAFTED: dict[str, tuple[bytes, str]] = {
    "empty inner payload": (encrypt(b""), "qr_corrupt"),
    "inner of one byte": (encrypt(b"\x04"), "qr_corrupt"),
    "non-ASCII signing key id": (encrypt(signed(payload({}), sig_kid="密钥".encode())), "qr_corrupt"),
    "invalid UTF-8 signing key id": (encrypt(signed(payload({}), sig_kid=b"\xff\xfe")), "qr_corrupt"),
    "signing key id longer than the inner part": (encrypt(b"\xff" + b"a" * 10), "qr_corrupt"),
    "all-zero ephemeral key": (encrypt(b"x", ephemeral_public=bytes(32)), "qr_corrupt"),
    "signed record that is a string": (encrypt(signed(payload({"v": VERSION, "t": 1500000000, "r": "x"}))),
                                       "qr_payload_invalid"),
    "signed record with garbage parties": (
        encrypt(signed(payload({"v": VERSION, "t": 1500000000,
                                "r": {"p": {"cn": "x"}, "c": {}, "s": ["x"], "b": [7]}}))), "qr_payload_invalid"),
    "signed record with a buyer family that is a string": (
        encrypt(signed(payload({"v": VERSION, "t": 1500000000,
                                "r": {"p": {}, "c": {}, "s": [], "b": [{"n": "x", "i": "y", "f": "z"}]}}))),
        "qr_payload_invalid"),
    "signed payload with an issue time out of range": (
        encrypt(signed(payload({"v": VERSION, "t": 10**30, "r": {}}))), "qr_corrupt"),
    "signed payload with a version that is a map": (
        encrypt(signed(payload({"v": {"a": 1}, "t": 1500000000, "r": {}}))), "qr_corrupt"),
}

TEXTS: dict[str, tuple[str, str]] = {
    "truncated base45": ("OWT1:1/1:ABCDEF12:30:ABC.", "qr_truncated"),
    "base45 with a character outside the alphabet": ("OWT1:1/1:ABCDEF12:3:ab~.", "qr_corrupt"),
    "base45 of an impossible value": ("OWT1:1/1:ABCDEF12:3:::: .", "qr_corrupt"),
    "huge part length": ("OWT1:1/1:ABCDEF12:9999:" + "A" * 100, "qr_truncated"),
    "part 0 of 0": ("OWT1:0/0:ABCDEF12:3:ABC.", "qr_corrupt"),
    "base64 instead of base45": ("OWT1:1/1:ABCDEF12:8:AAECAw==.", "qr_corrupt"),
}


def _client(world: TaxWorld) -> Client:
    client = Client()
    client.force_login(world.tax_clerk)
    return client


def _refused_everywhere(world: TaxWorld, monkeypatch: Any, envelope: bytes, code: str) -> None:
    from onewindow.taxqr import keystore

    monkeypatch.setattr(keystore, "receiver_keys", lambda: KEYS.receiver)
    text = "\n".join(codec.split(envelope))
    client = _client(world)
    audits = AuditEntry.objects.count()
    response = client.post(PREVIEW, {"text": text})
    assert (response.status_code, response.json()["code"]) == (422, code), response.content[:300]
    assert response.json()["message"]
    page = client.post("/tax/window/", {"op": "preview", "text": text, "window": "1"})
    html = page.content.decode()
    assert page.status_code == 422
    assert f'data-code="{code}"' in html and str(response.json()["message"]) in html
    assert TaxRecord.objects.count() == 0 and AuditEntry.objects.count() == audits


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_envelope_is_a_422_on_the_api_and_the_window_page(world: TaxWorld, monkeypatch: Any,
                                                                  name: str) -> None:
    _refused_everywhere(world, monkeypatch, *CRAFTED[name])


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(REFUSED))
def test_other_bad_envelopes_stay_a_422_on_the_api_and_the_window_page(world: TaxWorld, monkeypatch: Any,
                                                                       name: str) -> None:
    _refused_everywhere(world, monkeypatch, *REFUSED[name])


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(TEXTS))
def test_crafted_code_text_is_a_422(world: TaxWorld, name: str) -> None:
    text, code = TEXTS[name]
    response = _client(world).post(PREVIEW, {"text": text})
    assert (response.status_code, response.json()["code"]) == (422, code), response.content[:300]
    assert TaxRecord.objects.count() == 0


@pytest.mark.parametrize("name", list(CRAFTED))
def test_crafted_envelope_raises_only_the_codec_error(name: str) -> None:
    envelope, code = CRAFTED[name]
    with pytest.raises(codec.QrError) as raised:
        from_wire(codec.decode(codec.split(envelope), keys=KEYS.receiver).record)
    assert raised.value.code == code and raised.value.status == 422


def _only_qr_errors(call: Any) -> None:
    try:
        call()
    except codec.QrError as exc:
        assert exc.status == 422 and exc.code.startswith("qr_")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(encrypt),
    st.binary(max_size=300).map(lambda b: encrypt(signed(b))),
    st.binary(max_size=300).map(lambda b: encrypt(signed(zlib.compress(b)))),
    st.tuples(st.binary(max_size=30), st.binary(max_size=100)).map(
        lambda t: encrypt(signed(zlib.compress(b"".join(t))), enc_kid=t[0][:20])),
))
def test_any_envelope_bytes_raise_only_the_codec_error(envelope: bytes) -> None:
    _only_qr_errors(lambda: codec.open_envelope(envelope, keys=KEYS.receiver))
    _only_qr_errors(lambda: codec.decode(codec.split(envelope) if envelope else "", keys=KEYS.receiver))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.text(max_size=300).map(lambda t: f"OWT1:1/1:ABCDEF12:{len(t)}:{t}"),
                 st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", max_size=300)
                 .map(lambda t: f"OWT1:1/1:ABCDEF12:{len(t)}:{t}.")))
def test_any_scanned_text_raises_only_the_codec_error(text: str) -> None:
    _only_qr_errors(lambda: codec.decode(text, keys=KEYS.receiver))
