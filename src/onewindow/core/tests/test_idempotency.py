"""Idempotency keys: one result per (user, operation, key); a changed body is refused; old keys go."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.core.errors import DomainError
from onewindow.core.idempotency import idempotency_claim, idempotency_done, idempotency_purge
from onewindow.core.models import IdempotencyKey
from onewindow.core.testing import WAIT_SECONDS, join_all

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


def test_a_new_key_is_claimed_by_one_statement() -> None:
    """Issue #17: no expiry DELETE and no savepoint per request; old keys go by the hourly purge."""
    user = UserFactory.create(username="idem6")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        claim = idempotency_claim(user=user, operation="op", key="one-statement", body={"a": 1})
    assert [q["sql"].split(" (")[0] for q in queries.captured_queries] == ['INSERT INTO "core_idempotencykey"']
    assert claim.row is not None and claim.replay_id == ""
    assert IdempotencyKey.objects.get(pk=claim.row.pk).key == "one-statement"


def test_an_expired_key_is_renewed_on_conflict_and_then_replays() -> None:
    user = UserFactory.create(username="idem7")
    assert _claim(user, "late", {"v": 1}) == "new"
    IdempotencyKey.objects.filter(key="late").update(result_id="41",
                                                     created_at=timezone.now() - datetime.timedelta(hours=49))
    assert _claim(user, "late", {"v": 2}) == "new"
    row = IdempotencyKey.objects.get(key="late")
    assert (row.result_id, row.created_at > timezone.now() - datetime.timedelta(minutes=5)) == ("42", True)
    assert _claim(user, "late", {"v": 2}) == "replay:42"
    with pytest.raises(DomainError):
        _claim(user, "late", {"v": 1})
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_waits_for_the_first_and_replays_it() -> None:
    """The second request of a key arrives while the first's transaction is open: it waits on the
    unique index (PostgreSQL) or the write lock (SQLite), then replays the first's result."""
    user = UserFactory.create(username="idem8")
    claimed, outcome, errors = threading.Event(), [], []

    def first() -> None:
        try:
            with transaction.atomic():
                claim = idempotency_claim(user=user, operation="op", key="dup", body={"a": 1})
                claimed.set()
                threading.Event().wait(0.5)  # the second request arrives meanwhile
                idempotency_done(claim, "77")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            claimed.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            assert claimed.wait(WAIT_SECONDS), "the first request never claimed the key"
            with transaction.atomic():
                claim = idempotency_claim(user=user, operation="op", key="dup", body={"a": 1})
                outcome.append(claim.replay_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    assert outcome == ["77"]
    assert list(IdempotencyKey.objects.values_list("key", "result_id")) == [("dup", "77")]
