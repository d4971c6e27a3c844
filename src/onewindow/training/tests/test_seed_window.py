"""The seed window (issue #14; the seed: 500件以上的42项事项 get key, regular training): over the
12 months before 2017-09-05 the demo's 临汾路 history yields exactly 42 key-training items, read
from the rollups; the training demo then plans courses for the largest of them and the others stay
proposed. Loads only the steps it needs, as analytics/tests/test_seed_window.py does."""

from __future__ import annotations

import datetime

import pytest

from onewindow.accounts.testing import UserFactory
from onewindow.analytics.services.rollups import rollup_rebuild
from onewindow.cases.demo.seed_window import seed_window_load
from onewindow.catalog import demo as catalog_demo
from onewindow.catalog.models import ServiceItem
from onewindow.centers.choices import CenterLevel
from onewindow.centers.models import Center, CenterStaff
from onewindow.core import demo as core_demo
from onewindow.core.models import Department, Region
from onewindow.training import demo as training_demo
from onewindow.training import selectors
from onewindow.training.models import Course, TrainingSession

pytestmark = pytest.mark.django_db
SEED = 20170929
SEED_DAY = datetime.date(2017, 9, 5)


def test_the_seed_window_yields_42_key_items_and_the_demo_trains_the_largest() -> None:
    core_demo.load(lambda n: None, SEED)
    catalog_demo.load(lambda n: None, SEED)
    seed_window_load(lambda n: None, SEED)
    department = Department.objects.get(code="310106021-SQSW")
    center = Center.objects.create(code="310106021", name="临汾路街道社区事务受理服务中心", level=CenterLevel.STREET,
                                   region=Region.objects.get(code="310106021"), department=department)
    center.items.set(list(ServiceItem.objects.filter(department=department)))
    manager = UserFactory.create(username="seed_manager")
    clerks = [UserFactory.create(username=f"seed_clerk{i}") for i in range(10)]
    CenterStaff.objects.create(center=center, user=manager, is_manager=True)
    CenterStaff.objects.bulk_create([CenterStaff(center=center, user=u) for u in clerks])
    rollup_rebuild()

    key = selectors.key_proposals(by=manager, center_id=center.pk, on=SEED_DAY)
    assert (key["start"], key["end"], key["threshold"]) == (datetime.date(2016, 9, 6), SEED_DAY, 500)
    assert (len(key["items"]), key["untrained"]) == (42, 42)
    assert all(r["volume"] >= 500 for r in key["items"])

    training_demo.load(lambda n: None, SEED)
    assert training_demo.load(lambda n: None, SEED) == []  # idempotent
    largest = {r["item_id"] for r in key["items"][:training_demo.KEY_COURSES]}
    assert set(Course.objects.filter(is_key=True).values_list("items", flat=True)) == largest
    after = selectors.key_proposals(by=manager, center_id=center.pk, on=SEED_DAY)
    assert after["untrained"] == 42 - training_demo.KEY_COURSES
    assert {r["item_id"] for r in after["items"] if not r["proposed"]} == largest
    assert TrainingSession.objects.filter(status="planned").count() == 2
