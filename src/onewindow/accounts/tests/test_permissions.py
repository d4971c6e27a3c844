"""Scope checks that other apps use for "clerk in scope"."""

from __future__ import annotations

from onewindow.accounts import permissions as perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import DepartmentFactory, Principals, StaffRoleFactory, UserFactory
from onewindow.core.models import Region, RegionLevel

CLERK = [StaffRoleKind.WINDOW_CLERK]


def test_department_scope(principals: Principals) -> None:
    assert perms.has_role_in_scope(principals.clerk, CLERK, department=principals.department) is True
    assert perms.has_role_in_scope(principals.clerk, CLERK, department=principals.other_department) is False
    assert perms.has_role_in_scope(principals.clerk_other_department, CLERK, department=principals.department) is False
    assert perms.has_role_in_scope(principals.reviewer, CLERK, department=principals.department) is False
    assert perms.has_role_in_scope(principals.admin, CLERK, department=principals.other_department) is True
    assert perms.has_role_in_scope(principals.citizen, CLERK, department=principals.department) is False
    assert perms.departments_of(principals.manager) == {principals.department.pk}
    assert perms.departments_of(principals.manager, StaffRoleKind.CENTER_MANAGER) == set()


def test_region_scope_covers_sub_regions(principals: Principals) -> None:
    street, _ = Region.objects.get_or_create(code="310106021", defaults={
        "name": "临汾路街道", "level": RegionLevel.STREET, "parent": principals.district})
    street_dept = DepartmentFactory.create(code="310106021-SQ", name="临汾路街道社区事务受理服务中心",
                                           region=street, level=RegionLevel.STREET)
    manager_roles = [StaffRoleKind.CENTER_MANAGER]
    assert perms.has_role_in_scope(principals.manager, manager_roles, region=street) is True
    assert perms.has_role_in_scope(principals.manager, manager_roles, department=street_dept) is True
    assert perms.has_role_in_scope(principals.manager, manager_roles, region=principals.other_district) is False
    street_clerk = UserFactory.create(username="street-clerk")
    StaffRoleFactory.create(user=street_clerk, department=None, region=street)
    assert perms.has_role_in_scope(street_clerk, CLERK, region=street) is True
    assert perms.has_role_in_scope(street_clerk, CLERK, region=principals.district) is False
