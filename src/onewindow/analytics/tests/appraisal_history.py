"""Fixed fact rows of November 2026 for the appraisal tests (written directly: the appraisal reads
only the fact tables): two clerks of the test center (C = the center clerk at window 1, D at
window 2), a row of October and a row of another center that must not count, and another center's
manager. Expected figures (default weights 25/15/20/20/10/10):

- C: served 10 (service 5 min each: median 6.0, p90 6.8 minutes in the 5–7 min bucket), accepted
  8, overdue 2, on duty 7200 s, serving 3000 s (41.7 %), 4 ratings totalling 16 (4.0), 1 bad,
  followed up and closed. Parts 100/100/41.7/80/100/75 → score 81.8.
- D: served 5 (10 min each: median 12.5, p90 14.5), accepted 4, on duty 3600 s, serving 3000 s
  (83.3 %), no ratings. Parts 50/50/83.3/—/—/100 → score 66.7 (weights 70).
- Window 1: parts 100/—/41.7/80/100/— → 79.1; window 2: 50/—/83.3/—/—/— → 64.8.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from onewindow.accounts.models import User
from onewindow.accounts.testing import UserFactory
from onewindow.analytics import histogram
from onewindow.analytics.models import CaseDayFact, DutyDayFact, RatingDayFact, TicketHourFact
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.centers.testing import CenterWorld

FIRST = datetime.date(2026, 11, 1)
MONTH = "2026-11"


@dataclass
class History:
    world: CenterWorld
    clerk_d: User
    other_center: Center
    other_manager: User


def build_appraisal_history(world: CenterWorld, first: datetime.date = FIRST) -> History:
    """The rows in the month starting ``first`` (default November 2026), one row the day before."""
    center, c = world.center, world.clerk
    nov2, nov3, oct_ = (first + datetime.timedelta(days=n) for n in (1, 2, -1))
    d = UserFactory.create(username="p_appraisal_clerk_d")
    CenterStaff.objects.create(center=center, user=d)
    other = Center.objects.create(code="TEST-OTHER", name="另一个社区事务受理服务中心（测试）", short_name="另一中心",
                                  level=CenterLevel.STREET, region=world.cw.street,
                                  department=world.cw.p.other_department, address="上海市徐汇区某路 1 号")
    other_manager = UserFactory.create(username="p_appraisal_other_manager")
    CenterStaff.objects.create(center=other, user=other_manager, is_manager=True)
    TicketHourFact.objects.bulk_create([
        TicketHourFact(center=center, day=nov2, hour=9, category=world.a, source="kiosk", window=world.w1, clerk=c,
                       arrivals=10, served=10, services=10, service_seconds=3000,
                       service_hist=histogram.of([300] * 10)),
        TicketHourFact(center=center, day=nov3, hour=10, category=world.b, source="kiosk", window=world.w2, clerk=d,
                       arrivals=5, served=5, services=5, service_seconds=3000, service_hist=histogram.of([600] * 5)),
        TicketHourFact(center=center, day=nov2, hour=11, category=world.a, source="kiosk", arrivals=3),
        TicketHourFact(center=center, day=oct_, hour=9, category=world.a, source="kiosk", window=world.w1, clerk=c,
                       arrivals=99, served=99),
        TicketHourFact(center=other, day=nov2, hour=9, source="kiosk", clerk=other_manager, arrivals=50, served=50),
    ])
    CaseDayFact.objects.bulk_create([
        CaseDayFact(day=nov2, center=center, department=world.cw.center, item=world.cw.item, channel="window",
                    clerk=c, received=9, accepted=8, overdue=2),
        CaseDayFact(day=nov3, center=center, department=world.cw.center, item=world.cw.item, channel="window",
                    clerk=d, received=4, accepted=4),
        CaseDayFact(day=nov3, center=center, department=world.cw.center, item=world.cw.item, channel="online",
                    clerk=None, received=6, accepted=6),
        CaseDayFact(day=oct_, center=center, department=world.cw.center, item=world.cw.item, channel="window",
                    clerk=c, received=40, accepted=40, overdue=40),
    ])
    DutyDayFact.objects.bulk_create([
        DutyDayFact(center=center, day=nov2, window=world.w1, clerk=c, on_duty_seconds=7200, paused_seconds=600,
                    serving_seconds=3000, tickets_served=10),
        DutyDayFact(center=center, day=nov3, window=world.w2, clerk=d, on_duty_seconds=3600, serving_seconds=3000,
                    tickets_served=5),
    ])
    RatingDayFact.objects.bulk_create([
        RatingDayFact(day=nov2, center=center, department=world.cw.center, window=world.w1, clerk=c,
                      channel="pad", subject_type="service", ratings=4, score_total=16,
                      levels={"5": 2, "4": 1, "2": 1}, bad=1, followups=1, followups_closed=1),
        RatingDayFact(day=oct_, center=center, department=world.cw.center, window=world.w1, clerk=c,
                      channel="pad", subject_type="service", ratings=10, score_total=10, bad=10),
    ])
    return History(world=world, clerk_d=d, other_center=other, other_manager=other_manager)
