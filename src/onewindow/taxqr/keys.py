"""Keys of the housing-transaction QR code (房交信息二维码).

Two sides, two key pairs (issue #5, "Two deployments, one codebase"):

- the taxpayer side (internet zone) holds an Ed25519 *signing* key and the tax side's X25519
  *public* encryption key;
- the tax side (extranet zone) holds the Ed25519 *verification* keys (public only: the internal
  side holds no signing secret) and its own X25519 *decryption* key.

Every key has a key id (kid) that travels in the code, so keys rotate: a new kid signs or
encrypts new codes while codes made under older kids still verify and decrypt.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

KID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


def _raw(key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey) -> bytes:
    if isinstance(key, Ed25519PrivateKey | X25519PrivateKey):
        return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def encode_key(key: Ed25519PrivateKey | Ed25519PublicKey | X25519PrivateKey | X25519PublicKey) -> str:
    """Base64 of the raw 32-byte key, the form kept in settings and key files."""
    return base64.b64encode(_raw(key)).decode()


def check_kid(kid: str) -> str:
    if not KID_PATTERN.match(kid):
        raise ValueError(f"Key id {kid!r} must be 1-32 characters of A-Z a-z 0-9 _ . -")
    return kid


@dataclass(frozen=True)
class SenderKeys:
    """What the taxpayer side holds: its signing key and the tax side's public encryption key."""

    signing_kid: str
    signing_key: Ed25519PrivateKey
    recipient_kid: str
    recipient_key: X25519PublicKey


@dataclass(frozen=True)
class ReceiverKeys:
    """What the tax side holds: verification keys by kid and its decryption keys by kid."""

    verification_keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    decryption_keys: dict[str, X25519PrivateKey] = field(default_factory=dict)


@dataclass(frozen=True)
class KeySet:
    """A freshly generated pair of sides (the `taxqr_keys` command and the tests use it)."""

    sender: SenderKeys
    receiver: ReceiverKeys


def generate(signing_kid: str = "sig1", encryption_kid: str = "enc1") -> KeySet:
    signing = Ed25519PrivateKey.generate()
    decryption = X25519PrivateKey.generate()
    return KeySet(
        sender=SenderKeys(check_kid(signing_kid), signing, check_kid(encryption_kid), decryption.public_key()),
        receiver=ReceiverKeys({signing_kid: signing.public_key()}, {encryption_kid: decryption}),
    )


def load_ed25519_private(text: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text))


def load_ed25519_public(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def load_x25519_private(text: str) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(base64.b64decode(text))


def load_x25519_public(text: str) -> X25519PublicKey:
    return X25519PublicKey.from_public_bytes(base64.b64decode(text))
