"""Field-key rotation (密钥轮换): re-encrypt personal data under the current key, online.

Rule (ARCHITECTURE data-model decision 6; 个人信息保护法 art. 51; GB/T 39786-2021 on key
life cycles): every encrypted value and keyed hash carries the id of its key, so an operator
puts a new key first in ``ONEWINDOW_FIELD_KEYS`` (the old ones stay listed for decryption),
restarts, and runs ``onewindow core_rotate_keys``; reads and lookups keep working throughout
because decryption and ``keyed_hash_candidates`` try every listed key. Once the command reports
nothing left under an old key, that key can be removed. A change of algorithm (AES-256-GCM to
SM4-GCM, HMAC-SHA256 to HMAC-SM3) rotates the same way: a row is stale when its key id or the
algorithm its value names differs from the current key's (core/crypto.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from . import crypto
from .fields import EncryptedTextField, KeyedHashField, normalize_for_hash


@dataclass
class RotationCount:
    model: str
    scanned: int = 0
    rotated: int = 0


def _protected_fields(model: type[models.Model]) -> tuple[list[EncryptedTextField], list[KeyedHashField]]:
    local = model._meta.local_concrete_fields
    encrypted = [f for f in local if isinstance(f, EncryptedTextField)]
    hashed = [f for f in local if isinstance(f, KeyedHashField)]
    return encrypted, hashed


def models_with_protected_fields() -> list[type[models.Model]]:
    """Every installed, managed, concrete model with an encrypted or keyed-hash column."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        encrypted, hashed = _protected_fields(model)
        if encrypted or hashed:
            found.append(model)
    return found


def _stale(value: str | None, *, hashed: bool = False) -> bool:
    """Not under the current key, or under it with an algorithm it no longer writes (密评 agility)."""
    return bool(value) and not crypto.is_current(str(value), hashed=hashed)


def _rotate_batch(model: type[models.Model], ids: list[Any], kid: str) -> int:
    """Rewrite the rows ``ids`` whose columns are not all under ``kid``; return how many changed."""
    encrypted, hashed = _protected_fields(model)
    pk = model._meta.pk
    assert pk is not None
    columns = [pk.column] + [f.column for f in encrypted] + [f.column for f in hashed]
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(model._meta.db_table)} "  # noqa: S608
           f"WHERE {quote(pk.column)} IN ({placeholders})")
    rotated = 0
    with transaction.atomic():
        list(model._default_manager.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(sql, ids)
            rows = cursor.fetchall()
        for row in rows:
            raw = dict(zip(columns, row, strict=True))
            if not (any(_stale(raw[f.column]) for f in encrypted)
                    or any(_stale(raw[f.column], hashed=True) for f in hashed)):
                continue
            clear = {f.attname: crypto.decrypt(raw[f.column]) if raw[f.column] else raw[f.column]
                     for f in encrypted}
            changes: dict[str, object] = dict(clear)
            for f in hashed:
                source = clear.get(f.source)
                if source is None:
                    source = getattr(model._default_manager.only(f.source).get(pk=raw[pk.column]), f.source)
                changes[f.attname] = crypto.keyed_hash(normalize_for_hash(source, f.normalize)) if source else ""
            model._default_manager.filter(pk=raw[pk.column]).update(**changes)
            rotated += 1
    return rotated


def rotate_field_keys(
    *, models_to_rotate: Iterable[type[models.Model]] | None = None, batch_size: int = 500
) -> list[RotationCount]:
    """Re-encrypt and re-hash every protected value not yet under the current key.

    Works in batches of ``batch_size`` rows by primary key, each batch locked and rewritten in
    its own transaction, so normal operation continues. Idempotent: rows already entirely under
    the current key id are skipped, so a second run rotates nothing.
    """
    kid = crypto.current_key().kid
    counts = []
    for model in models_to_rotate if models_to_rotate is not None else models_with_protected_fields():
        count = RotationCount(model=model._meta.label)
        last = None
        manager = model._default_manager
        while True:
            queryset = manager.order_by("pk")
            if last is not None:
                queryset = queryset.filter(pk__gt=last)
            ids = list(queryset.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            count.scanned += len(ids)
            count.rotated += _rotate_batch(model, ids, kid)
            last = ids[-1]
        counts.append(count)
    return counts
