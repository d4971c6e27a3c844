"""The per-process copy of the active signing keys: kept once committed, never for a key whose
transaction rolled back, dropped by a rotation."""

from __future__ import annotations

from typing import Any

from onewindow.core.actors import system_actor
from onewindow.sharing.models import SigningKey
from onewindow.sharing.services import keys as key_service
from onewindow.sharing.testing import SharingWorld

BY = system_actor("test")


def test_a_committed_key_is_kept_and_read_without_a_query(
    sharing_world: SharingWorld, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        key = key_service.signing_key_for(sharing_world.consumer)
    with django_assert_num_queries(0):
        again = key_service.signing_key_for(sharing_world.consumer)
    assert again.kid == key.kid == "OW-LOCAL-TEST-310106-XZFW-1"
    assert again.private_key == key.private_key


def test_a_key_of_a_transaction_not_committed_is_not_kept(
    sharing_world: SharingWorld, django_capture_on_commit_callbacks: Any, django_assert_num_queries: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        key = key_service.signing_key_for(sharing_world.consumer)
    assert len(callbacks) == 1  # the key's creation, waiting for a commit that never came
    assert key_service._ACTIVE == {}
    with django_assert_num_queries(1):  # read again from the database
        assert key_service.signing_key_for(sharing_world.consumer).kid == key.kid


def test_a_rotation_drops_the_kept_key(sharing_world: SharingWorld, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        old = key_service.signing_key_for(sharing_world.consumer)
        new = key_service.key_rotate(by=BY, department=sharing_world.consumer)
        current = key_service.signing_key_for(sharing_world.consumer)
    assert (old.kid, new.kid, current.kid) == ("OW-LOCAL-TEST-310106-XZFW-1", "OW-LOCAL-TEST-310106-XZFW-2",
                                               "OW-LOCAL-TEST-310106-XZFW-2")
    assert list(SigningKey.objects.filter(active=True).values_list("kid", flat=True)) == [new.kid]
