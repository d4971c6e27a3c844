"""Field encryption and keyed hashes for personal data, with named algorithms (密码算法可配置).

Rule (PIPL 个人信息保护法 art. 51: encryption and de-identification of personal information;
GB/T 39786-2021 密评: 商用密码算法 SM4/SM3 where the platform supports them, key life cycle):
ID numbers and phone numbers are never stored in clear. Each stored value carries the id of the
key that made it and, unless it is the original pair (AES-256-GCM / HMAC-SHA256), the name of its
algorithm: ``"<kid>$<base64>"`` (AES-256-GCM) or ``"<kid>$sm4-gcm$<base64>"``; keyed hashes
``"<kid>$<hex>"`` (HMAC-SHA256) or ``"<kid>$hmac-sm3$<hex>"``. Decryption reads the algorithm from
the value, so data written before an algorithm change still opens.

Key records name their algorithms: an entry of ``ONEWINDOW_FIELD_KEYS`` is ``kid:base64`` (the
algorithms of ``ONEWINDOW_FIELD_CIPHER`` / ``ONEWINDOW_FIELD_MAC``, by default aes-256-gcm /
hmac-sha256) or ``kid:<cipher>+<mac>:base64`` (e.g. ``k2027:sm4-gcm+hmac-sm3:…``). The first key
encrypts, every listed key decrypts, so keys and algorithms rotate without downtime:
``onewindow core_rotate_keys`` re-encrypts old rows in the background of normal operation.

Exact lookup uses a keyed hash (a "blind index"): HMAC of the normalised value under a hash key
derived from the field key with HKDF (HKDF-SHA256, or HKDF-SM3 for the SM algorithms). A lookup
computes the hash under every known key and algorithm, so rows not yet rotated are still found.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from dataclasses import dataclass, field

from cryptography.hazmat.backends.openssl.backend import backend as openssl
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SEPARATOR = "$"
AES_256_GCM, SM4_GCM = "aes-256-gcm", "sm4-gcm"
HMAC_SHA256, HMAC_SM3 = "hmac-sha256", "hmac-sm3"
CIPHERS = (AES_256_GCM, SM4_GCM)
MACS = (HMAC_SHA256, HMAC_SM3)
#: The algorithms of a value that names none: the format before algorithms were named.
LEGACY_CIPHER, LEGACY_MAC = AES_256_GCM, HMAC_SHA256
NONCE_BYTES, TAG_BYTES = 12, 16


@functools.cache
def sm_supported() -> bool:
    """Whether this ``cryptography``/OpenSSL build offers SM4-GCM and SM3 (GB/T 32907, GB/T 32905)."""
    try:
        return bool(openssl.cipher_supported(algorithms.SM4(bytes(16)), modes.GCM(bytes(NONCE_BYTES)))
                    and openssl.hash_supported(hashes.SM3()) and openssl.hmac_supported(hashes.SM3()))
    except Exception:  # an OpenSSL without the SM algorithms may refuse to even name them
        return False


def supported(algorithm: str) -> bool:
    if algorithm in (AES_256_GCM, HMAC_SHA256):
        return True
    if algorithm in (SM4_GCM, HMAC_SM3):
        return sm_supported()
    return False


def _kdf_hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.SM3() if algorithm in (SM4_GCM, HMAC_SM3) else hashes.SHA256()


#: HKDF info and key length per algorithm; the original pair keeps its original derivation.
_DERIVATION = {
    AES_256_GCM: (b"onewindow-field-encryption", 32),
    SM4_GCM: (b"onewindow-field-encryption-sm4", 16),
    HMAC_SHA256: (b"onewindow-field-keyed-hash", 32),
    HMAC_SM3: (b"onewindow-field-keyed-hash-sm3", 32),
}


@dataclass(frozen=True)
class FieldKey:
    """A field key record: its id, the algorithms it writes with, and its secret."""

    kid: str
    secret: bytes = field(repr=False)
    cipher: str = LEGACY_CIPHER
    mac: str = LEGACY_MAC

    def derived(self, algorithm: str) -> bytes:
        info, length = _DERIVATION[algorithm]
        return _derive(self.secret, info, length, algorithm)

    @property
    def encryption_key(self) -> bytes:
        return self.derived(self.cipher)

    @property
    def hash_key(self) -> bytes:
        return self.derived(self.mac)


@functools.cache
def _derive(secret: bytes, info: bytes, length: int, algorithm: str) -> bytes:
    return HKDF(algorithm=_kdf_hash(algorithm), length=length, salt=None, info=info).derive(secret)


def _check_algorithm(name: str, allowed: tuple[str, ...], where: str) -> str:
    if name not in allowed:
        raise ImproperlyConfigured(f"{where}: unknown algorithm {name!r} (one of {', '.join(allowed)}).")
    if not supported(name):
        raise ImproperlyConfigured(
            f"{where}: {name} is not supported by this OpenSSL ({openssl.openssl_version_text()}).")
    return name


@functools.cache
def _parse_keyring(spec: str, default_cipher: str, default_mac: str) -> tuple[FieldKey, ...]:
    if not spec.strip():
        raise ImproperlyConfigured(
            "ONEWINDOW_FIELD_KEYS is empty: personal data cannot be stored. "
            "Generate a key with `onewindow core_new_field_key`."
        )
    keys: list[FieldKey] = []
    for part in spec.split(","):
        kid, sep, rest = part.strip().partition(":")
        algorithm_names, _, encoded = rest.rpartition(":")
        if not sep or not kid or SEPARATOR in kid:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS entry {kid!r} must be kid:base64key.")
        if any(key.kid == kid for key in keys):
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS lists the key id {kid!r} twice.")
        cipher, mac = default_cipher, default_mac
        if algorithm_names:
            cipher, plus, mac = algorithm_names.partition("+")
            if not plus:
                raise ImproperlyConfigured(
                    f"ONEWINDOW_FIELD_KEYS key {kid!r}: name both algorithms, e.g. kid:sm4-gcm+hmac-sm3:base64.")
        where = f"ONEWINDOW_FIELD_KEYS key {kid!r}"
        _check_algorithm(cipher, CIPHERS, where)
        _check_algorithm(mac, MACS, where)
        try:
            secret = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS key {kid!r} is not base64.") from exc
        if len(secret) < 32:
            raise ImproperlyConfigured(f"ONEWINDOW_FIELD_KEYS key {kid!r} must hold at least 32 bytes.")
        keys.append(FieldKey(kid=kid, secret=secret, cipher=cipher, mac=mac))
    return tuple(keys)


def default_algorithms() -> tuple[str, str]:
    """The algorithms of a key entry that names none (``ONEWINDOW_FIELD_CIPHER`` / ``_MAC``)."""
    return (str(getattr(settings, "ONEWINDOW_FIELD_CIPHER", "") or LEGACY_CIPHER),
            str(getattr(settings, "ONEWINDOW_FIELD_MAC", "") or LEGACY_MAC))


def keyring() -> tuple[FieldKey, ...]:
    """All known keys, the current (encrypting) one first."""
    return _parse_keyring(settings.ONEWINDOW_FIELD_KEYS, *default_algorithms())


def current_key() -> FieldKey:
    return keyring()[0]


def _key(kid: str) -> FieldKey:
    for key in keyring():
        if key.kid == kid:
            return key
    raise ImproperlyConfigured(f"No field key with id {kid!r} is configured; it is needed to decrypt data.")


def _split(token: str, legacy: str) -> tuple[str, str, str]:
    """``(kid, algorithm, payload)`` of a stored value; a value naming no algorithm is ``legacy``."""
    kid, _, rest = token.partition(SEPARATOR)
    algorithm, sep, payload = rest.partition(SEPARATOR)
    if not sep:
        return kid, legacy, rest
    return kid, algorithm, payload


def _seal(cipher: str, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    if cipher == AES_256_GCM:
        return AESGCM(key).encrypt(nonce, plaintext, aad)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(plaintext) + encryptor.finalize() + encryptor.tag


def _open(cipher: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    if cipher == AES_256_GCM:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    if cipher != SM4_GCM:
        raise ImproperlyConfigured(f"Unknown field cipher {cipher!r} in stored data.")
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(sealed[:-TAG_BYTES]) + decryptor.finalize()


def encrypt(plaintext: str) -> str:
    """Encrypt under the current key with its cipher; the key id is authenticated data."""
    key = current_key()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _seal(key.cipher, key.derived(key.cipher), nonce, plaintext.encode(), key.kid.encode())
    body = base64.b64encode(nonce + sealed).decode()
    if key.cipher == LEGACY_CIPHER:
        return key.kid + SEPARATOR + body
    return key.kid + SEPARATOR + key.cipher + SEPARATOR + body


def decrypt(token: str) -> str:
    kid, cipher, encoded = _split(token, LEGACY_CIPHER)
    key = _key(kid)
    raw = base64.b64decode(encoded)
    return _open(cipher, key.derived(cipher), raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode()).decode()


def key_id_of(token: str) -> str:
    return token.partition(SEPARATOR)[0]


def algorithm_of(token: str, *, hashed: bool = False) -> str:
    """The algorithm a stored ciphertext (or, with ``hashed``, keyed hash) was made with."""
    return _split(token, LEGACY_MAC if hashed else LEGACY_CIPHER)[1]


def is_current(token: str, *, hashed: bool = False) -> bool:
    """Whether a stored value is under the current key and its current algorithm (rotation)."""
    key = current_key()
    return key_id_of(token) == key.kid and algorithm_of(token, hashed=hashed) == (key.mac if hashed else key.cipher)


def _mac(algorithm: str, key: bytes, value: bytes) -> str:
    mac = hmac.HMAC(key, hashes.SM3() if algorithm == HMAC_SM3 else hashes.SHA256())
    mac.update(value)
    return mac.finalize().hex()


def keyed_hash(value: str, *, key: FieldKey | None = None, algorithm: str | None = None) -> str:
    """The lookup hash of a normalised value under ``key`` (the current key by default) with its MAC."""
    key = key or current_key()
    algorithm = algorithm or key.mac
    digest = _mac(algorithm, key.derived(algorithm), value.encode())
    if algorithm == LEGACY_MAC:
        return key.kid + SEPARATOR + digest
    return key.kid + SEPARATOR + algorithm + SEPARATOR + digest


def keyed_hash_candidates(value: str) -> list[str]:
    """The hashes of ``value`` under every known key and MAC: query ``<field>__in`` with these."""
    candidates: list[str] = []
    for key in keyring():
        for algorithm in (key.mac, *(m for m in MACS if m != key.mac and supported(m))):
            candidate = keyed_hash(value, key=key, algorithm=algorithm)
            if candidate not in candidates:
                candidates.append(candidate)
    return candidates


def new_key_spec(kid: str, algorithms_named: str = "") -> str:
    """A fresh ``kid:base64`` (or ``kid:<cipher>+<mac>:base64``) entry for ONEWINDOW_FIELD_KEYS."""
    secret = base64.b64encode(os.urandom(32)).decode()
    return f"{kid}:{algorithms_named}:{secret}" if algorithms_named else f"{kid}:{secret}"
