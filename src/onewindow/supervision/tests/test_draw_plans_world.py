"""The world of the draw-plan tests (no tests here): the supervision world, two streets of 静安区,
published item lists, graded market entities and officers of the market bureau and the culture
bureau, a 联合检查 item, an officer-only login, and a clock the services read (``common.today``).

The registry has 12 active entities on street 310106012 (grades A×4, B×3, C×2, D×1, ungraded×2)
and one revoked entity (never in a pool). The market bureau has 6 officers (street 310106012 for
three, 310106021 for one, none → everywhere for two), the culture bureau 3 (everywhere).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.models import Organization, User
from onewindow.accounts.testing import OrganizationFactory, UserFactory
from onewindow.core.models import Region, RegionLevel
from onewindow.market.models import EntityProfile, Industry
from onewindow.supervision import services
from onewindow.supervision.choices import DrawPlanKind
from onewindow.supervision.models import CheckItem, DrawPlan, JointCheckItem, Officer
from onewindow.supervision.services import common
from onewindow.supervision.testing import SupervisionWorld, build_world

START = datetime.date(2026, 3, 2)
STREET = "310106012"
OTHER_STREET = "310106021"
GRADES = ["A", "A", "A", "A", "B", "B", "B", "C", "C", "D", "", ""]


class Clock:
    """The day the services see; tests move it forward."""

    def __init__(self, day: datetime.date) -> None:
        self.day = day

    def __call__(self) -> datetime.date:
        return self.day

    def advance(self, days: int) -> datetime.date:
        self.day += datetime.timedelta(days=days)
        return self.day


@dataclass
class DrawWorld:
    w: SupervisionWorld
    clock: Clock
    entities: list[Organization] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    culture_officers: list[Officer] = field(default_factory=list)
    items: list[CheckItem] = field(default_factory=list)
    culture_items: list[CheckItem] = field(default_factory=list)
    joint: JointCheckItem | None = None
    officer_user: User | None = None

    def user(self, name: str) -> Any:
        if name == "officer_only":
            return self.officer_user
        if name == "anonymous":
            return None
        return self.w.user(name)

    def client(self, name: str) -> Client:
        if name == "anonymous":
            return Client()
        if name == "officer_only":
            client = Client()
            assert self.officer_user is not None
            client.force_login(self.officer_user)
            return client
        return self.w.client(name)

    def plan_data(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "department_id": self.w.department.pk,
            "title": "2026 年第一季度企业公示信息抽查",
            "kind": DrawPlanKind.RANDOM,
            "item_ids": [self.items[0].pk],
            "pool_filter": {"regions": ["310106"]},
            "counts": {"A": 1, "B": 1, "C": 1, "D": 1},
            "random_source": "中国福利彩票双色球 2026025 期开奖号码",
            "random_expected_on": self.clock.day + datetime.timedelta(days=3),
            "inspection_ends_on": self.clock.day + datetime.timedelta(days=30),
        }
        data.update(overrides)
        return data

    def create(self, who: str = "regulator", **overrides: Any) -> DrawPlan:
        return services.plan_create(by=self.user(who), **self.plan_data(**overrides))

    def to_status(self, status: str, **overrides: Any) -> DrawPlan:
        """A plan walked to ``status`` by the regulator (the clock moves with it)."""
        by = self.user("regulator")
        plan = self.create(**overrides)
        if status == "draft":
            return plan
        if status == "cancelled":
            return services.plan_cancel(by=by, plan_id=plan.pk, reason="计划调整")
        services.plan_publish(by=by, plan_id=plan.pk)
        if status != "published":
            self.clock.advance(1)
            services.plan_freeze(by=by, plan_id=plan.pk)
        if status in ("drawn", "closed"):
            self.clock.day = plan.random_expected_on
            services.plan_draw(by=by, plan_id=plan.pk, random_value="03 07 12 19 25 31 + 08")
        if status == "closed":
            services.plan_close(by=by, plan_id=plan.pk)
        plan.refresh_from_db()
        return plan


def _officer(department: Any, n: int, prefix: str, areas: list[Region], specialties: list[str]) -> Officer:
    officer = Officer.objects.create(
        department=department,
        name=f"{prefix}执法员{n}",
        certificate_number=f"{prefix}{n:05d}",
        active_from=datetime.date(2020, 1, 1),
    )
    officer.areas.set(areas)
    for s in specialties:
        officer.specialties.create(specialty=s)
    return officer


def build_draw_world(monkeypatch: pytest.MonkeyPatch) -> DrawWorld:
    w = build_world()
    clock = Clock(START)
    monkeypatch.setattr(common, "today", clock)
    dw = DrawWorld(w=w, clock=clock)
    street = Region.objects.get_or_create(
        code=STREET, defaults={"name": "南京西路街道", "level": RegionLevel.STREET, "parent": w.p.district}
    )[0]
    other_street = Region.objects.get_or_create(
        code=OTHER_STREET, defaults={"name": "临汾路街道", "level": RegionLevel.STREET, "parent": w.p.district}
    )[0]
    section = Industry.objects.get_or_create(
        code="F", defaults={"name": "批发和零售业", "level": "section", "section": "F"}
    )[0]
    industry = Industry.objects.get_or_create(
        code="52", defaults={"name": "零售业", "level": "division", "section": "F", "parent": section}
    )[0]
    for n, grade in enumerate([*GRADES, "revoked"]):
        org = OrganizationFactory.create(name=f"上海静安抽查样本{n:02d}号商贸有限公司", region=w.p.district)
        EntityProfile.objects.create(
            organization=org,
            entity_type="limited_company",
            address="上海市静安区南京西路1号",
            district=w.p.district,
            street=street,
            industry=industry,
            established_on=datetime.date(2018, 1, 1),
            status="revoked" if grade == "revoked" else "active",
            risk_grade="" if grade == "revoked" else grade,
        )
        if grade != "revoked":
            dw.entities.append(org)
    admin = w.p.users["admin"]
    for n in range(6):
        areas = [street] if n < 3 else [other_street] if n == 3 else []
        dw.officers.append(_officer(w.department, n + 1, "SCJ", areas, ["registration"]))
    for n in range(3):
        dw.culture_officers.append(_officer(w.culture, n + 1, "WHJ", [], ["culture"]))
    dw.officer_user = UserFactory.create(username="d_officer_only")
    Officer.objects.filter(pk=dw.officers[0].pk).update(user=dw.officer_user)
    for n, (dept, who, sink) in enumerate(
        [
            (w.department, w.regulator, dw.items),
            (w.department, w.regulator, dw.items),
            (w.culture, w.culture_regulator, dw.culture_items),
        ]
    ):
        sink.append(
            services.check_item_create(
                by=who,
                department_id=dept.pk,
                code=f"CHK-{n:03d}",
                name=f"抽查事项{n}",
                target="辖区内企业",
                basis="《企业信息公示暂行条例》第十四条",
                methods=["on_site"],
                ratio="3",
            )
        )
    services.item_list_publish(by=admin, kind="random")
    dw.joint = services.joint_item_create(
        by=w.regulator,
        code="LH-001",
        name="娱乐场所联合检查",
        industry="娱乐",
        lead_department_id=w.department.pk,
        partner_department_ids=[w.culture.pk],
        check_item_ids=[dw.items[0].pk, dw.culture_items[0].pk],
    )
    services.item_list_publish(by=admin, kind="joint")
    return dw


@pytest.fixture(name="dw")
def draw_world_fixture(db: None, monkeypatch: pytest.MonkeyPatch) -> DrawWorld:
    return build_draw_world(monkeypatch)
