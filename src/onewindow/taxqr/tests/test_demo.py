"""The taxqr demo loader: the seed's pilot of 45 transactions, the roll-out year, idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.models import User
from onewindow.taxqr import demo
from onewindow.taxqr.models import TaxRecord


@pytest.mark.django_db
def test_demo_loads_the_pilot_and_a_scaled_year_once(settings: Any, tmp_path: Any, monkeypatch: Any) -> None:
    settings.TAXQR_KEY_DIR = tmp_path / "keys"
    monkeypatch.setattr(demo, "MONTHLY", (3, 2))
    counted: list[int] = []
    accounts = demo.load(progress=counted.append, seed=20170929)
    assert [a[0] for a in accounts] == ["taxclerk", "agency"]
    assert sum(counted) == 45 + 5
    pilot = list(TaxRecord.objects.filter(saved_at__year=2017, saved_at__month__lte=8).order_by("archive_no"))
    assert [r.archive_no for r in pilot] == [f"JA-2017-{n:06d}" for n in range(1, 46)]
    assert {r.agency_name for r in pilot} == {"上海链家房地产经纪有限公司", "上海中正房地产经纪有限公司"}
    assert str(pilot[0].saved_at.date()) >= "2017-07-17" and str(pilot[-1].saved_at.date()) <= "2017-08-31"
    assert [r.saved_at for r in pilot] == sorted(r.saved_at for r in pilot)
    assert all(20 <= (r.saved_at - r.first_scan_at).total_seconds() <= 180 for r in pilot)
    assert TaxRecord.objects.filter(archive_no="JA-2017-000050").exists()
    assert User.objects.get(username="agency").organization.name == "上海链家房地产经纪有限公司"
    before = list(TaxRecord.objects.values_list("archive_no", "envelope_hash"))
    assert demo.load(progress=counted.append, seed=20170929) == accounts
    assert list(TaxRecord.objects.values_list("archive_no", "envelope_hash")) == before
