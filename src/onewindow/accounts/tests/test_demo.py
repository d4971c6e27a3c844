"""The demo accounts: made once, idempotent, valid identifiers, the right roles, able to log in."""

from __future__ import annotations

import pytest
from django.test import Client
from stdnum.cn import ric, uscc

from onewindow.accounts import demo
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Mandate, Organization, Person, StaffRole, User
from onewindow.accounts.testing import DepartmentFactory
from onewindow.core.models import AuditEntry, Region, RegionLevel


@pytest.mark.django_db
def test_demo_accounts_are_created_once_and_can_log_in() -> None:
    city, _ = Region.objects.get_or_create(code="310000", defaults={"name": "上海市", "level": RegionLevel.CITY})
    jingan, _ = Region.objects.get_or_create(code="310106", defaults={"name": "静安区", "parent": city,
                                                                      "level": RegionLevel.DISTRICT})
    bureau = DepartmentFactory.create(code="310106-SCJ", name="上海市静安区市场监督管理局", region=jingan,
                                      level=RegionLevel.DISTRICT)
    DepartmentFactory.create(code="310106-AAA", name="上海市静安区教育局", region=jingan, level=RegionLevel.DISTRICT,
                             sort_order=0)
    linfen = Region.objects.create(code="310106021", name="临汾路街道", parent=jingan, level=RegionLevel.STREET)
    center_department = DepartmentFactory.create(code="310106021-SQSW", name="临汾路街道社区事务受理服务中心",
                                                 region=linfen, level=RegionLevel.STREET)
    steps: list[int] = []
    accounts = demo.load(progress=steps.append, seed=20170929)
    assert [a[0] for a in accounts] == ["citizen", "agent", "clerk", "reviewer", "manager", "linfenadmin",
                                           "admin"]
    assert sum(steps) == 7
    counts = (User.objects.count(), Person.objects.count(), Organization.objects.count(),
              Mandate.objects.count(), StaffRole.objects.count(), AuditEntry.objects.count())
    assert demo.load(progress=steps.append, seed=20170929) == accounts
    assert (User.objects.count(), Person.objects.count(), Organization.objects.count(), Mandate.objects.count(),
            StaffRole.objects.count(), AuditEntry.objects.count()) == counts

    for username, password, _role in accounts:
        user = User.objects.get(username=username)
        assert user.person is not None and ric.is_valid(user.person.id_number)
        response = Client().post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, username
    clerk_role = StaffRole.objects.get(user__username="clerk")
    assert (clerk_role.role, clerk_role.department) == (StaffRoleKind.WINDOW_CLERK, bureau)
    assert StaffRole.objects.get(user__username="admin").role == StaffRoleKind.SYSTEM_ADMIN
    assert User.objects.get(username="admin").is_superuser is True
    assert set(StaffRole.objects.filter(user__username="manager").values_list("role", flat=True)) == {
        StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.CENTER_MANAGER}
    linfen_role = StaffRole.objects.get(user__username="linfenadmin")
    assert (linfen_role.role, linfen_role.department) == (StaffRoleKind.DEPARTMENT_ADMIN, center_department)
    agent = User.objects.get(username="agent")
    assert agent.organization is not None and uscc.is_valid(agent.organization.credit_code)
    assert Mandate.objects.get(agent=agent.person).principal_organization == agent.organization


@pytest.mark.django_db
def test_demo_falls_back_to_a_district_scope_without_departments() -> None:
    demo.load(progress=lambda n: None, seed=1)
    role = StaffRole.objects.get(user__username="clerk")
    assert (role.department, role.region.code) == (None, "310106")
