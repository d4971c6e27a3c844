"""Test fixtures of training, built on ``center_world`` (the 临汾路 test center).

``training_world``: the center lists the case world's two items; a second clerk works there; a
second center (曹家渡) has its own manager, who must see nothing of the first. ``case_facts`` and
``rating_facts`` write rollup rows directly (the rollup engine is tested in analytics).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.accounts.testing import UserFactory
from onewindow.analytics import histogram
from onewindow.analytics.models import CaseDayFact, RatingDayFact
from onewindow.catalog.models import ServiceItem
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.centers.testing import CenterWorld

from . import services
from .models import Course, TrainingSession


@dataclass
class TrainingWorld:
    w: CenterWorld
    center: Center
    item: ServiceItem
    street_item: ServiceItem
    clerk: User
    clerk2: User
    manager: User
    other_center: Center
    other_manager: User

    def course(self, title: str = "户籍业务培训", items: list[ServiceItem] | None = None,
               basis: str = "manual") -> Course:
        return services.course_create(by=self.manager, center_id=self.center.pk, title=title,
                                      item_ids=[i.pk for i in (items or [self.item])], basis=basis)

    def session(self, course: Course | None = None, *, start: datetime.datetime | None = None,
                clerks: list[User] | None = None) -> TrainingSession:
        begin = start or timezone.make_aware(datetime.datetime(2017, 3, 1, 14, 0))
        return services.session_plan(by=self.manager, course=course or self.course(), starts_at=begin,
                                     ends_at=begin + datetime.timedelta(hours=2), place="三楼会议室",
                                     trainer="王老师", clerk_ids=[u.pk for u in (clerks or [self.clerk, self.clerk2])])


def build_training_world(w: CenterWorld) -> TrainingWorld:
    w.center.items.set([w.cw.item, w.cw.street_item])
    clerk2 = UserFactory.create(username="t_clerk2")
    CenterStaff.objects.create(center=w.center, user=clerk2)
    other = Center.objects.create(code="TEST-CJD", name="曹家渡街道社区事务受理服务中心（测试）",
                                  short_name="曹家渡中心", level=CenterLevel.STREET, region=w.center.region,
                                  department=w.center.department)
    other_manager = UserFactory.create(username="t_other_manager")
    CenterStaff.objects.create(center=other, user=other_manager, is_manager=True)
    return TrainingWorld(w=w, center=w.center, item=w.cw.item, street_item=w.cw.street_item, clerk=w.clerk,
                         clerk2=clerk2, manager=w.manager, other_center=other, other_manager=other_manager)


@pytest.fixture
def training_world(center_world: CenterWorld) -> TrainingWorld:
    return build_training_world(center_world)


def case_facts(center: Center, item: ServiceItem | None, day: datetime.date, *, received: int = 0,
               clerk: User | None = None, handling_hours: list[float] | None = None) -> CaseDayFact:
    hours = handling_hours or []
    return CaseDayFact.objects.create(
        day=day, center=center, department_id=center.department_id, item=item, channel="window", clerk=clerk,
        received=received, accepted=received, concluded=len(hours), handling=len(hours),
        handling_seconds=int(sum(h * 3600 for h in hours)), handling_hist=histogram.of(h * 3600 for h in hours))


def rating_facts(center: Center, item: ServiceItem | None, day: datetime.date, *, scores: list[int],
                 clerk: User | None = None) -> RatingDayFact:
    levels: dict[str, Any] = {}
    for s in scores:
        levels[str(s)] = levels.get(str(s), 0) + 1
    return RatingDayFact.objects.create(
        day=day, center=center, department_id=center.department_id, item=item, clerk=clerk, channel="window",
        subject_type="window", ratings=len(scores), score_total=sum(scores), levels=levels,
        bad=sum(1 for s in scores if s <= 2))
