"""Idempotent writes: one result per (user, operation, key), whatever the number of retries.

Usage inside the service's ``transaction.atomic()``::

    claim = idempotency_claim(user=by, operation="cases.apply", key=key, body=payload)
    if claim.replay_id:
        return Case.objects.get(pk=claim.replay_id)
    case = ...                     # the write
    idempotency_done(claim, case.pk)

The key row is inserted first, by one ``INSERT ... ON CONFLICT DO NOTHING`` statement: a
concurrent duplicate blocks on the unique index (PostgreSQL) or on the write lock (SQLite,
IMMEDIATE transactions) until the first commits, then finds the row and replays it. A key reused with a different body
is refused (HTTP 422).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .models import IdempotencyKey

MAX_KEY_LENGTH = 100


@dataclass
class Claim:
    row: IdempotencyKey | None
    replay_id: str = ""


def body_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def keep_hours() -> int:
    return max(24, int(getattr(settings, "ONEWINDOW_IDEMPOTENCY_HOURS", 48)))


@functools.cache
def _claim_sql(vendor: str) -> str:
    """The claim's ``INSERT ... ON CONFLICT DO NOTHING RETURNING id``, built once per process."""
    from django.db import connection

    quote = connection.ops.quote_name
    meta = IdempotencyKey._meta
    column = {f.name: str(f.column) for f in meta.concrete_fields}
    columns = ", ".join(quote(column[name])
                        for name in ("user", "operation", "key", "request_hash", "result_id", "created_at"))
    unique = ", ".join(quote(column[name]) for name in ("user", "operation", "key"))
    return (f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s, '', %s) "  # noqa: S608
            f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote(meta.pk.column)}")  # - names from _meta


def _insert_claim(*, user_id: Any, operation: str, key: str, digest: str) -> IdempotencyKey | None:
    """The key row inserted by one statement, or None when a row of the same name exists.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (PostgreSQL; SQLite >= 3.35): no savepoint is
    needed, since a duplicate is not an error. On PostgreSQL a concurrent duplicate still waits
    here for the first transaction (the unique index's speculative insertion), then finds nothing
    inserted and reads the committed row; on SQLite the IMMEDIATE transaction already serialises.
    """
    connection = transaction.get_connection()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_claim_sql(connection.vendor),
                       [user_id, operation, key, digest, connection.ops.adapt_datetimefield_value(now)])
        inserted = cursor.fetchone()
    if inserted is None:
        return None
    row = IdempotencyKey(pk=inserted[0], user_id=user_id, operation=operation, key=key, request_hash=digest,
                         result_id="", created_at=now)
    row._state.adding = False
    row._state.db = connection.alias
    return row


def idempotency_claim(*, user: Any, operation: str, key: str, body: Any) -> Claim:
    """Claim ``key`` for this write, or say which earlier result to replay. No key: no claim.

    One statement for a new key (issue #17: no expiry ``DELETE`` and no savepoint per request).
    Old keys are deleted by the hourly ``core.idempotency_purge``; a key past its keeping period
    that the purge has not reached yet is taken over here, on conflict only (lazily), as the
    ``DELETE`` before the insert used to allow.
    """
    if not key:
        return Claim(row=None)
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(_("幂等键须为不超过 100 个可打印字符。"), code="idempotency_key_invalid", status=422,
                          fields={"idempotency_key": [_("格式不正确。")]})
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_claim() must be called inside transaction.atomic().")
    digest = body_hash(body)
    user_id = user.pk
    row = _insert_claim(user_id=user_id, operation=operation, key=key, digest=digest)
    if row is not None:
        return Claim(row=row)
    fresh_after = timezone.now() - datetime.timedelta(hours=keep_hours())
    # An expired key is renewed in place; the condition is re-checked under the row lock, so of two
    # concurrent takers one renews it and the other then finds it fresh (and replays or is refused).
    taken = IdempotencyKey.objects.filter(user_id=user_id, operation=operation, key=key,
                                          created_at__lt=fresh_after).update(
        request_hash=digest, result_id="", created_at=timezone.now())
    existing = IdempotencyKey.objects.get(user_id=user_id, operation=operation, key=key)
    if taken:
        return Claim(row=existing)
    if existing.request_hash != digest:
        raise DomainError(_("该幂等键已用于内容不同的请求；请为新的请求使用新的键。"),
                          code="idempotency_key_reused", status=422)
    return Claim(row=existing, replay_id=existing.result_id)


def idempotency_done(claim: Claim, result_id: Any) -> None:
    """Record the result of the write the claim guarded (same transaction)."""
    if claim.row is not None and not claim.replay_id:
        claim.row.result_id = str(result_id)
        claim.row.save(update_fields=["result_id"])


def idempotency_purge() -> int:
    """Delete keys older than the keeping period; returns how many."""
    cutoff = timezone.now() - datetime.timedelta(hours=keep_hours())
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
