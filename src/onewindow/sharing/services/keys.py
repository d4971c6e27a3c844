"""The signing keys of the exchange log (签名密钥): own keys per department or for the installation,
and the public keys of peer installations.

Rule (issue #13, after X-Road): every exchange log entry is signed (Ed25519) by its side's key —
the department's that took part, or the installation's — so the log proves who recorded what.
An own key is created on first use; rotating it retires the old key, which stays to verify the
entries it signed. Private keys are stored only in the encrypted column (core crypto) and are never
logged, exported or shown. A peer installation's public keys are imported from its
``onewindow sharing_keys export`` so this side can verify the peer's signed statements.
Actor: the exchange (first use), the operator through ``onewindow sharing_keys``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.actors import Actor, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, DomainError
from onewindow.core.locks import lock_or_create
from onewindow.core.models import Department, NumberCounter

from .. import signing
from ..canonical import installation_code
from ..models import PeerInstallation, SigningKey

KEY_SCOPE_PREFIX = "sharing-key-"

#: The active own key of each owner, kept per process for this many seconds: reading and decrypting
#: it was about a third of an in-process exchange (docs/benchmarks.md, issue #13). A key rotated by
#: another process is picked up within this time; what this process signs meanwhile with the
#: retired key still verifies (retired keys stay for verification).
SIGNING_KEY_TTL = 60.0
_ACTIVE: dict[str, tuple[float, SigningKey]] = {}


def forget_signing_keys() -> None:
    """Drop the per-process copies of the active keys (tests; a rotation drops its owner's)."""
    _ACTIVE.clear()


def _remember(label: str, key: SigningKey) -> None:
    # Only once the transaction that read (or created) the key has committed: a key created in a
    # transaction that rolls back must never sign anything.
    transaction.on_commit(lambda: _ACTIVE.__setitem__(label, (time.monotonic() + SIGNING_KEY_TTL, key)))
_KID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,59}$")


def party_code(department: Department | None) -> str:
    """A consumer or provider code in the log: ``<installation code>:<department code>`` (the
    installation's own code alone when no department)."""
    return f"{installation_code()}:{department.code}" if department is not None else installation_code()


def _owner_label(department: Department | None) -> str:
    return department.code if department is not None else "install"


def _own_keys(department: Department | None) -> QuerySet[SigningKey]:
    keys = SigningKey.objects.filter(peer__isnull=True)
    return keys.filter(department=department) if department is not None else keys.filter(department__isnull=True)


def _new_key(department: Department | None, counter: NumberCounter) -> SigningKey:
    """Create the next own key of ``department`` (caller holds the lock of ``counter``)."""
    counter.value += 1
    counter.save(update_fields=["value"])
    private, public = signing.new_key_pair()
    kid = f"{installation_code()}-{_owner_label(department)}-{counter.value}"
    return SigningKey.objects.create(kid=kid, department=department, public_key=public, private_key=private,
                                     active=True, created_at=timezone.now())


def signing_key_for(department: Department | None = None) -> SigningKey:
    """The active own key of ``department`` (or of the installation when None), created on first use.

    The kid is ``<installation code>-<department code or 'install'>-<n>``; n counts the keys of
    that owner (one core counter row per owner, locked while a key is created, so two first uses
    at once create one key). The creation is audited as the system actor ``sharing.keys``.
    """
    label = _owner_label(department)
    cached = _ACTIVE.get(label)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    key = _own_keys(department).filter(active=True).order_by("-id").first()
    if key is not None:
        _remember(label, key)
        return key
    with transaction.atomic():
        counter = lock_or_create(NumberCounter, scope=KEY_SCOPE_PREFIX + _owner_label(department))
        key = _own_keys(department).filter(active=True).order_by("-id").first()
        if key is not None:  # another caller created it while this one waited for the lock
            return key
        key = _new_key(department, counter)
        audit_record(actor=system_actor("sharing.keys"), action="sharing.key_create", target=key,
                     after={"kid": key.kid, "department": _owner_label(department)})
        _remember(label, key)
    return key


def key_rotate(*, by: Actor, department: Department | None = None) -> SigningKey:
    """Retire the active own key of ``department`` (or the installation's) and create the next one.

    The retired key keeps its public key (and its private key, never used again) so the entries it
    signed still verify; new entries are signed with the new key. Actor: the operator
    (``onewindow sharing_keys rotate``), e.g. on a schedule or when a key may be exposed.
    """
    _ACTIVE.pop(_owner_label(department), None)
    with transaction.atomic():
        counter = lock_or_create(NumberCounter, scope=KEY_SCOPE_PREFIX + _owner_label(department))
        now = timezone.now()
        retired = [key.kid for key in _own_keys(department).select_for_update().filter(active=True)]
        _own_keys(department).filter(active=True).update(active=False, retired_at=now)
        key = _new_key(department, counter)
        audit_record(actor=by, action="sharing.key_rotate", target=key,
                     before={"kids": retired}, after={"kid": key.kid, "department": _owner_label(department)})
    return key


def _key_dict(key: SigningKey) -> dict[str, Any]:
    return {
        "kid": key.kid,
        "public_key": key.public_key,
        "department": key.department.code if key.department_id and key.department else "",
        "active": key.active,
        "created_at": key.created_at.isoformat(),
        "retired_at": key.retired_at.isoformat() if key.retired_at else None,
    }


