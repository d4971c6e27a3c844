"""Idempotency keys: one result per (user, operation, key); a changed body is refused; old keys go."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.core.errors import DomainError
from onewindow.core.idempotency import idempotency_claim, idempotency_done, idempotency_purge
from onewindow.core.models import IdempotencyKey

pytestmark = pytest.mark.django_db


def _claim(user: object, key: str, body: object, operation: str = "op") -> str:
    with transaction.atomic():
        claim = idempotency_claim(user=user, operation=operation, key=key, body=body)
        if claim.replay_id:
            return f"replay:{claim.replay_id}"
        idempotency_done(claim, "42")
        return "new"


def test_replay_same_body_and_refuse_other_body() -> None:
    user = UserFactory.create(username="idem")
    assert _claim(user, "k-1", {"a": 1}) == "new"
    assert _claim(user, "k-1", {"a": 1}) == "replay:42"
    with pytest.raises(DomainError) as excinfo:
        _claim(user, "k-1", {"a": 2})
    assert (excinfo.value.code, excinfo.value.status) == ("idempotency_key_reused", 422)
    assert IdempotencyKey.objects.count() == 1


def test_keys_are_scoped_per_user_and_operation() -> None:
    one, two = UserFactory.create(username="idem1"), UserFactory.create(username="idem2")
    assert _claim(one, "same", {}) == "new"
    assert _claim(two, "same", {}) == "new"
    assert _claim(one, "same", {}, operation="other") == "new"
    assert IdempotencyKey.objects.count() == 3


def test_no_key_means_no_claim_and_bad_keys_are_refused() -> None:
    user = UserFactory.create(username="idem3")
    with transaction.atomic():
        assert idempotency_claim(user=user, operation="op", key="", body={}).row is None
    for bad in ("x" * 101, "tab\tkey"):
        with pytest.raises(DomainError) as excinfo:
            _claim(user, bad, {})
        assert excinfo.value.code == "idempotency_key_invalid"
    assert not IdempotencyKey.objects.exists()


def test_a_rolled_back_write_frees_its_key() -> None:
    user = UserFactory.create(username="idem4")
    with pytest.raises(RuntimeError), transaction.atomic():
        idempotency_claim(user=user, operation="op", key="k", body={})
        raise RuntimeError("the write failed")
    assert _claim(user, "k", {"other": True}) == "new"


def test_purge_keeps_keys_at_least_24_hours(settings: object) -> None:
    user = UserFactory.create(username="idem5")
    _claim(user, "old", {})
    _claim(user, "fresh", {})
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - datetime.timedelta(hours=49))
    IdempotencyKey.objects.filter(key="fresh").update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert idempotency_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    # An expired key may be used again for another body.
    IdempotencyKey.objects.filter(key="fresh").update(created_at=timezone.now() - datetime.timedelta(hours=49))
    assert _claim(user, "fresh", {"new": 1}) == "new"
