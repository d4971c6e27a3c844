"""A fixed history of rollup rows for the statistics tests (written directly: the statistics read
only the fact tables, whatever wrote them), and a second center with its own manager."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from onewindow.accounts.models import User
from onewindow.accounts.testing import UserFactory
from onewindow.analytics import histogram
from onewindow.analytics.models import CaseDayFact, RatingDayFact, TicketHourFact
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.centers.testing import CenterWorld

MON = datetime.date(2026, 3, 2)  # a Monday
TUE = datetime.date(2026, 3, 3)
WED = datetime.date(2026, 3, 4)
LAST_YEAR = datetime.date(2025, 3, 3)
PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}


@dataclass
class History:
    world: CenterWorld
    other_clerk: User
    other_center: Center
    other_manager: User


def build_history(world: CenterWorld) -> History:
    center, item = world.center, world.cw.item
    other_clerk = UserFactory.create(username="p_center_clerk2")
    CenterStaff.objects.create(center=center, user=other_clerk)
    other_center = Center.objects.create(code="TEST-OTHER", name="另一个社区事务受理服务中心（测试）",
                                         short_name="另一中心", level=CenterLevel.STREET, region=world.cw.street,
                                         department=world.cw.p.other_department, address="上海市徐汇区某路 1 号")
    other_manager = UserFactory.create(username="p_other_center_manager")
    CenterStaff.objects.create(center=other_center, user=other_manager, is_manager=True)
    CaseDayFact.objects.bulk_create([
        CaseDayFact(day=MON, center=center, department=world.cw.center, item=item, channel="window",
                    clerk=world.clerk, received=5, accepted=4, concluded=3, overdue=1, handling=3,
                    handling_seconds=4300, handling_hist=histogram.of([100, 200, 4000])),
        CaseDayFact(day=TUE, center=center, department=world.cw.center, item=item, channel="online",
                    clerk=None, received=2, accepted=2),
        CaseDayFact(day=TUE, center=center, department=world.cw.center, item=world.cw.street_item,
                    channel="window", clerk=other_clerk, received=4, accepted=4, concluded=4, overdue=0),
        CaseDayFact(day=LAST_YEAR, center=center, department=world.cw.center, item=item, channel="window",
                    clerk=world.clerk, received=3, accepted=3, concluded=3),
        CaseDayFact(day=MON, center=other_center, department=world.cw.p.other_department, item=item,
                    channel="window", clerk=other_manager, received=100, accepted=100),
    ])
    TicketHourFact.objects.bulk_create([
        TicketHourFact(center=center, day=MON, hour=9, category=world.a, source="kiosk", window=world.w1,
                       clerk=world.clerk, arrivals=6, served=5, no_shows=1, waits=5, wait_seconds=1980,
                       wait_hist=histogram.of([60, 120, 300, 600, 900]), services=5, service_seconds=1500,
                       service_hist=histogram.of([300] * 5)),
        TicketHourFact(center=center, day=MON, hour=11, category=world.a, source="kiosk", window=world.w2,
                       clerk=other_clerk, arrivals=4, served=4, waits=4, wait_seconds=120,
                       wait_hist=histogram.of([30] * 4)),
        TicketHourFact(center=center, day=WED, hour=9, category=world.b, source="wechat", arrivals=2, cancelled=2),
        TicketHourFact(center=other_center, day=MON, hour=9, source="kiosk", clerk=other_manager, arrivals=50,
                       served=50),
    ])
    RatingDayFact.objects.bulk_create([
        RatingDayFact(day=MON, center=center, department=world.cw.center, window=world.w1, clerk=world.clerk,
                      channel="pad", subject_type="service", ratings=4, score_total=17,
                      levels={"5": 2, "4": 1, "3": 1}),
        RatingDayFact(day=TUE, center=center, department=world.cw.center, window=world.w2, clerk=other_clerk,
                      channel="pad", subject_type="service", ratings=2, score_total=3, levels={"2": 1, "1": 1},
                      bad=2, followups=2, followups_closed=1, followups_overdue=1),
    ])
    return History(world=world, other_clerk=other_clerk, other_center=other_center, other_manager=other_manager)
