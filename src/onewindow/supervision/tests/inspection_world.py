"""A drawn 联合检查 for the inspection tests, built directly on rows (helper F writes the plan
services; these tests do not depend on them).

Three departments of 静安区: the market bureau leads (``market``, the world's department), the
culture bureau (``culture``) and a health commission (``health``) are partners. The plan's own
items are the market bureau's two; the joint item adds one culture and one health item, so the
combined checklist (一张表) has four items in three sections. One inspection of the world's
organization, drawn with two market officers and one officer of each partner; a third market
officer (``market_undrawn``) was not drawn. Every officer's login is a regulator of its department.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.accounts.testing import DepartmentFactory, StaffRoleFactory, UserFactory
from onewindow.core.models import Department, RegionLevel
from onewindow.supervision.choices import DrawPlanKind, DrawPlanStatus
from onewindow.supervision.models import (
    CheckItem,
    DrawPlan,
    Inspection,
    ItemListVersion,
    JointCheckItem,
    Officer,
)
from onewindow.supervision.testing import SupervisionWorld

OFFICERS = {
    # name: (department key, drawn)
    "market_a": ("market", True),
    "market_b": ("market", True),
    "culture_a": ("culture", True),
    "health_a": ("health", True),
    "market_undrawn": ("market", False),
}


@dataclass
class InspectionWorld:
    w: SupervisionWorld
    departments: dict[str, Department]
    items: dict[str, CheckItem]
    plan: DrawPlan
    inspection: Inspection
    officers: dict[str, Officer] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str) -> Any:
        """A principal by name: an officer's login, a world user, or AnonymousUser for 'anonymous'."""
        if name in self.users:
            return self.users[name]
        if name == "anonymous":
            from django.contrib.auth.models import AnonymousUser

            return AnonymousUser()
        found = self.w.user(name)
        assert found is not None, name
        return found


def make_item(department: Department, code: str, name: str, order: int) -> CheckItem:
    return CheckItem.objects.create(
        department=department,
        code=code,
        name=name,
        field="食品安全",
        target="辖区内餐饮服务经营者",
        basis="《中华人民共和国食品安全法》第一百一十条",
        methods=["on_site"],
        ratio="5",
        sort_order=order,
    )


def build_inspection_world(
    w: SupervisionWorld,
    *,
    ends_on: datetime.date | None = None,
    status: str = DrawPlanStatus.DRAWN,
    number: str = "LH-TEST-0001",
) -> InspectionWorld:
    """The joint plan (status ``status``, inspection ending ``ends_on``) and its one inspection."""
    now = timezone.now()
    health = Department.objects.filter(code="TEST-310106-WJW").first() or DepartmentFactory.create(
        code="TEST-310106-WJW", name="上海市静安区卫生健康委员会", level=RegionLevel.DISTRICT, region=w.p.district
    )
    departments = {"market": w.department, "culture": w.culture, "health": health}
    items = {
        "market1": make_item(w.department, f"{number}-SC1", "食品经营许可情况的检查", 1),
        "market2": make_item(w.department, f"{number}-SC2", "食品安全管理制度的检查", 2),
        "culture": make_item(w.culture, f"{number}-WH1", "营业性演出的检查", 1),
        "health": make_item(health, f"{number}-WS1", "公共场所卫生的检查", 1),
    }
    joint = JointCheckItem.objects.create(
        code=f"{number}-J", name="餐饮场所联合检查", industry="餐饮", lead_department=w.department
    )
    joint.partner_departments.set([w.culture, health])
    joint.check_items.set([items["culture"], items["health"]])
    version = ItemListVersion.objects.create(
        kind="joint",
        number=ItemListVersion.objects.count() + 1,
        snapshot={},
        digest="0" * 64,
        item_count=3,
        department_count=3,
    )
    plan = DrawPlan.objects.create(
        number=number,
        kind=DrawPlanKind.JOINT,
        title="餐饮场所联合抽查",
        department=w.department,
        joint_item=joint,
        item_list_version=version,
        departments=[w.department.code, w.culture.code, health.code],
        random_source="中国福利彩票双色球第2024100期开奖号码",
        random_expected_on=timezone.localdate() - datetime.timedelta(days=12),
        inspection_ends_on=ends_on or timezone.localdate() + datetime.timedelta(days=30),
        status=status,
        published_at=now - datetime.timedelta(days=20),
        frozen_at=now - datetime.timedelta(days=15),
        drawn_at=now - datetime.timedelta(days=10),
        closed_at=now if status == DrawPlanStatus.CLOSED else None,
    )
    plan.items.set([items["market1"], items["market2"]])
    org = w.p.organization
    inspection = Inspection.objects.create(
        plan=plan,
        organization=org,
        credit_code=org.credit_code,
        entity_name=org.name,
        sequence=1,
        group_number=1,
    )
    world = InspectionWorld(w=w, departments=departments, items=items, plan=plan, inspection=inspection)
    for name, (dept_key, drawn) in OFFICERS.items():
        user = User.objects.filter(username=f"o_{name}").first()
        if user is None:
            user = UserFactory.create(username=f"o_{name}", first_name="")
            StaffRoleFactory.create(user=user, role=StaffRoleKind.REGULATOR, department=departments[dept_key])
        officer = Officer.objects.filter(user=user).first() or Officer.objects.create(
            department=departments[dept_key],
            user=user,
            name=f"执法{name}",
            certificate_number=f"31010600{len(world.officers) + 1:04d}",
            active_from=datetime.date(2020, 1, 1),
        )
        world.officers[name] = officer
        world.users[name] = user
        if drawn:
            inspection.officers.add(officer)
    return world
