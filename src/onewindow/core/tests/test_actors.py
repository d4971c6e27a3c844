"""The typed actor (core.actors): a user, a device or the system — and what the audit trail says of each."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from onewindow.core.actors import SYSTEM, DeviceActor, SystemActor, is_device, is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _columns(entry: AuditEntry) -> tuple[str, str, str]:
    return entry.actor_kind, entry.actor_id, entry.actor_label


def test_the_one_system_actor_and_named_jobs_are_system() -> None:
    assert SystemActor("system") == SYSTEM
    assert system_actor("core_calendar_set") == SystemActor("core_calendar_set")
    assert system_actor("") == SYSTEM
    assert is_system(SYSTEM) and is_system(system_actor("x"))
    assert not is_system(AnonymousUser()) and not is_device(SYSTEM)


def test_a_device_is_anything_with_a_device_label() -> None:
    device = SimpleNamespace(pk=7, device_label="device:7 大厅一体机")
    assert isinstance(device, DeviceActor) and is_device(device)
    assert not is_device(AnonymousUser())


def test_the_audit_trail_records_each_kind_of_actor(django_user_model) -> None:
    user = django_user_model.objects.create_user(username="clerk1", password="x")
    device = SimpleNamespace(pk=7, device_label="device:7 大厅一体机")
    rows = [audit_record(actor=actor, action="test.write") for actor in
            (user, device, system_actor("core_calendar_set"), SYSTEM, AnonymousUser(), None)]
    assert [_columns(r) for r in rows] == [
        ("user", str(user.pk), "clerk1"),
        ("device", "7", "device:7 大厅一体机"),
        ("system", "", "core_calendar_set"),
        ("system", "", "system"),
        ("anonymous", "", ""),
        ("anonymous", "", ""),
    ]


def test_a_bare_string_is_refused_and_nothing_is_written() -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(TypeError, match="system_actor"):
        audit_record(actor="scheduler", action="test.write")  # type: ignore[arg-type]
    assert AuditEntry.objects.count() == before
