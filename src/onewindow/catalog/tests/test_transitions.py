"""Every (status, action) pair of an implementation item (实施清单事项) through the real services, and
every principal against every action.

A legal pair moves the item to its target status and appends the item's event row: the new
immutable version n+1, which records who (``created_by``), when (``created_at``), the status and
the reason, with the audit entry ``catalog.item_<action>`` in the same transaction. An illegal
pair is refused with 409 ``item_illegal_transition``, an actor who may not act with 403
``item_action_forbidden``. A refusal changes nothing: the same status and current version, no new
version, no audit entry, the same catalog generation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals, StaffRoleFactory, UserFactory
from onewindow.catalog import services, workflow
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import BasicItem, CatalogGeneration, ItemVersion, ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

from .conftest import content

A, S, W = ItemStatus.ACTIVE, ItemStatus.SUSPENDED, ItemStatus.WITHDRAWN
ACTIONS = ["revise", "suspend", "restore", "withdraw"]
#: (status, action) -> the status after the action; every pair not listed is refused with 409.
EXPECTED: dict[tuple[str, str], str] = {
    (A, "revise"): A,
    (S, "revise"): S,
    (A, "suspend"): S,
    (S, "restore"): A,
    (A, "withdraw"): W,
    (S, "withdraw"): W,
}
#: Who may take every action: a department admin of the item's department (the principal
#: "manager"), a system admin ("admin") and the system (an import, the demo loader).
ALLOWED = {"manager", "admin", "system"}
_codes = itertools.count(1)


@dataclass(frozen=True)
class Kiosk:
    """A device acting through its token (core.actors.DeviceActor)."""

    pk: int = 1
    device_label: str = "静安区取号机 01"


def actor_of(p: Principals, name: str) -> Any:
    if name == "anonymous":
        return AnonymousUser()
    if name == "device":
        return Kiosk()
    if name == "system":
        return system_actor("catalog_import")
    if name == "admin_other_department":
        user = UserFactory.create(username="p_admin_other_department", is_staff=True)
        StaffRoleFactory.create(
            user=user, role=StaffRoleKind.DEPARTMENT_ADMIN, department=p.other_department, region=None
        )
        return user
    return p.users[name]


ACTORS = [*PRINCIPAL_NAMES, "system", "admin_other_department"]


def publish(p: Principals, by: Any) -> ServiceItem:
    n = next(_codes)
    return services.item_create(
        by=by,
        code=f"TESTCATALOG{n:06d}",
        basic_code=f"01TC{n:06d}",
        department=p.department,
        region=p.district,
        level="district",
        materials=[{"name": "居民身份证", "form": "original"}],
        **content(),
    )


def item_in(p: Principals, status: str) -> ServiceItem:
    """A fresh item in ``status``, brought there by the department's admin."""
    item = publish(p, p.manager)
    if status in (S, W):
        services.item_suspend(by=p.manager, item=item, reason="系统升级暂停受理")
    if status == W:
        services.item_withdraw(by=p.manager, item=item, reason="国务院决定取消该许可")
    item.refresh_from_db()
    assert item.status == status
    return item


def call(action: str, by: Any, item: ServiceItem) -> ItemVersion:
    calls: dict[str, Callable[[], ItemVersion]] = {
        "revise": lambda: services.item_revise(by=by, item=item, promised_limit=5, change_note="提速"),
        "suspend": lambda: services.item_suspend(by=by, item=item, reason="系统升级"),
        "restore": lambda: services.item_restore(by=by, item=item, reason="系统升级完成"),
        "withdraw": lambda: services.item_withdraw(by=by, item=item, reason="许可已取消"),
    }
    return calls[action]()


def snapshot(item: ServiceItem) -> tuple[Any, ...]:
    item.refresh_from_db()
    return (
        item.status,
        item.current_version_id,
        ItemVersion.objects.filter(item=item).count(),
        AuditEntry.objects.filter(target_type="catalog.serviceitem", target_id=str(item.pk)).count(),
        CatalogGeneration.objects.get(pk=1).value,
    )


