"""The key store of the QR code (二维码密钥): files in ``settings.TAXQR_KEY_DIR``, by side.

``settings.TAXQR_ROLE`` says which side this instance is (issue #5, "two deployments, one
codebase"):

- ``taxpayer`` (internet zone) holds ``sender.json``: its Ed25519 signing key and the tax side's
  X25519 *public* encryption key;
- ``tax`` (extranet zone) holds ``receiver.json``: the Ed25519 *public* verification keys (every
  kid ever used, so old codes still verify) and its own X25519 decryption keys (every kid);
- ``both`` (the demo) holds both files.

Keys are base64 of the raw 32 bytes (keys.encode_key). ``onewindow taxqr_keys`` writes them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from . import keys

SENDER_FILE = "sender.json"
RECEIVER_FILE = "receiver.json"
ROLES = ("taxpayer", "tax", "both")


class KeysMissing(DomainError):
    """This instance has no keys for the side it needs (an operator must run the command)."""

    status = 503
    code = "taxqr_keys_missing"


def role() -> str:
    value = str(getattr(settings, "TAXQR_ROLE", "both"))
    if value not in ROLES:
        raise ValueError(f"TAXQR_ROLE must be one of {', '.join(ROLES)}, not {value!r}")
    return value


def is_taxpayer_side() -> bool:
    return role() in ("taxpayer", "both")


def is_tax_side() -> bool:
    return role() in ("tax", "both")


def key_dir() -> Path:
    return Path(settings.TAXQR_KEY_DIR)


def read_json(name: str) -> dict[str, Any] | None:
    path = key_dir() / name
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


_LOADED: dict[tuple[Path, int, int], Any] = {}


def _stamp(name: str) -> tuple[Path, int, int] | None:
    """(path, mtime, size) of a key file: parsed keys are reused until the file changes."""
    path = key_dir() / name
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return path, stat.st_mtime_ns, stat.st_size


def write_json(name: str, data: dict[str, Any]) -> Path:
    """Write a key file readable by its owner only (0600)."""
    directory = key_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    tmp.replace(path)
    return path


def _missing(side: str | Promise) -> KeysMissing:
    return KeysMissing(_("本实例未配置%(side)s二维码密钥，请运行 onewindow taxqr_keys generate。")
                       % {"side": side})


def sender_keys() -> keys.SenderKeys:
    """The taxpayer side's keys (signing key + the tax side's public encryption key)."""
    if not is_taxpayer_side():
        raise DomainError(_("本实例不是纳税人端，不能生成二维码。"), code="taxqr_wrong_side", status=403)
    stamp = _stamp(SENDER_FILE)
    if stamp is not None and stamp in _LOADED:
        return _LOADED[stamp]  # type: ignore[no-any-return]
    data = read_json(SENDER_FILE)
    if not data or "signing" not in data or "recipient" not in data:
        raise _missing(_("纳税人端"))
    loaded = keys.SenderKeys(
        signing_kid=keys.check_kid(data["signing"]["kid"]),
        signing_key=keys.load_ed25519_private(data["signing"]["key"]),
        recipient_kid=keys.check_kid(data["recipient"]["kid"]),
        recipient_key=keys.load_x25519_public(data["recipient"]["public"]),
    )
    if stamp is not None:
        _LOADED[stamp] = loaded
    return loaded


def receiver_keys() -> keys.ReceiverKeys:
    """The tax side's keys (every verification public key and every decryption key, by kid)."""
    if not is_tax_side():
        raise DomainError(_("本实例不是税务端，不能读取二维码。"), code="taxqr_wrong_side", status=403)
    stamp = _stamp(RECEIVER_FILE)
    if stamp is not None and stamp in _LOADED:
        return _LOADED[stamp]  # type: ignore[no-any-return]
    data = read_json(RECEIVER_FILE)
    if not data or not data.get("decryption"):
        raise _missing(_("税务端"))
    loaded = keys.ReceiverKeys(
        verification_keys={kid: keys.load_ed25519_public(v) for kid, v in (data.get("verification") or {}).items()},
        decryption_keys={kid: keys.load_x25519_private(v) for kid, v in data["decryption"].items()},
    )
    if stamp is not None:
        _LOADED[stamp] = loaded
    return loaded


def _next_kid(prefix: str, existing: list[str]) -> str:
    numbers = [int(k[len(prefix):]) for k in existing if k.startswith(prefix) and k[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def generate(*, rotate: bool = False) -> list[str]:
    """Create (or, with ``rotate``, add new) keys for this instance's side; return what to copy.

    Rotation gives new kids: new codes are signed/encrypted with them, while the old public
    verification keys and old decryption keys stay, so codes already printed still work.
    Refuses to overwrite existing keys without ``rotate``.
    """
    lines: list[str] = []
    sender = read_json(SENDER_FILE) or {}
    receiver = read_json(RECEIVER_FILE) or {"verification": {}, "decryption": {}}
    receiver.setdefault("verification", {})
    receiver.setdefault("decryption", {})
    if not rotate and ((is_taxpayer_side() and sender.get("signing"))
                       or (is_tax_side() and receiver.get("decryption"))):
        raise DomainError(_("密钥已存在；如需更换请使用 rotate。"), code="taxqr_keys_exist")
    if is_tax_side():
        kid = _next_kid("enc", list(receiver["decryption"]))
        generated = keys.generate("unused", kid)
        private = generated.receiver.decryption_keys[kid]
        receiver["decryption"][kid] = keys.encode_key(private)
        public = keys.encode_key(private.public_key())
        lines.append(f"tax side: encryption key {kid}; copy to the taxpayer side: "
                     f"onewindow taxqr_keys import-recipient {kid} {public}")
        if is_taxpayer_side():
            sender["recipient"] = {"kid": kid, "public": public}
    if is_taxpayer_side():
        kid = _next_kid("sig", [sender.get("signing", {}).get("kid", ""), *list(receiver["verification"])])
        generated = keys.generate(kid, "unused")
        sender["signing"] = {"kid": kid, "key": keys.encode_key(generated.sender.signing_key)}
        public = keys.encode_key(generated.sender.signing_key.public_key())
        lines.append(f"taxpayer side: signing key {kid}; copy to the tax side: "
                     f"onewindow taxqr_keys import-verification {kid} {public}")
        if is_tax_side():
            receiver["verification"][kid] = public
        write_json(SENDER_FILE, sender)
    if is_tax_side():
        write_json(RECEIVER_FILE, receiver)
    return lines


def import_recipient(kid: str, public: str) -> None:
    """Taxpayer side: encrypt new codes to the tax side's public key ``kid``."""
    keys.load_x25519_public(public)
    sender = read_json(SENDER_FILE) or {}
    sender["recipient"] = {"kid": keys.check_kid(kid), "public": public}
    write_json(SENDER_FILE, sender)


def import_verification(kid: str, public: str) -> None:
    """Tax side: accept codes signed by the taxpayer side's key ``kid`` (old kids stay)."""
    keys.load_ed25519_public(public)
    receiver = read_json(RECEIVER_FILE) or {"verification": {}, "decryption": {}}
    receiver.setdefault("verification", {})[keys.check_kid(kid)] = public
    write_json(RECEIVER_FILE, receiver)


def ensure_demo_keys() -> None:
    """The demo: keys for both sides, generated once if missing."""
    if read_json(SENDER_FILE) is None and read_json(RECEIVER_FILE) is None:
        generate()
