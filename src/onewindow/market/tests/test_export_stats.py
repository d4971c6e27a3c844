"""Lookups per department (查询统计, 等保 安全审计): profile views and exports counted from the audit
trail for the department admin (their departments) and the system admin (every department)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry
from onewindow.market.exports import DepartmentLookups, lookup_statistics_for
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lookups(registry_world: RegistryWorld) -> dict[str, Any]:
    """Profile views and exports by staff of three departments and the system admin."""
    w = registry_world
    row = entity_row(name="上海静安宏达贸易有限公司")
    entity_register(by=system_actor("test"), data=row)
    profile = f"/market/entities/{row['credit_code']}/"
    manager = _login(w.p.users["manager"])
    for client, views, exports in (
        (w.client("regulator"), 3, 1),
        (w.client("data_clerk_other"), 1, 0),
        (w.client("data_clerk"), 2, 2),
        (manager, 1, 1),
        (w.client("admin"), 1, 1),
    ):
        for _ in range(views):
            assert client.get(profile).status_code == 200
        for _ in range(exports):
            assert client.post("/market/export/", {"q": "宏达"}).status_code == 200
    return {"manager": manager}


def test_system_admin_sees_every_department(registry_world: RegistryWorld, lookups: dict[str, Any]) -> None:
    w = registry_world
    today = timezone.localdate()
    stats = lookup_statistics_for(w.user("admin"), since=today, until=today)
    assert stats.all_departments
    assert stats.departments == [
        # in the order of the department codes: 310106-SCJG, TEST-310104-SCJ, TEST-310106-SCJ
        DepartmentLookups(w.registrar.pk, "上海市静安区市场监督管理局", views=2, exports=2, rows_exported=2),
        DepartmentLookups(w.p.other_department.pk, "上海市徐汇区市场监督管理局", views=4, exports=1, rows_exported=1),
        DepartmentLookups(w.p.department.pk, "上海市静安区市场监督管理局", views=1, exports=1, rows_exported=1),
        DepartmentLookups(None, "（无部门）", views=1, exports=1, rows_exported=1),
    ]
    yesterday = today - datetime.timedelta(days=1)
    assert lookup_statistics_for(w.user("admin"), since=yesterday, until=yesterday).departments == []


def test_department_admin_sees_their_department_only(registry_world: RegistryWorld, lookups: dict[str, Any]) -> None:
    response = lookups["manager"].get("/market/lookups/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        f'<tr data-department="{registry_world.p.department.pk}"><td>上海市静安区市场监督管理局</td>'
        "<td>1</td><td>1</td><td>1</td></tr>"
    ) in html
    assert html.count("<tr data-department=") == 1


@pytest.mark.parametrize("name", ["regulator", "data_clerk", "data_clerk_other", "citizen", "clerk_other_department"])
def test_other_roles_may_not_see_the_statistics(
    registry_world: RegistryWorld, lookups: dict[str, Any], name: str
) -> None:
    before = AuditEntry.objects.count()
    response = registry_world.client(name).get("/market/lookups/", {"since": "bad"})
    assert response.status_code == 403
    assert 'data-code="market_lookup_stats_forbidden"' in response.content.decode()
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("name", ["anonymous", "token", "device"])
def test_statistics_need_a_signed_in_session(registry_world: RegistryWorld, name: str) -> None:
    response = registry_world.client(name).get("/market/lookups/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-13-01"},
        {"since": "2026-02-01", "until": "2026-01-01"},
        {"since": "2024-01-01", "until": "2025-06-01"},
    ],
)
def test_bad_period_is_refused(registry_world: RegistryWorld, params: dict[str, str]) -> None:
    response = registry_world.client("admin").get("/market/lookups/", params)
    assert response.status_code == 422
    assert 'data-code="market_lookup_period_invalid"' in response.content.decode()


@pytest.mark.parametrize(
    ("who", "shown"), [("admin", True), ("manager", True), ("regulator", False), ("data_clerk", False)]
)
def test_the_lookup_statistics_link_shows_for_those_who_may_open_it(
    registry_world: RegistryWorld, who: str, shown: bool
) -> None:
    client = _login(registry_world.p.users["manager"]) if who == "manager" else registry_world.client(who)
    page = client.get("/market/")
    assert page.status_code == 200
    assert ('href="/market/lookups/"' in page.content.decode()) is shown
