"""A fixed history for item decisions: the test 临汾路 center (centers.testing) offering four items
of its own department, with daily case facts in the seed window — ``zero`` and ``gone`` without a
case (``gone`` withdrawn in the catalog, dated 2017-02-20), ``few`` with 3 cases (window 2,
kiosk 1; the last on 2017-05-10), ``busy`` with 40 — a department admin of the center's
department (``deptadmin``, who decides), another center with its own manager, and a staff member
of another department (who may see nothing)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole, User
from onewindow.accounts.testing import UserFactory
from onewindow.catalog import services as catalog_services
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.centers.testing import CenterWorld
from onewindow.core.actors import system_actor

from ..models import CaseDayFact

SYSTEM = system_actor("analytics.tests")


@dataclass
class DecisionWorld:
    world: CenterWorld
    center: Center
    zero: ServiceItem
    gone: ServiceItem
    few: ServiceItem
    busy: ServiceItem
    manager: User
    deptadmin: User
    clerk: User
    other_center: Center
    other_manager: User


def _item(world: CenterWorld, n: int, name: str) -> ServiceItem:
    cw = world.cw
    return catalog_services.item_create(
        by=SYSTEM, code=f"TESTDEC{n:023d}", basic_code=f"20TESTDEC{n:02d}", department=cw.center,
        region=cw.street.code, level="street", category="service", item_type="20", name=name,
        legal_basis="《上海市社区事务受理服务中心管理办法》", handling_type="promised", promised_limit=5,
        promised_unit="working", fee_free=True, depth_level=1, depth_codes="1", on_site_visits=1,
        channels=["window", "kiosk"], materials=[{"name": "居民身份证", "form": "original", "required": True}])


def _fact(center: Center, item: ServiceItem, day: datetime.date, channel: str, n: int) -> CaseDayFact:
    last = timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 10, 30))
    return CaseDayFact(day=day, department_id=center.department_id, center=center, item=item, channel=channel,
                       received=n, last_received_at=last)


def build_decision_world(world: CenterWorld) -> DecisionWorld:
    center = world.center
    zero = _item(world, 1, "有线电视费减免申请（测试）")
    gone = _item(world, 2, "粮油帮困申请（测试）")
    few = _item(world, 3, "骨灰海葬补贴申请（测试）")
    busy = _item(world, 4, "居住证签注（测试）")
    center.items.set([zero, gone, few, busy])
    withdrawn = catalog_services.item_withdraw(by=SYSTEM, item=gone, reason="并入临时救助")
    # dated in the seed window as the catalog demo does (the service stamps today; versions are
    # immutable through the ORM, so the test dates it in SQL)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_itemversion SET status_date = %s, valid_from = %s WHERE id = %s",
                       [datetime.date(2017, 2, 20), datetime.date(2017, 2, 20), withdrawn.pk])
    gone.refresh_from_db()
    assert gone.status == ItemStatus.WITHDRAWN
    CaseDayFact.objects.bulk_create([
        _fact(center, few, datetime.date(2016, 6, 1), "window", 1),
        _fact(center, few, datetime.date(2017, 1, 9), "kiosk", 1),
        _fact(center, few, datetime.date(2017, 5, 10), "window", 1),
        _fact(center, busy, datetime.date(2016, 10, 10), "window", 25),
        _fact(center, busy, datetime.date(2017, 3, 3), "kiosk", 15),
        # outside the seed window: counts in "since", not in "seed"
        _fact(center, zero, datetime.date(2018, 1, 5), "window", 2),
    ])
    deptadmin = UserFactory.create(username="p_center_deptadmin", is_staff=True)
    StaffRole.objects.create(user=deptadmin, role=StaffRoleKind.DEPARTMENT_ADMIN, department=world.cw.center)
    other = Center.objects.create(code="TEST-OTHER", name="彭浦新村街道社区事务受理服务中心（测试）",
                                  short_name="彭浦中心",
                                  level=CenterLevel.STREET, region=world.cw.street,
                                  department=world.cw.p.other_department, address="上海市静安区")
    other_manager = UserFactory.create(username="p_other_center_manager")
    CenterStaff.objects.create(center=other, user=other_manager, is_manager=True)
    return DecisionWorld(world=world, center=center, zero=zero, gone=gone, few=few, busy=busy,
                         manager=world.manager, deptadmin=deptadmin, clerk=world.clerk, other_center=other,
                         other_manager=other_manager)
