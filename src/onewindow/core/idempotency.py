"""Idempotent writes: one result per (user, operation, key), whatever the number of retries.

Usage inside the service's ``transaction.atomic()``::

    claim = idempotency_claim(user=by, operation="cases.apply", key=key, body=payload)
    if claim.replay_id:
        return Case.objects.get(pk=claim.replay_id)
    case = ...                     # the write
    idempotency_done(claim, case.pk)

The key row is inserted first: a concurrent duplicate blocks on the unique index (PostgreSQL)
or on the write lock (SQLite, IMMEDIATE transactions) until the first commits, then finds the
row and replays it. A key reused with a different body is refused (HTTP 422).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
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


def idempotency_claim(*, user: Any, operation: str, key: str, body: Any) -> Claim:
    """Claim ``key`` for this write, or say which earlier result to replay. No key: no claim."""
    if not key:
        return Claim(row=None)
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise DomainError(_("幂等键须为不超过 100 个可打印字符。"), code="idempotency_key_invalid", status=422,
                          fields={"idempotency_key": [_("格式不正确。")]})
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("idempotency_claim() must be called inside transaction.atomic().")
    digest = body_hash(body)
    fresh_after = timezone.now() - datetime.timedelta(hours=keep_hours())
    IdempotencyKey.objects.filter(user=user, operation=operation, key=key, created_at__lt=fresh_after).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user=user, operation=operation, key=key, request_hash=digest)
        return Claim(row=row)
    except IntegrityError:
        existing = IdempotencyKey.objects.get(user=user, operation=operation, key=key)
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
