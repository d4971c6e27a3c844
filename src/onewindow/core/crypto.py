"""Field encryption (AES-256-GCM) and keyed hashes (HMAC-SHA256) for personal data.

Rule (PIPL 个人信息保护法 art. 51: encryption and de-identification of personal information):
ID numbers and phone numbers are never stored in clear. Each stored value carries the id of the
key that made it, ``"<kid>$<base64>"``, so keys rotate without downtime: the first key of
``ONEWINDOW_FIELD_KEYS`` encrypts, every listed key decrypts, and ``onewindow core_rotate_keys``
re-encrypts old rows in the background of normal operation.

Exact lookup uses a keyed hash (a "blind index"): HMAC of the normalised value under a hash key
derived from the field key with HKDF. A lookup computes the hash under every known key, so rows
not yet rotated are still found.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SEPARATOR = "$"


@dataclass(frozen=True)
class FieldKey:
    kid: str
    encryption_key: bytes
    hash_key: bytes


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@functools.cache
def _parse_keyring(spec: str) -> tuple[FieldKey, ...]:
    if not spec.strip():
        raise ImproperlyConfigured(
            "ONEWINDOW_FIELD_KEYS is empty: personal data cannot be stored. "
            "Generate a key with `onewindow core_new_field_key`."
        )
    keys = []
    for part in spec.split(","):
        kid, sep, encoded = part.strip().partition(":")
        if not sep or not kid or SEPARATOR in kid:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS entry {kid!r} must be kid:base64key.")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS key {kid!r} is not base64.") from exc
        if len(secret) < 32:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS key {kid!r} must hold at least 32 bytes.")
        keys.append(
            FieldKey(
                kid=kid,
                encryption_key=_derive(secret, b"onewindow-field-encryption"),
                hash_key=_derive(secret, b"onewindow-field-keyed-hash"),
            )
        )
    return tuple(keys)


def keyring() -> tuple[FieldKey, ...]:
    """All known keys, the current (encrypting) one first."""
    return _parse_keyring(settings.ONEWINDOW_FIELD_KEYS)


def current_key() -> FieldKey:
    return keyring()[0]


def _key(kid: str) -> FieldKey:
    for key in keyring():
        if key.kid == kid:
            return key
    raise ImproperlyConfigured(f"No field key with id {kid!r} is configured; it is needed to decrypt data.")


def encrypt(plaintext: str) -> str:
    key = current_key()
    nonce = os.urandom(12)
    sealed = AESGCM(key.encryption_key).encrypt(nonce, plaintext.encode(), key.kid.encode())
    return key.kid + SEPARATOR + base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    kid, _, encoded = token.partition(SEPARATOR)
    key = _key(kid)
    raw = base64.b64decode(encoded)
    return AESGCM(key.encryption_key).decrypt(raw[:12], raw[12:], kid.encode()).decode()


def key_id_of(token: str) -> str:
    return token.partition(SEPARATOR)[0]


def keyed_hash(value: str, *, key: FieldKey | None = None) -> str:
    """The lookup hash of a normalised value under ``key`` (the current key by default)."""
    key = key or current_key()
    digest = hmac.new(key.hash_key, value.encode(), hashlib.sha256).hexdigest()
    return key.kid + SEPARATOR + digest


def keyed_hash_candidates(value: str) -> list[str]:
    """The hashes of ``value`` under every known key: query ``<field>__in`` with these."""
    return [keyed_hash(value, key=key) for key in keyring()]


def new_key_spec(kid: str) -> str:
    """A fresh ``kid:base64`` entry for ONEWINDOW_FIELD_KEYS."""
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"
