"""Test helpers of supervision: a small world of departments, supervision staff and 双告知 rules.

``SupervisionWorld`` extends the standard principals (``accounts.testing``): the market bureau of
静安区 (``p.department``) and its culture bureau (``culture``) each have a regulator; the bureau
also has a data clerk (数据报送员); ``regulator_other`` works for another district's bureau. Three
rules: catering or food sales → the market bureau (食品经营许可), entertainment → the culture
bureau (娱乐场所经营许可), hazardous chemicals → no department (认领 pool).
:meth:`SupervisionWorld.register` registers an entity change through market's listener registry,
the way the market registry does.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Organization, User
from onewindow.accounts.testing import (
    DepartmentFactory,
    OrganizationFactory,
    Principals,
    StaffRoleFactory,
    UserFactory,
    build_principals,
    make_api_token,
)
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, RegionLevel
from onewindow.market.listeners import EntityChange, notify_entity_change

from . import services
from .models import DualNotice, LicenceRule

#: Principals of the supervision matrix beyond the standard ones.
SUPERVISION_PRINCIPALS = ["regulator", "data_clerk", "regulator_other", "culture_regulator", "dept_token"]
FOOD_SCOPE = "餐饮服务；食品销售（仅销售预包装食品）"
ENTERTAINMENT_SCOPE = "歌舞娱乐活动；酒吧服务"
CHEMICAL_SCOPE = "危险化学品经营（不带储存设施）"
FOOD_ITEM_CODE = "TESTSUP00000000000000000000001"


@dataclass
class SupervisionWorld:
    p: Principals
    culture: Department
    users: dict[str, User] = field(default_factory=dict)
    rules: dict[str, LicenceRule] = field(default_factory=dict)
    token_bearer: str = ""
    food_item: ServiceItem | None = None

    @property
    def department(self) -> Department:
        return self.p.department

    def __getattr__(self, name: str) -> Any:
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        return getattr(self.__dict__["p"], name)

    def user(self, name: str) -> User | None:
        return self.users.get(name) or self.p.user(name)

    def client(self, name: str) -> Client:
        if name == "dept_token":
            return Client(headers={"Authorization": f"Bearer {self.token_bearer}"})
        if name in self.users:
            client = Client()
            client.force_login(self.users[name])
            return client
        return self.p.client(name)

    def organization(self, name: str = "") -> Organization:
        if not name:
            return self.p.organization
        return OrganizationFactory.create(name=name, region=self.p.district)

    def register(
        self,
        scope: str = FOOD_SCOPE + "；" + ENTERTAINMENT_SCOPE,
        *,
        industry: str = "",
        kind: str = "registered",
        previous_scope: str = "",
        at: datetime.datetime | None = None,
        organization: Organization | None = None,
        region_code: str = "310106012",
    ) -> DualNotice | None:
        """Register (or change the scope of) an entity through market's listeners; the notice."""
        org = organization or self.p.organization
        before = set(DualNotice.objects.filter(organization=org).values_list("pk", flat=True))
        notify_entity_change(
            EntityChange(
                organization_id=org.pk,
                credit_code=org.credit_code,
                kind=kind,  # type: ignore[arg-type]
                industry_code=industry,
                business_scope=scope,
                previous_scope=previous_scope,
                region_code=region_code,
                at=at or timezone.now(),
            )
        )
        return DualNotice.objects.filter(organization=org).exclude(pk__in=before).order_by("-pk").first()


def build_world() -> SupervisionWorld:
    p = build_principals()
    culture = DepartmentFactory.create(
        code="TEST-310106-WHLY", name="上海市静安区文化和旅游局", level=RegionLevel.DISTRICT, region=p.district
    )
    world = SupervisionWorld(p=p, culture=culture)
    staff = {
        "regulator": (StaffRoleKind.REGULATOR, p.department),
        "data_clerk": (StaffRoleKind.DATA_CLERK, p.department),
        "regulator_other": (StaffRoleKind.REGULATOR, p.other_department),
        "culture_regulator": (StaffRoleKind.REGULATOR, culture),
    }
    for name, (role, department) in staff.items():
        user = UserFactory.create(username=f"s_{name}", first_name="")
        StaffRoleFactory.create(user=user, role=role, department=department)
        world.users[name] = user
    _token, world.token_bearer = make_api_token(
        name="静安区市场监管局 双告知接口",
        scopes=["supervision:read", "supervision:handle"],
        owner=world.users["data_clerk"],
    )
    admin = p.users["admin"]
    world.food_item = catalog_services.item_create(
        by=system_actor("supervision.testing"),
        code=FOOD_ITEM_CODE,
        basic_code="01TESTSUP001",
        name="食品经营许可（新办）",
        department=p.department,
        region=p.district.code,
        level="district",
        category="approval",
        item_type="01",
        legal_basis="《中华人民共和国食品安全法》",
        handling_type="promised",
        statutory_limit=20,
        statutory_unit="working",
        promised_limit=10,
        promised_unit="working",
        fee_free=True,
        depth_level=3,
        depth_codes="1^2^3^4",
        on_site_visits=1,
        channels=["online", "window"],
        materials=[{"name": "营业执照", "form": "copy", "required": True}],
    )
    world.rules["food"] = services.licence_rule_create(
        by=admin,
        licence_name="食品经营许可证",
        industry_prefixes="62",
        keywords="餐饮服务、食品销售",
        item_code=FOOD_ITEM_CODE,
        department_id=p.department.pk,
        basis="《中华人民共和国食品安全法》第三十五条",
        sort_order=10,
    )
    world.rules["entertainment"] = services.licence_rule_create(
        by=admin,
        licence_name="娱乐场所经营许可证",
        industry_prefixes="9011",
        keywords="歌舞娱乐、游艺娱乐",
        department_id=culture.pk,
        basis="《娱乐场所管理条例》第九条",
        sort_order=20,
    )
    world.rules["chemicals"] = services.licence_rule_create(
        by=admin,
        licence_name="危险化学品经营许可证",
        keywords="危险化学品经营",
        basis="《危险化学品安全管理条例》第三十三条",
        sort_order=30,
    )
    return world


@pytest.fixture
def world(db: None) -> SupervisionWorld:
    """The supervision test world (see the module docstring)."""
    return build_world()
