"""The demo year covers all 16 districts of Shanghai, Jing'an (the demo's own district) the busiest,
each district's cases numbered gap-free in its own scope (issue #10 part 6). Small profile."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from onewindow.accounts import demo as accounts_demo
from onewindow.cases import demo
from onewindow.cases.models import Case
from onewindow.catalog import demo as catalog_demo
from onewindow.catalog.demo_names import DISTRICT_APPROVAL_COUNTS
from onewindow.core.actors import system_actor
from onewindow.core.models import NumberCounter
from onewindow.core.services import regions_load

SEED = 20170929


@pytest.mark.django_db
def test_the_small_demo_year_has_cases_in_every_district_jingan_the_most() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    demo.load(progress=lambda n: None, seed=SEED, size="small")

    rows = list(Case.objects.exclude(number=None).values_list(
        "number", "handling_department__region__code", "receiving_department__region__code"))
    per_district = Counter(handling[:6] for _n, handling, _r in rows)
    assert set(per_district) == set(DISTRICT_APPROVAL_COUNTS)  # the 16 districts, nothing else
    jingan = per_district.pop("310106")
    assert jingan > max(per_district.values())
    assert min(per_district.values()) >= 5  # 11 for the seed: 2.5 % of 静安区 over two weeks
    # A case is numbered in the district that received it, gap-free per district and year.
    numbers: dict[str, list[int]] = defaultdict(list)
    for number, _h, receiving in rows:
        assert number[:6] == receiving[:6]
        numbers[number[:11]].append(int(number[12:]))
    counters = dict(NumberCounter.objects.filter(scope__startswith="cases:").values_list("scope", "value"))
    for prefix, values in numbers.items():
        assert sorted(values) == list(range(1, len(values) + 1)), prefix
        assert counters[f"cases:{prefix[:6]}:{prefix[7:]}"] == len(values)
