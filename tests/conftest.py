"""Fixtures of the project-level tests."""

from __future__ import annotations

import pytest

from onewindow.accounts.testing import Principals

PASSPORT_CODE = "11310000MB2F0000000001"
RESIDENCE_CODE = "11310000MB2F0000000002"


@pytest.fixture
def catalog_items(principals: Principals) -> list[str]:
    """Two active items through the catalog's own service (the demo loader makes ~10,700)."""
    from onewindow.catalog.models import ItemType
    from onewindow.catalog.services import item_create

    licence, _ = ItemType.objects.get_or_create(code="01", defaults={"name": "行政许可", "is_power": True})
    service, _ = ItemType.objects.get_or_create(code="20", defaults={"name": "公共服务", "is_power": False})
    admin = principals.user("admin")
    item_create(by=admin, code=PASSPORT_CODE, basic_code="XK0000101", department=principals.department,
                region=principals.district, level="district", name="普通护照签发", item_type=licence,
                category="approval", statutory_limit=20, promised_limit=7, channels="online^window",
                materials=[{"name": "居民身份证", "form": "original", "copies": 1, "required": True}])
    item_create(by=admin, code=RESIDENCE_CODE, basic_code="GG0000201", department=principals.other_department,
                region=principals.other_district, level="district", name="居住证办理", item_type=service,
                category="service", statutory_limit=15, promised_limit=10, channels="window")
    return [PASSPORT_CODE, RESIDENCE_CODE]
