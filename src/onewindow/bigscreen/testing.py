"""Test fixtures of the big-data display (issue #16): an area of three zones with one source, and a
second area with its own source (a token of one area refused for the other).

``crowd_world`` (in bigscreen/tests/conftest.py): 南京西路 test area ``nanjingxilu`` (5-minute
buckets, k = 15), zones ``plaza66`` (capacity 1,000), ``citic`` (500) and ``zhangyuan`` (200), a
source "运营商测试源" with the scope ``crowd:ingest``; area ``lujiazui`` with zone ``ifc`` and its
source. ``NOW`` is a Monday at 13:02 Shanghai time (2 March 2026), so the latest closed bucket
starts at 12:55.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from onewindow.accounts.testing import make_api_token

from .models import Area, Source, Zone

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 13, 2))
INGEST_SCOPE = "crowd:ingest"


@dataclass
class CrowdWorld:
    area: Area
    plaza: Zone
    citic: Zone
    zhangyuan: Zone
    source: Source
    bearer: str
    other_area: Area
    other_zone: Zone
    other_source: Source
    other_bearer: str


def make_source(area: Area, name: str) -> tuple[Source, str]:
    token, bearer = make_api_token(name=name, scopes=[INGEST_SCOPE], system_name=f"crowd-{area.code}")
    return Source.objects.create(area=area, name=name, token=token), bearer


def build_crowd_world() -> CrowdWorld:
    area = Area.objects.create(code="nanjingxilu", name="南京西路商圈", name_en="West Nanjing Road",
                               bucket_minutes=5, stale_minutes=15, redaction_threshold=15)
    plaza = Zone.objects.create(area=area, code="plaza66", name="恒隆广场", capacity=1000, position=1)
    citic = Zone.objects.create(area=area, code="citic", name="中信泰富", capacity=500, position=2)
    zhangyuan = Zone.objects.create(area=area, code="zhangyuan", name="张园", capacity=200, position=3)
    source, bearer = make_source(area, "运营商测试源")
    other = Area.objects.create(code="lujiazui", name="陆家嘴商圈", name_en="Lujiazui")
    other_zone = Zone.objects.create(area=other, code="ifc", name="国金中心", capacity=800)
    other_source, other_bearer = make_source(other, "陆家嘴测试源")
    return CrowdWorld(area=area, plaza=plaza, citic=citic, zhangyuan=zhangyuan, source=source, bearer=bearer,
                      other_area=other, other_zone=other_zone, other_source=other_source,
                      other_bearer=other_bearer)