def test_the_table_is_the_expected_one() -> None:
    """The workflow's table says what this walk checks, no more and no less."""
    table = {(s, a): workflow.target(s, a) for s in ItemStatus.values for a in ACTIONS if workflow.allowed(s, a)}
    assert table == EXPECTED
    assert set(workflow.ACTORS) == {"publish", *ACTIONS}
    assert workflow.PUBLISHED == A


@pytest.mark.parametrize("status", ItemStatus.values)
def test_each_action_from_status(principals: Principals, status: str) -> None:
    p = principals
    for action in ACTIONS:
        item = item_in(p, status)
        previous = item.current_version
        assert previous is not None
        before = snapshot(item)
        if (status, action) not in EXPECTED:
            with pytest.raises(DomainError) as refused:
                call(action, p.manager, item)
            assert (refused.value.status, refused.value.code) == (409, "item_illegal_transition"), (status, action)
            assert snapshot(item) == before, (status, action)
            continue
        version = call(action, p.manager, item)
        item.refresh_from_db()
        target = EXPECTED[(status, action)]
        assert (item.status, item.current_version_id) == (target, version.pk), (status, action)
        # The event row: version n+1 with who, the new status and the reason.
        assert (version.number, version.status, version.created_by_id) == (previous.number + 1, target, p.manager.pk)
        reason = {"suspend": "系统升级", "restore": "系统升级完成", "withdraw": "许可已取消"}.get(action)
        assert version.status_reason == (reason or previous.status_reason)
        assert ItemVersion.objects.filter(item=item).count() == before[2] + 1
        entry = AuditEntry.objects.filter(target_type="catalog.serviceitem", target_id=str(item.pk)).latest("id")
        assert (entry.action, entry.actor_id, entry.role) == (
            f"catalog.item_{action}",
            str(p.manager.pk),
            StaffRoleKind.DEPARTMENT_ADMIN,
        )
        assert (entry.before["status"], entry.after["status"]) == (status, target)
        assert CatalogGeneration.objects.get(pk=1).value > before[4]


@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_take_each_action(principals: Principals, action: str) -> None:
    p = principals
    status = S if action == "restore" else A
    for name in ACTORS:
        item = item_in(p, status)
        before = snapshot(item)
        by = actor_of(p, name)
        if name not in ALLOWED:
            with pytest.raises(DomainError) as refused:
                call(action, by, item)
            assert (refused.value.status, refused.value.code) == (403, "item_action_forbidden"), (action, name)
            assert snapshot(item) == before, (action, name)
            continue
        version = call(action, by, item)
        assert version.status == EXPECTED[(status, action)], (action, name)
        assert version.created_by_id == (None if name == "system" else p.users[name].pk)
        entry = AuditEntry.objects.filter(action=f"catalog.item_{action}", target_id=str(item.pk)).get()
        assert (entry.actor_kind, entry.actor_label) == (
            ("system", "catalog_import") if name == "system" else ("user", by.get_username())
        )


def test_who_may_publish_an_item(principals: Principals) -> None:
    """Publishing (item_create, version 1 in force) takes the same actors; a refusal creates no
    basic item, no item, no version and no audit entry."""
    p = principals
    for name in ACTORS:
        by = actor_of(p, name)
        counts = (
            BasicItem.objects.count(),
            ServiceItem.objects.count(),
            ItemVersion.objects.count(),
            AuditEntry.objects.count(),
        )
        if name not in ALLOWED:
            with pytest.raises(DomainError) as refused:
                publish(p, by)
            assert (refused.value.status, refused.value.code) == (403, "item_action_forbidden"), name
            assert (
                BasicItem.objects.count(),
                ServiceItem.objects.count(),
                ItemVersion.objects.count(),
                AuditEntry.objects.count(),
            ) == counts, name
            continue
        item = publish(p, by)
        version = item.current_version
        assert version is not None
        assert (item.status, version.number, version.status) == (A, 1, A)
        assert version.created_by_id == (None if name == "system" else p.users[name].pk)
        entry = AuditEntry.objects.filter(action="catalog.item_create", target_id=str(item.pk)).get()
        assert entry.after["status"] == A
