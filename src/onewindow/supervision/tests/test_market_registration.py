"""Issue #11 "done means": a new registration in the market registry (``market.services.entity_register``)
produces 双告知 tasks that appear in two departments' queues, in the registration's transaction."""

from __future__ import annotations

import pytest
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import DepartmentFactory, StaffRoleFactory, UserFactory
from onewindow.core.calendar import add_working_days
from onewindow.core.errors import DomainError
from onewindow.core.models import RegionLevel
from onewindow.market.services import entity_register
from onewindow.market.testing import RegistryWorld, entity_row
from onewindow.supervision import selectors, services
from onewindow.supervision.models import DualNotice


@pytest.fixture
def registry(db: None) -> RegistryWorld:
    from onewindow.market.testing import build_registry_world

    return build_registry_world()


def test_a_registration_reaches_two_departments(registry: RegistryWorld) -> None:
    admin = registry.p.users["admin"]
    culture = DepartmentFactory.create(
        code="310106-WHLY", name="上海市静安区文化和旅游局", level=RegionLevel.DISTRICT, region=registry.p.district
    )
    services.licence_rule_create(
        by=admin,
        licence_name="食品经营许可证",
        industry_prefixes="62",
        keywords="餐饮服务",
        department_id=registry.registrar.pk,
    )
    services.licence_rule_create(
        by=admin, licence_name="娱乐场所经营许可证", keywords="歌舞娱乐", department_id=culture.pk
    )
    culture_regulator = UserFactory.create(username="c_regulator")
    StaffRoleFactory.create(user=culture_regulator, role=StaffRoleKind.REGULATOR, department=culture)
    profile = entity_register(
        by=registry.user("data_clerk"),
        data=entity_row(
            name="上海静安夜色餐饮娱乐有限公司", industry_code="6210", business_scope="餐饮服务；歌舞娱乐活动"
        ),
    )
    notice = DualNotice.objects.get(organization=profile.organization)
    assert (notice.credit_code, notice.industry_code, notice.region_code, notice.change_kind) == (
        profile.organization.credit_code,
        "6210",
        "310106012",
        "registered",
    )
    due = add_working_days(timezone.localdate(), 5)
    assert [
        (t.department_id, t.status, t.licences, t.due_date)
        for t in selectors.task_queue_for(registry.user("data_clerk"))
    ] == [(registry.registrar.pk, "pending", ["食品经营许可证"], due)]
    assert [(t.department_id, t.licences) for t in selectors.task_queue_for(culture_regulator)] == [
        (culture.pk, ["娱乐场所经营许可证"])
    ]


def test_a_refused_registration_leaves_no_notice(registry: RegistryWorld) -> None:
    services.licence_rule_create(
        by=registry.p.users["admin"],
        licence_name="食品经营许可证",
        keywords="餐饮服务",
        department_id=registry.registrar.pk,
    )
    with pytest.raises(DomainError):
        entity_register(
            by=registry.user("data_clerk"), data=entity_row(industry_code="9999", business_scope="餐饮服务")
        )
    assert DualNotice.objects.count() == 0
