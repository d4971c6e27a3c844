"""Fixtures of the catalog tests: regions (from core's division table), a department, an item.

The caches and the worker's last read of the catalog generation are reset before every test by the
root conftest's autouse ``_fresh_cache``; do not define another fixture of that name here (it would
shadow the root one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onewindow.catalog import services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, Region
from onewindow.core.services import regions_load

#: Who writes the catalog in these tests: the system (an import), one of the actors of
#: ``workflow.ACTORS``; who else may is ``test_transitions.py``'s business.
TEST_ACTOR = system_actor("test")


@pytest.fixture
def regions(db: Any) -> dict[str, Region]:
    regions_load(by=system_actor("test"))
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def police(regions: dict[str, Region]) -> Department:
    return Department.objects.create(code="SH-GA", name="上海市公安局", short_name="市公安局", level="city",
                                     region=regions["310000"], credit_code="11310000002419539T")


@pytest.fixture
def jingan_market(regions: dict[str, Region]) -> Department:
    return Department.objects.create(code="310106-SCJG", name="静安区市场监督管理局", short_name="区市场监管局",
                                     level="district", region=regions["310106"])


def content(**overrides: Any) -> dict[str, Any]:
    """Valid content of a version (a licence with limits, materials-free)."""
    data: dict[str, Any] = {
        "name": "普通护照签发", "category": "approval", "item_type": "01",
        "legal_basis": "《中华人民共和国护照法》第五条", "handling_type": "promised",
        "statutory_limit": 15, "statutory_unit": "working", "promised_limit": 7, "promised_unit": "working",
        "fee_free": False, "fee_text": "120元/本", "fee_amount": "120",
        "depth_level": 2, "depth_codes": "1^2^3", "channels": ["online", "window"], "on_site_visits": 1,
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_item(police: Department) -> Callable[..., ServiceItem]:
    counter = iter(range(1, 10_000))

    def make(**overrides: Any) -> ServiceItem:
        n = next(counter)
        fields: dict[str, Any] = {"by": TEST_ACTOR, "code": f"11310000002419539T{n:012d}", "basic_code": f"01{n:010d}",
                                  "department": police, "region": "310000", "level": "city",
                                  "materials": [{"name": "居民身份证", "form": "original"}]}
        fields.update(content())
        fields.update(overrides)
        return services.item_create(**fields)

    return make
