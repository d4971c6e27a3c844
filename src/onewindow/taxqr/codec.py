"""The housing-transaction QR payload: compact, signed, encrypted, Base45, split into parts.

Anchors: the EU digital COVID certificate (HCERT: CBOR → zlib → signature → Base45 with an
``HC1:`` prefix) and the US FTA/NACTP 2-D barcode standard for tax forms (a versioned header,
several codes per return). Why each layer (issue #5):

- **CBOR + zlib**: the record is small enough for few, low-version (reliably scannable) codes.
- **Ed25519 signature** by the taxpayer side: the window knows the data left the client unchanged
  and which rule-set version validated it. The tax side holds only public verification keys.
- **Encryption to the tax side's X25519 key** (ephemeral ECDH + HKDF-SHA256 + AES-256-GCM): a lost
  printout or a photographed screen reveals no ID number (个人信息保护法 art. 51).
- **Base45 (RFC 9285)**: only characters of the QR alphanumeric mode, so the code is denser than
  byte mode and a keyboard-wedge scanner gun types it as plain keystrokes.

Text of one part (all characters in the QR alphanumeric set)::

    OWT1:<index>/<total>:<HASH8>:<length>:<base45 chunk>.

``HASH8`` is the first 4 bytes (hex) of SHA-256 of the whole envelope, so parts of two different
records are never mixed, and ``length`` lets parts typed in one line without separators be split
again. Parts are accepted in any order.

Envelope (binary, version 1)::

    0x01 | len(enc_kid) | enc_kid | ephemeral X25519 public key (32) | nonce (12) | AES-GCM(inner)
    inner = len(sig_kid) | sig_kid | Ed25519 signature (64) | zlib(CBOR(payload))
    signature over b"OWT1" | sig_kid | zlib(CBOR(payload))
    payload = {"v": rule-set version, "t": issued-at (epoch seconds), "r": record}
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
import zlib
from dataclasses import dataclass
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from .keys import KID_PATTERN, ReceiverKeys, SenderKeys, _raw

PREFIX = "OWT1"
ENVELOPE_VERSION = 1
SIGNATURE_CONTEXT = b"OWT1"
HKDF_INFO = b"onewindow-taxqr-v1"
# Characters per part. 960 alphanumeric characters fit QR version 20 at error
# correction level M (capacity 970), which prints at about 4 cm and scans reliably.
DEFAULT_PART_CHARS = 960
TERMINATOR = "."
HEADER_RESERVE = len("OWT1:16/16:0123ABCD:1000:.")
MAX_PARTS = 16
_HEADER = re.compile(rf"{PREFIX}:(\d{{1,2}})/(\d{{1,2}}):([0-9A-F]{{8}}):(\d{{1,4}}):")


class QrError(DomainError):
    """A code the window cannot accept; ``code`` says why, the message what to do."""

    status = 422


@dataclass(frozen=True)
class Decoded:
    """A verified and decrypted record with the facts the window needs to judge it."""

    record: dict[str, Any]
    ruleset_version: str
    issued_at: int
    signing_kid: str
    encryption_kid: str
    envelope_hash: str


@dataclass(frozen=True)
class Part:
    index: int
    total: int
    digest: str
    data: str


# ---- encoding -------------------------------------------------------------------------------

def _derive_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=HKDF_INFO).derive(shared)


def seal(record: dict[str, Any], *, keys: SenderKeys, ruleset_version: str,
         issued_at: int | None = None) -> bytes:
    """The binary envelope of ``record``: compressed, signed, then encrypted to the tax side."""
    payload = {"v": ruleset_version, "t": int(time.time()) if issued_at is None else issued_at, "r": record}
    body = zlib.compress(cbor2.dumps(payload, canonical=True), 9)
    sig_kid = keys.signing_kid.encode()
    signature = keys.signing_key.sign(SIGNATURE_CONTEXT + sig_kid + body)
    inner = bytes([len(sig_kid)]) + sig_kid + signature + body

    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = _raw(ephemeral.public_key())
    recipient_public = _raw(keys.recipient_key)
    key = _derive_key(ephemeral.exchange(keys.recipient_key), ephemeral_public, recipient_public)
    nonce = os.urandom(12)
    enc_kid = keys.recipient_kid.encode()
    header = bytes([ENVELOPE_VERSION, len(enc_kid)]) + enc_kid + ephemeral_public + nonce
    return header + AESGCM(key).encrypt(nonce, inner, header)


def envelope_digest(envelope: bytes) -> str:
    return hashlib.sha256(envelope).hexdigest()[:8].upper()


def split(envelope: bytes, *, part_chars: int = DEFAULT_PART_CHARS) -> list[str]:
    """The texts of the QR codes carrying ``envelope`` (Base45 needs 3 characters per 2 bytes).

    ``part_chars`` bounds the whole text of a part, header and terminator included.
    """
    bytes_per_part = ((part_chars - HEADER_RESERVE) // 3) * 2
    total = max(1, math.ceil(len(envelope) / bytes_per_part))
    if total > MAX_PARTS:
        raise QrError(_("信息过多，无法生成二维码，请精简后重试。"), code="qr_too_large")
    digest = envelope_digest(envelope)
    texts = []
    for index in range(total):
        chunk = base45.b45encode(envelope[index * bytes_per_part:(index + 1) * bytes_per_part]).decode()
        # The closing "." keeps a trailing space of the Base45 text from being trimmed away.
        texts.append(f"{PREFIX}:{index + 1}/{total}:{digest}:{len(chunk)}:{chunk}{TERMINATOR}")
    return texts


def encode(record: dict[str, Any], *, keys: SenderKeys, ruleset_version: str,
           part_chars: int = DEFAULT_PART_CHARS, issued_at: int | None = None) -> list[str]:
    """Record → the texts of its QR codes (one or more parts)."""
    return split(seal(record, keys=keys, ruleset_version=ruleset_version, issued_at=issued_at),
                 part_chars=part_chars)


# ---- decoding -------------------------------------------------------------------------------

def parse_parts(text: str) -> list[Part]:
    """Every part found in ``text``: one per line, or several typed in one line by a scanner gun."""
    parts: list[Part] = []
    cleaned = text.replace("\r", "\n")
    position = 0
    found_any = False
    while True:
        start = cleaned.find(f"{PREFIX}:", position)
        if start < 0:
            break
        match = _HEADER.match(cleaned, start)
        if not match:
            raise QrError(_("二维码内容不完整或已损坏，请重新扫描。"), code="qr_corrupt")
        found_any = True
        index, total, digest, length = int(match[1]), int(match[2]), match[3], int(match[4])
        data = cleaned[match.end():match.end() + length]
        if len(data) < length or "\n" in data:
            raise QrError(_("二维码内容被截断，请重新扫描。"), code="qr_truncated")
        if not 1 <= index <= total <= MAX_PARTS:
            raise QrError(_("二维码分段编号有误，请重新扫描。"), code="qr_corrupt")
        parts.append(Part(index, total, digest, data))
        position = match.end() + length
    if not found_any:
        raise QrError(_("这不是本系统生成的房产交易二维码。"), code="qr_foreign")
    return parts


def join(parts: list[Part]) -> bytes:
    """The envelope from its parts, in any order; refuses missing, duplicated or mixed parts."""
    digests = {part.digest for part in parts}
    totals = {part.total for part in parts}
    if len(digests) > 1 or len(totals) > 1:
        raise QrError(_("扫描的二维码分属不同的申报记录，请只扫描同一份记录的二维码。"), code="qr_parts_mixed")
    total = totals.pop()
    by_index: dict[int, Part] = {}
    for part in parts:
        if part.index in by_index and by_index[part.index].data != part.data:
            raise QrError(_("同一分段扫描到不同内容，请重新扫描。"), code="qr_parts_mixed")
        by_index[part.index] = part
    missing = [i for i in range(1, total + 1) if i not in by_index]
    if missing:
        raise QrError(
            _("还缺少第 %(missing)s 段二维码（共 %(total)s 段），请继续扫描。")
            % {"missing": "、".join(str(i) for i in missing), "total": total},
            code="qr_part_missing",
        )
    try:
        envelope = b"".join(base45.b45decode(by_index[i].data) for i in range(1, total + 1))
    except ValueError as exc:
        raise QrError(_("二维码内容不完整或已损坏，请重新扫描。"), code="qr_corrupt") from exc
    if envelope_digest(envelope) != digests.pop():
        raise QrError(_("二维码内容不完整或已损坏，请重新扫描。"), code="qr_corrupt")
    return envelope


#: Largest decompressed payload accepted (a record is a few kB; a client draft is capped at 64 kB).
MAX_PAYLOAD_BYTES = 256_000
#: Issue times accepted: 2000-01-01 .. 2100-01-01 (epoch seconds).
_ISSUED_AT = range(946_684_800, 4_102_444_800)


def _corrupt() -> QrError:
    return QrError(_("二维码内容不完整或已损坏，请重新扫描。"), code="qr_corrupt")


def _kid(raw: bytes) -> str:
    """A key id from the envelope: printable ASCII of the key-id alphabet, else ``qr_corrupt``."""
    try:
        kid = raw.decode("ascii")
    except UnicodeDecodeError:
        raise _corrupt() from None
    if not KID_PATTERN.fullmatch(kid):
        raise _corrupt()
    return kid


def _decompress(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(body, MAX_PAYLOAD_BYTES)
    except zlib.error:
        raise _corrupt() from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise _corrupt()  # larger than any real record (a zlib bomb), or cut short
    return data


def open_envelope(envelope: bytes, *, keys: ReceiverKeys) -> Decoded:
    """Decrypt with the tax side's key and verify the signature with a public key only.

    Every malformed input (any bytes) is refused with :class:`QrError` (422, a ``qr_*`` code),
    never another exception: lengths are checked before slicing, key ids must be short ASCII
    names, the decompressed payload is bounded and its shape checked (issue #9).
    """
    if not envelope or envelope[0] != ENVELOPE_VERSION:
        raise QrError(_("二维码版本不受支持，请使用最新的客户端重新生成。"), code="qr_version")
    if len(envelope) < 2:
        raise _corrupt()
    kid_len = envelope[1]
    offset = 2 + kid_len
    if len(envelope) < offset + 44 + 16:  # header, then at least the AES-GCM tag
        raise _corrupt()
    enc_kid = _kid(envelope[2:offset])
    ephemeral_public = envelope[offset:offset + 32]
    nonce = envelope[offset + 32:offset + 44]
    header, ciphertext = envelope[:offset + 44], envelope[offset + 44:]
    private = keys.decryption_keys.get(enc_kid)
    if private is None:
        raise QrError(_("二维码使用了本窗口未配置的加密密钥（%(kid)s），请联系系统管理员。") % {"kid": enc_kid},
                      code="qr_unknown_key")
    recipient_public = _raw(private.public_key())
    try:
        # A low-order point (e.g. all zeros) gives an all-zero shared secret: OpenSSL refuses it.
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _derive_key(shared, ephemeral_public, recipient_public)
        inner = AESGCM(key).decrypt(nonce, ciphertext, header)
    except (InvalidTag, ValueError) as exc:
        raise _corrupt() from exc
    if not inner:
        raise _corrupt()
    sig_kid_len = inner[0]
    if len(inner) < 1 + sig_kid_len + 64:
        raise _corrupt()
    sig_kid = _kid(inner[1:1 + sig_kid_len])
    signature = inner[1 + sig_kid_len:1 + sig_kid_len + 64]
    body = inner[1 + sig_kid_len + 64:]
    verifier = keys.verification_keys.get(sig_kid)
    if verifier is None:
        message = _("二维码的签名密钥（%(kid)s）未登记或已停用，请让纳税人用最新客户端重新生成。")
        raise QrError(message % {"kid": sig_kid}, code="qr_unknown_key")
    try:
        verifier.verify(signature, SIGNATURE_CONTEXT + sig_kid.encode() + body)
    except InvalidSignature as exc:
        raise QrError(_("二维码签名校验失败，内容可能被篡改。"), code="qr_bad_signature") from exc
    try:
        payload = cbor2.loads(_decompress(body))
    except QrError:
        raise
    except Exception as exc:  # cbor2 raises many types on hostile input (tags, recursion); all mean corrupt
        raise _corrupt() from exc
    # The record's own shape is checked by record.from_wire (qr_payload_invalid).
    if not isinstance(payload, dict) or "r" not in payload:
        raise _corrupt()
    version, issued_at = payload.get("v"), payload.get("t")
    if not isinstance(version, str) or not 0 < len(version) <= 20 or type(issued_at) is not int \
            or issued_at not in _ISSUED_AT:
        raise _corrupt()
    return Decoded(record=payload["r"], ruleset_version=version, issued_at=issued_at,
                   signing_kid=sig_kid, encryption_kid=enc_kid, envelope_hash=envelope_digest(envelope))


def decode(text: str | list[str], *, keys: ReceiverKeys) -> Decoded:
    """The texts of the scanned codes (any order, joined or separate) → the verified record."""
    joined = "\n".join(text) if isinstance(text, list) else text
    return open_envelope(join(parse_parts(joined)), keys=keys)
