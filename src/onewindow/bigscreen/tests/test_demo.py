"""The big-screen demo step (issue #16 "Done means"): 南京西路商圈 with its zones, the simulated
source and its history, the 临汾路 big screen; idempotent, and its bulk history is what the ingest
would have written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import User
from onewindow.bigscreen import demo
from onewindow.bigscreen.choices import Panel
from onewindow.bigscreen.models import Area, CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Screen, Source
from onewindow.bigscreen.selectors.crowd import crowd_snapshot
from onewindow.bigscreen.services.ingest import area_bucket_recompute, crowd_report_ingest
from onewindow.bigscreen.services.simulate import SOURCE_NAME, bucket_counts
from onewindow.centers.choices import DeviceKind
from onewindow.centers.demo_names import CENTER_CODE
from onewindow.centers.models import Center, Device
from onewindow.centers.testing import CenterWorld
from onewindow.core.models import AuditEntry

NOW = timezone.make_aware(datetime.datetime(2026, 12, 7, 13, 2))  # a Monday; the 12:55 bucket closed
LAST = timezone.make_aware(datetime.datetime(2026, 12, 7, 12, 55))
ZONES = ["plaza66", "citic", "taikoohui", "kerry", "zhangyuan", "wujianglu"]


@pytest.fixture
def demo_world(center_world: CenterWorld) -> CenterWorld:
    """What the earlier demo steps leave: ``admin``, ``manager`` (manager of the 临汾路 center)."""
    User.objects.filter(pk=center_world.cw.p.admin.pk).update(username="admin")
    User.objects.filter(pk=center_world.manager.pk).update(username="manager")
    Center.objects.filter(pk=center_world.center.pk).update(code=CENTER_CODE)
    return center_world


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Area, Source, CrowdReport, CrowdRevision, CrowdCount, CrowdAreaBucket, Screen, Device,
                          AuditEntry)}


def load(**kwargs: Any) -> list[tuple[str, str, str]]:
    return demo.load(seed=20170929, size="small", now=NOW, **kwargs)


def test_demo_loads_the_area_its_feed_two_days_and_the_big_screen(demo_world: CenterWorld) -> None:
    ticks: list[int] = []
    printed = load(progress=ticks.append)

    area = Area.objects.get(code="nanjingxilu")
    assert (area.name, area.name_en, area.bucket_minutes, area.redaction_threshold) == (
        "南京西路商圈", "West Nanjing Road", 5, 15)
    assert area.duty_officer_id == demo_world.manager.pk
    assert list(area.zones.order_by("position").values_list("code", "capacity")) == [
        ("plaza66", 12000), ("citic", 6000), ("taikoohui", 12000), ("kerry", 10000), ("zhangyuan", 4000),
        ("wujianglu", 5000)]
    source = Source.objects.select_related("token").get(area=area)
    assert source.name == SOURCE_NAME
    assert source.token.scopes == ["crowd:ingest"]
    assert source.last_bucket_start == LAST
    # two days of 5-minute buckets, 6 zones × 3 origin classes each
    assert CrowdReport.objects.filter(source=source).count() == 576
    assert CrowdRevision.objects.filter(report__source=source, via="simulator", revision=1).count() == 576
    assert CrowdCount.objects.filter(report__source=source).count() == 576 * 18
    starts = list(CrowdAreaBucket.objects.filter(area=area).order_by("bucket_start")
                  .values_list("bucket_start", flat=True))
    assert starts == [LAST - datetime.timedelta(minutes=5 * n) for n in range(575, -1, -1)]
    assert sum(ticks) == 576 + 2

    screen = Screen.objects.select_related("device").get(name="大数据展示中心大屏")
    assert (screen.layout, screen.rotate_seconds, screen.area_id) == ("1080p", 20, area.pk)
    assert screen.panels == list(Panel.values)
    assert (screen.device.kind, screen.device.center_id, screen.device.name) == (
        DeviceKind.DISPLAY, demo_world.center.pk, "大数据展示中心大屏")
    assert screen.device.token.scopes == ["device"]
    assert [line[:2] for line in printed] == [("enrol:bigscreen", "/centers/devices/enrol/"),
                                              ("page:crowd", "/bigscreen/nanjingxilu/"),
                                              ("page:wall", "/bigscreen/wall/")]


def test_demo_is_idempotent_and_tops_up_only_the_missing_buckets(
        demo_world: CenterWorld, django_assert_max_num_queries: Any) -> None:
    load()
    before = counts()
    with django_assert_max_num_queries(20):
        again = load()
    assert counts() == before
    assert again[1][1] == "/bigscreen/nanjingxilu/"

    demo.load(seed=20170929, size="small", now=NOW + datetime.timedelta(hours=1))
    after = counts()
    assert after["CrowdReport"] == before["CrowdReport"] + 12
    assert after["CrowdAreaBucket"] == before["CrowdAreaBucket"] + 12
    assert after["Screen"] == before["Screen"] == 1

    # an administrator stopped the simulated feed: a later run leaves it stopped and sends nothing
    Source.objects.filter(name=SOURCE_NAME).update(is_active=False)
    demo.load(seed=20170929, size="small", now=NOW + datetime.timedelta(hours=2))
    assert counts() == after


def test_bulk_history_is_what_the_ingest_writes(demo_world: CenterWorld) -> None:
    """A resend of a history bucket through the ingest is ``unchanged`` (same digest), and the
    merged bucket recomputed from the reports is the one the bulk path stored."""
    load()
    source = Source.objects.select_related("area").get(name=SOURCE_NAME)
    zones = list(source.area.zones.order_by("position").values_list("code", "capacity"))
    for start in (LAST, LAST - datetime.timedelta(hours=13, minutes=5)):
        stored = CrowdAreaBucket.objects.get(area=source.area, bucket_start=start)
        result = crowd_report_ingest(source=source, area_code="nanjingxilu", bucket_start=start,
                                     counts=bucket_counts(zones, start, seed=20170929), via="simulator", now=NOW)
        assert (result.status, result.revision) == ("unchanged", 1)
        fresh = area_bucket_recompute(area_id=source.area_id, bucket_start=start, now=NOW)
        assert fresh is not None
        assert (fresh.present, fresh.arrivals, fresh.by_origin, fresh.by_zone, fresh.sources) == (
            stored.present, stored.arrivals, stored.by_origin, stored.by_zone, stored.sources)
        assert list(stored.by_zone) == sorted(ZONES)


def test_the_public_crowd_page_has_data_at_once(demo_world: CenterWorld) -> None:
    load()
    snapshot = crowd_snapshot("nanjingxilu", now=NOW)
    assert snapshot["as_of"] == "2026-12-07T13:00:00+08:00"
    assert snapshot["stale"] is False
    assert isinstance(snapshot["now"]["present"], int) and snapshot["now"]["present"] > 1000
    assert [o["origin"] for o in snapshot["origins"]] == ["local", "domestic", "international"]
    assert [z["code"] for z in snapshot["zones"]] == ZONES
