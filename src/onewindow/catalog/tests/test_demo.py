"""The demo catalog reproduces the seed article's online-hall figures exactly (figures.json)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from onewindow.catalog import demo
from onewindow.catalog.models import ItemVersion, Material, ServiceItem
from onewindow.catalog.selectors import catalog_stats
from onewindow.core.models import Department, Region

# The seed's figures file sits beside the checkout in the project workspace (../shared/seed/).
FIGURES_FILE = Path(__file__).resolve().parents[4].parent / "shared" / "seed" / "figures.json"
FIGURES = json.loads(FIGURES_FILE.read_text(encoding="utf-8")) if FIGURES_FILE.exists() else None
HALL = {
    "city_approval_items": 785, "district_approval_items_total": 6500, "city_service_items_min": 240,
    "district_service_items_min": 3000, "city_approval_items_fully_online": 100,
    "district_approval_items_fully_online_min": 700, "districts": 16,
}


@pytest.fixture
def loaded(regions: dict[str, Region]) -> list[int]:
    ticks: list[int] = []
    demo.load(progress=ticks.append, seed=20170929)
    return ticks


def test_demo_reproduces_the_online_hall_figures(loaded: list[int]) -> None:
    if FIGURES is not None:  # the constants below are the seed file's, where the file is at hand
        assert {k: FIGURES["online_hall"][k] for k in HALL} == HALL
    stats = catalog_stats()
    assert stats.city_approval == 785
    assert stats.district_approval == 6500
    assert stats.city_service == 246
    assert stats.district_service == 3040
    assert stats.city_approval_fully_online == 100
    assert stats.district_approval_fully_online == 720
    # the hall counts items in force: 临汾路's 170 less the 5 withdrawn in the seed window
    assert stats.street_service == 165
    assert stats.total == 10736
    per_district = dict(ServiceItem.objects.filter(level="district", category="approval")
                        .values_list("district__code").annotate(n=Count("id")))
    assert len(per_district) == 16
    assert sum(per_district.values()) == 6500
    linfen = ServiceItem.objects.filter(region__code="310106021")
    assert linfen.count() == 170
    assert set(linfen.values_list("department__name", flat=True)) == {"临汾路街道社区事务受理服务中心"}
    assert sum(loaded) > 0


def test_demo_data_is_consistent_and_realistic(loaded: list[int]) -> None:
    assert ItemVersion.objects.count() == 10741 + 5
    assert ServiceItem.objects.filter(current_version__isnull=True).count() == 0
    # version 1 everywhere, but 临汾路's 5 items withdrawn in 2016–2017 (version 2, dated then)
    withdrawn = ServiceItem.objects.exclude(current_version__number=1)
    assert sorted(withdrawn.values_list("name", "status", "current_version__number", "current_version__status",
                                        "current_version__status_date")) == sorted(
        (name, "withdrawn", 2, "withdrawn", day) for name, (day, _r) in demo.LINFEN_WITHDRAWN.items())
    assert set(withdrawn.values_list("region__code", flat=True)) == {"310106021"}
    assert all(datetime.date(2016, 4, 1) <= day <= datetime.date(2017, 9, 5)
               for day, _r in demo.LINFEN_WITHDRAWN.values())
    linfen_v1 = ItemVersion.objects.filter(item__region__code="310106021", number=1)
    assert set(linfen_v1.values_list("valid_from", flat=True)) == {datetime.date(2015, 10, 1)}
    assert Material.objects.count() >= 3 * 10741
    # fully online ⇔ level Ⅳ with no on-site visit (DOMAIN.md R1.6)
    assert ItemVersion.objects.filter(fully_online=True).exclude(depth_level=4, on_site_visits=0).count() == 0
    # every promised limit within the statutory one (R1.4)
    for statutory, promised in ItemVersion.objects.filter(statutory_limit__isnull=False).values_list(
            "statutory_limit", "promised_limit"):
        assert promised <= statutory
    assert not ServiceItem.objects.filter(name__regex=r"(?i)item|事项\d").exists()
    passport = ServiceItem.objects.get(name="普通护照签发")
    assert passport.department.name == "上海市公安局"
    assert passport.level == "city"
    assert passport.code.startswith(passport.department.credit_code)
    assert len(passport.code) <= 36
    assert Department.objects.filter(level="city").count() == 37
    assert Department.objects.filter(name="静安区市场监督管理局").exists()


def test_demo_is_idempotent_and_deterministic(loaded: list[int]) -> None:
    names_before = list(ServiceItem.objects.order_by("code").values_list("code", "name", "fully_online"))
    demo.load(progress=lambda n: None, seed=20170929)
    assert ServiceItem.objects.count() == 10741
    assert list(ServiceItem.objects.order_by("code").values_list("code", "name", "fully_online")) == names_before


def test_demo_refuses_without_regions(db: Any) -> None:
    with pytest.raises(RuntimeError, match="regions missing"):
        demo.load(progress=lambda n: None, seed=1)
    assert ServiceItem.objects.count() == 0
    assert Department.objects.count() == 0


def test_on_the_full_demo_catalog_hz_and_huzhao_put_the_passport_first(loaded: list[int]) -> None:
    from onewindow.catalog.selectors import item_search

    first_three = [i.name for i in item_search(user=None, q="hz").items[:3]]
    assert first_three == ["普通护照签发", "普通护照换发", "普通护照补发"]
    assert item_search(user=None, q="护照").items[0].name == "普通护照签发"
