"""The service wall's day figures from the rollups (issue #16 part 4): cases received per center,
the top items, the ratings' levels and their good share, and the last successful rollup run."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.analytics.models import CaseDayFact, RatingDayFact, RollupRun
from onewindow.analytics.selectors import wall
from onewindow.centers.testing import CenterWorld

pytestmark = pytest.mark.django_db
MON = datetime.date(2026, 3, 2)
TUE = datetime.date(2026, 3, 3)


def test_day_figures_of_the_centers(center_world: CenterWorld, django_assert_num_queries: Any) -> None:
    w, cw = center_world, center_world.cw
    CaseDayFact.objects.bulk_create([
        CaseDayFact(day=MON, center=w.center, department=cw.center, item=cw.item, channel="window", received=3),
        CaseDayFact(day=MON, center=w.center, department=cw.center, item=cw.item, channel="online", received=1),
        CaseDayFact(day=MON, center=w.center, department=cw.center, item=cw.street_item, channel="window",
                    received=4),
        CaseDayFact(day=MON, center=None, department=cw.p.department, item=cw.street_item, channel="online",
                    received=50),  # not a center's
        CaseDayFact(day=TUE, center=w.center, department=cw.center, item=cw.item, channel="window", received=9),
    ])
    RatingDayFact.objects.bulk_create([
        RatingDayFact(day=MON, center=w.center, department=cw.center, channel="pad", subject_type="service",
                      ratings=4, levels={"5": 2, "4": 1, "2": 1}),
        RatingDayFact(day=MON, center=w.center, department=cw.center, channel="web", subject_type="case",
                      ratings=1, levels={"3": 1}),
        RatingDayFact(day=MON, center=None, department=cw.p.department, channel="web", subject_type="case",
                      ratings=7, levels={"1": 7}),
    ])
    with django_assert_num_queries(1):
        assert wall.received_by_center(MON) == {w.center.pk: 8}
    ids = [w.center.pk]
    with django_assert_num_queries(1):
        assert wall.top_items(MON, center_ids=ids) == [
            {"code": "TESTCASE0000000000000000000001", "name": "食品经营许可（测试）", "count": 4},
            {"code": "TESTCASE0000000000000000000002", "name": "小餐饮经营许可（测试）", "count": 4}]
    assert wall.top_items(MON, center_ids=ids, limit=1) == [
        {"code": "TESTCASE0000000000000000000001", "name": "食品经营许可（测试）", "count": 4}]
    levels = wall.ratings_by_level(MON, center_ids=ids)
    assert levels == {"5": 2, "4": 1, "2": 1, "3": 1}
    assert wall.good_share(levels) == 0.6
    assert wall.good_share({}) is None
    assert wall.received_by_center(datetime.date(2026, 3, 4)) == {}
    assert wall.top_items(TUE, center_ids=ids)[0]["count"] == 9
    assert wall.top_items(MON, center_ids=[]) == [] and wall.ratings_by_level(MON, center_ids=[]) == {}


def test_the_last_successful_rollup_run() -> None:
    assert wall.rollups_as_of() is None
    at = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 0))
    RollupRun.objects.create(kind="update", started_at=at, finished_at=at + datetime.timedelta(seconds=3))
    RollupRun.objects.create(kind="update", started_at=at + datetime.timedelta(minutes=5),
                             finished_at=at + datetime.timedelta(minutes=5, seconds=1), error="OperationalError()")
    RollupRun.objects.create(kind="rebuild", started_at=at + datetime.timedelta(minutes=9), finished_at=None)
    assert wall.rollups_as_of() == at + datetime.timedelta(seconds=3)