def public_keys_export() -> dict[str, Any]:
    """The public half of every own key (active and retired), for a peer to import: a JSON-ready
    dict ``{"installation": code, "keys": [{kid, public_key, department, active, created_at,
    retired_at}]}``. Never includes a private key."""
    keys = _own_keys_all().select_related("department").order_by("kid")
    return {"installation": installation_code(), "keys": [_key_dict(key) for key in keys]}


def _own_keys_all() -> QuerySet[SigningKey]:
    return SigningKey.objects.filter(peer__isnull=True)


def _invalid(message: Any, code: str = "sharing_keys_invalid") -> DomainError:
    return DomainError(message, code=code)


def _parse_keys(keys_json: str | bytes | dict[str, Any]) -> list[dict[str, Any]]:
    try:
        data = json.loads(keys_json) if isinstance(keys_json, str | bytes) else keys_json
    except ValueError as exc:
        raise _invalid(_("公钥文件不是有效的 JSON。")) from exc
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        raise _invalid(_("公钥文件中没有公钥（应包含 keys 列表）。"))
    parsed = []
    for item in keys:
        if not isinstance(item, dict):
            raise _invalid(_("公钥文件中的每个公钥应为一个对象。"))
        kid, public = item.get("kid"), item.get("public_key")
        if not isinstance(kid, str) or not _KID_RE.match(kid):
            raise _invalid(_("密钥标识无效：%(kid)s") % {"kid": str(kid)[:60]})
        try:
            raw = base64.b64decode(public, validate=True) if isinstance(public, str) else b""
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise _invalid(_("密钥 %(kid)s 的公钥不是 32 字节的 Ed25519 公钥（Base64）。") % {"kid": kid})
        parsed.append({"kid": kid, "public_key": public, "active": bool(item.get("active", True))})
    return parsed


def peer_keys_import(*, by: Actor, peer_code: str, name: str, base_url: str,
                     keys_json: str | bytes | dict[str, Any]) -> PeerInstallation:
    """Record a peer installation and its public keys (as exported by its ``sharing_keys export``).

    Creates or updates the :class:`PeerInstallation` (name, exchange base URL) and one public-only
    :class:`SigningKey` per kid. Refuses, changing nothing: the own installation code; a kid that is
    one of this installation's own keys or another peer's (``sharing_key_kid_collision``); a known
    kid of this peer with a different public key (``sharing_key_changed`` — entries it signed must
    keep verifying; the peer rotates to a new kid instead). A key the peer marks inactive is stored
    retired. Actor: the operator (``onewindow sharing_keys import``).
    """
    peer_code = (peer_code or "").strip()
    if not peer_code or len(peer_code) > 40:
        raise _invalid(_("请填写对端平台编码（不超过 40 个字符）。"), code="sharing_peer_code_invalid")
    if peer_code == installation_code():
        raise _invalid(_("对端平台编码不能与本平台编码相同。"), code="sharing_peer_code_invalid")
    try:
        URLValidator(schemes=["http", "https"])(base_url)
    except ValidationError as exc:
        raise _invalid(_("对端交换地址不是有效的 http(s) 地址。"), code="sharing_peer_url_invalid") from exc
    keys = _parse_keys(keys_json)
    with transaction.atomic():
        peer = PeerInstallation.objects.select_for_update().filter(code=peer_code).first()
        before = {"name": peer.name, "base_url": peer.base_url} if peer else None
        if peer is None:
            try:
                with transaction.atomic():
                    peer = PeerInstallation.objects.create(code=peer_code, name=name[:100], base_url=base_url)
            except IntegrityError as exc:
                raise Conflict(_("对端平台正在被同时导入，请重试。"), code="sharing_peer_busy") from exc
        else:
            peer.name, peer.base_url = name[:100] or peer.name, base_url
            peer.save(update_fields=["name", "base_url"])
        added = []
        now = timezone.now()
        for item in keys:
            existing = SigningKey.objects.select_for_update().filter(kid=item["kid"]).first()
            if existing is not None and existing.peer_id != peer.pk:
                raise Conflict(_("密钥标识 %(kid)s 已被本平台或其他对端平台使用。") % {"kid": item["kid"]},
                               code="sharing_key_kid_collision")
            if existing is not None and existing.public_key != item["public_key"]:
                raise Conflict(_("密钥 %(kid)s 的公钥与已导入的不同；对端更换密钥时应使用新的密钥标识。")
                               % {"kid": item["kid"]}, code="sharing_key_changed")
            if existing is None:
                SigningKey.objects.create(kid=item["kid"], peer=peer, public_key=item["public_key"],
                                          active=item["active"], retired_at=None if item["active"] else now)
                added.append(item["kid"])
            elif existing.active and not item["active"]:
                existing.active, existing.retired_at = False, now
                existing.save(update_fields=["active", "retired_at"])
        audit_record(actor=by, action="sharing.peer_keys_import", target=peer, before=before,
                     after={"name": peer.name, "base_url": peer.base_url, "added_kids": added})
    return peer


def public_key_of(kid: str) -> str | None:
    """The public key (Base64) of ``kid``, own or a peer's; None when unknown."""
    return SigningKey.objects.filter(kid=kid).values_list("public_key", flat=True).first()
