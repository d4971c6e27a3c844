"""Catalog writes: validation refusals (exact code, nothing written), immutable versions, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from onewindow.catalog import services
from onewindow.catalog.models import BasicItem, ItemType, ItemVersion, Material, ServiceItem
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry, Department

from .conftest import TEST_ACTOR


def _counts() -> tuple[int, int, int, int, int]:
    return (ServiceItem.objects.count(), ItemVersion.objects.count(), Material.objects.count(),
            BasicItem.objects.count(), AuditEntry.objects.count())


def test_item_types_are_seeded_unconfirmed(db: Any) -> None:
    types = {t.code: t for t in ItemType.objects.all()}
    assert set(types) == {"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"}
    assert types["01"].name == "行政许可"
    assert types["20"].name == "公共服务"
    assert types["20"].is_power is False
    assert not any(t.is_confirmed for t in types.values())
    assert services.item_types_seed() == 0


def test_create_makes_version_one_with_search_copy_and_audit(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    item.refresh_from_db()
    version = item.current_version
    assert version is not None
    assert version.number == 1
    assert (item.name, item.name_pinyin, item.name_initials) == ("普通护照签发", "putonghuzhaoqianfa", "pthzqf")
    assert item.level_rank == 0
    assert item.district is None
    assert item.status == "active"
    assert version.channels == "online^window"
    assert str(version.fee_amount) == "120.00"
    assert list(version.materials.values_list("name", "form", "copies", "required")) == [
        ("居民身份证", "original", 1, True)]
    assert item.basic_item.code == "010000000001"
    entry = AuditEntry.objects.get(action="catalog.item_create")
    assert entry.target_id == str(item.pk)
    assert entry.after["number"] == 1


def test_district_item_records_its_district(make_item: Callable[..., ServiceItem],
                                            jingan_market: Department) -> None:
    item = make_item(department=jingan_market, region="310106", level="district", name="食品经营许可（新办）",
                     fee_free=True, fee_text="", fee_amount=None)
    assert item.district is not None and item.district.code == "310106"
    assert item.level_rank == 1


REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty name", {"name": "   "}, "catalog.name_required", "name"),
    ("negative statutory", {"statutory_limit": -1}, "catalog.negative_limit", "statutory_limit"),
    ("negative promised", {"promised_limit": -3}, "catalog.negative_limit", "promised_limit"),
    ("non-integer limit", {"promised_limit": 2.5}, "catalog.bad_limit", "promised_limit"),
    ("promised > statutory", {"promised_limit": 16}, "catalog.promised_exceeds_statutory", "promised_limit"),
    ("unknown type", {"item_type": "99"}, "catalog.unknown_type", "item_type"),
    ("bad category", {"category": "other"}, "catalog.bad_choice", "category"),
    ("bad unit", {"statutory_unit": "hours"}, "catalog.bad_choice", "statutory_unit"),
    ("bad handling type", {"handling_type": "3"}, "catalog.bad_choice", "handling_type"),
    ("bad depth code", {"depth_codes": "3^9"}, "catalog.bad_depth_codes", "depth_codes"),
    ("repeated depth code", {"depth_codes": "3^3"}, "catalog.bad_depth_codes", "depth_codes"),
    ("bad channel", {"channels": ["fax"]}, "catalog.bad_channel", "channels"),
    ("no channel", {"channels": []}, "catalog.bad_channel", "channels"),
    ("level IV with visit", {"depth_level": 4, "on_site_visits": 1}, "catalog.fully_online_visits",
     "on_site_visits"),
    ("fully online with visit", {"fully_online": True, "on_site_visits": 2}, "catalog.fully_online_visits",
     "on_site_visits"),
    ("level IV not flagged", {"depth_level": 4, "on_site_visits": 0, "fully_online": False},
     "catalog.depth_mismatch", "fully_online"),
    ("negative fee", {"fee_amount": "-1"}, "catalog.bad_fee", "fee_amount"),
    ("fee not a number", {"fee_amount": "abc"}, "catalog.bad_fee", "fee_amount"),
    ("charged without standard", {"fee_free": False, "fee_text": "", "fee_amount": None},
     "catalog.fee_required", "fee_text"),
    ("free with amount", {"fee_free": True, "fee_amount": "5"}, "catalog.bad_fee", "fee_amount"),
    ("schema not object", {"form_schema": {"type": "string"}}, "catalog.bad_form_schema", "form_schema"),
    ("schema keyword invalid", {"form_schema": {"type": "object", "properties": {"name": {
        "type": "string", "maxLength": -1}}}}, "catalog.bad_form_schema", "form_schema"),
    ("schema without properties", {"form_schema": {"type": "object"}}, "catalog.bad_form_schema",
     "form_schema"),
    ("schema property without type", {"form_schema": {"type": "object", "properties": {"a": {}}}},
     "catalog.bad_form_schema", "form_schema"),
    ("schema required unknown", {"form_schema": {"type": "object", "properties": {"a": {"type": "string"}},
                                                 "required": ["b"]}}, "catalog.bad_form_schema", "form_schema"),
    ("schema ID-number field unmarked", {"form_schema": {"type": "object", "properties": {"id_number": {
        "type": "string", "title": "身份证号码"}}}}, "catalog.bad_form_schema", "form_schema"),
    ("schema phone field unmarked", {"form_schema": {"type": "object", "properties": {"tel": {
        "type": "string", "title": "联系电话"}}}}, "catalog.bad_form_schema", "form_schema"),
    ("schema personal format not a string", {"form_schema": {"type": "object", "properties": {"m": {
        "type": "integer", "format": "cn-mobile"}}}}, "catalog.bad_form_schema", "form_schema"),
    ("schema unknown personal kind", {"form_schema": {"type": "object", "properties": {"m": {
        "type": "string", "x-personal": "secret"}}}}, "catalog.bad_form_schema", "form_schema"),
    ("immediate with limit", {"handling_type": "immediate", "promised_limit": 3}, "catalog.immediate_with_limit",
     "promised_limit"),
    ("bad visits", {"on_site_visits": -1}, "catalog.bad_visits", "on_site_visits"),
    ("unknown department", {"department": "NOPE"}, "catalog.unknown_department", "department"),
    ("unknown region", {"region": "999999"}, "catalog.unknown_region", "region"),
    ("region level mismatch", {"region": "310106"}, "catalog.region_level_mismatch", "region"),
    ("bad level", {"level": "province"}, "catalog.bad_choice", "level"),
    ("code too long", {"code": "X" * 37}, "catalog.bad_code", "code"),
    ("code with spaces", {"code": "AB CD"}, "catalog.bad_code", "code"),
    ("empty code", {"code": ""}, "catalog.bad_code", "code"),
    ("basic code too long", {"basic_code": "1" * 13}, "catalog.bad_basic_code", "basic_code"),
    ("material without name", {"materials": [{"name": ""}]}, "catalog.material_name_required",
     "materials.0.name"),
    ("material bad form", {"materials": [{"name": "身份证", "form": "scan"}]}, "catalog.bad_choice",
     "materials.0.form"),
    ("material zero copies", {"materials": [{"name": "身份证", "copies": 0}]}, "catalog.bad_copies",
     "materials.0.copies"),
]


@pytest.mark.parametrize(("label", "overrides", "code", "field"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_create_refusals_write_nothing(make_item: Callable[..., ServiceItem], label: str,
                                       overrides: dict[str, Any], code: str, field: str) -> None:
    before = _counts()
    with pytest.raises(DomainError) as info:
        make_item(**overrides)
    assert info.value.code == code
    assert list(info.value.fields) == [field]
    assert info.value.status == 400
    assert str(info.value.message)
    assert _counts() == before


def test_duplicate_code_is_a_conflict_and_writes_nothing(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    before = _counts()
    with pytest.raises(DomainError) as info:
        make_item(code=item.code, basic_code="019999999999")
    assert (info.value.code, info.value.status) == ("catalog.duplicate_code", 409)
    assert _counts() == before
    assert not BasicItem.objects.filter(code="019999999999").exists()


def test_same_basic_item_twice_for_one_body_is_a_conflict(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    before = _counts()
    with pytest.raises(DomainError) as info:
        make_item(basic_code=item.basic_item.code)
    assert (info.value.code, info.value.status) == ("catalog.duplicate_item", 409)
    assert _counts() == before


def test_promised_may_exceed_statutory_only_in_another_unit(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item(statutory_limit=5, statutory_unit="working", promised_limit=7, promised_unit="natural")
    assert item.current_version is not None
    assert (item.current_version.statutory_limit, item.current_version.promised_limit) == (5, 7)


def test_revise_makes_a_new_version_and_keeps_the_old(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    v1 = item.current_version
    assert v1 is not None
    v2 = services.item_revise(by=TEST_ACTOR, item=item, name="普通护照签发（含换发）", promised_limit=5,
                              change_note="压缩承诺时限")
    item.refresh_from_db()
    v1.refresh_from_db()
    assert (v2.number, item.current_version_id) == (2, v2.pk)
    assert (v1.name, v1.promised_limit) == ("普通护照签发", 7)
    assert (v2.name, v2.promised_limit, v2.change_note) == ("普通护照签发（含换发）", 5, "压缩承诺时限")
    assert item.name == "普通护照签发（含换发）"
    assert item.name_initials == "pthzqfhhf"
    assert list(v2.materials.values_list("name", flat=True)) == ["居民身份证"]
    assert list(v1.materials.values_list("name", flat=True)) == ["居民身份证"]
    v3 = services.item_revise(by=TEST_ACTOR, item=item, materials=[{"name": "户口簿", "form": "copy", "copies": 2}])
    assert list(v3.materials.values_list("name", "form", "copies")) == [("户口簿", "copy", 2)]
    assert list(v2.materials.values_list("name", flat=True)) == ["居民身份证"]
    assert AuditEntry.objects.filter(action="catalog.item_revise").count() == 2


def test_revise_refusals_write_nothing(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    before = _counts()
    for changes, code in (({"promised_limit": 99}, "catalog.promised_exceeds_statutory"),
                          ({"name": ""}, "catalog.name_required"),
                          ({}, "catalog.no_change"),
                          ({"statutory_limit": 15}, "catalog.no_change"),
                          ({"code": "X"}, "catalog.unknown_field"),
                          ({"status": "withdrawn"}, "catalog.unknown_field")):
        with pytest.raises(DomainError) as info:
            services.item_revise(by=TEST_ACTOR, item=item, **changes)
        assert info.value.code == code
    assert _counts() == before
    item.refresh_from_db()
    assert item.current_version is not None and item.current_version.number == 1


def test_versions_and_materials_are_immutable(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    version = ItemVersion.objects.get(item=item)
    version.name = "改名"
    with pytest.raises(ValueError, match="immutable"):
        version.save()
    material = Material.objects.get(version=version)
    material.name = "改名"
    with pytest.raises(ValueError, match="immutable"):
        material.save()
    with pytest.raises(ValueError, match="immutable"):
        ItemVersion.objects.filter(item=item).update(name="改名")
    with pytest.raises(ValueError, match="never deleted"):
        ItemVersion.objects.filter(item=item).delete()
    assert ItemVersion.objects.get(item=item).name == "普通护照签发"
    assert Material.objects.get(version=version).name == "居民身份证"


def test_database_refuses_bad_enumerations(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    for field, value in (("status", "gone"), ("level", "x"), ("category", "x"), ("depth_level", 7)):
        with pytest.raises(IntegrityError), transaction.atomic():
            ServiceItem.objects.filter(pk=item.pk).update(**{field: value})
    item.refresh_from_db()
    assert (item.status, item.level, item.category, item.depth_level) == ("active", "city", "approval", 2)


def test_suspend_restore_withdraw_are_versions(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    v2 = services.item_suspend(by=TEST_ACTOR, item=item, reason="系统升级暂停受理")
    item.refresh_from_db()
    assert (v2.number, v2.status, v2.status_reason, item.status) == (2, "suspended", "系统升级暂停受理",
                                                                     "suspended")
    assert v2.status_date is not None
    v3 = services.item_restore(by=TEST_ACTOR, item=item, reason="系统升级完成")
    assert (v3.number, v3.status) == (3, "active")
    v4 = services.item_withdraw(by=TEST_ACTOR, item=item, reason="国务院决定取消该许可")
    item.refresh_from_db()
    assert (v4.number, v4.status, item.status) == (4, "withdrawn", "withdrawn")
    assert [v.status for v in item.versions.order_by("number")] == ["active", "suspended", "active",
                                                                      "withdrawn"]
    assert AuditEntry.objects.filter(action__in=["catalog.item_suspend", "catalog.item_restore",
                                                 "catalog.item_withdraw"]).count() == 3


def test_status_change_refusals_write_nothing(make_item: Callable[..., ServiceItem]) -> None:
    item = make_item()
    before = _counts()
    with pytest.raises(DomainError) as info:
        services.item_suspend(by=TEST_ACTOR, item=item, reason="  ")
    assert info.value.code == "catalog.reason_required"
    with pytest.raises(DomainError) as info:
        services.item_restore(by=TEST_ACTOR, item=item, reason="恢复")
    assert (info.value.status, info.value.code) == (409, "item_illegal_transition")
    services.item_withdraw(by=TEST_ACTOR, item=item, reason="取消")
    after_withdraw = _counts()
    for action in (services.item_suspend, services.item_restore, services.item_withdraw):
        with pytest.raises(DomainError) as info:
            action(by=TEST_ACTOR, item=item, reason="再试")
        assert (info.value.status, info.value.code) == (409, "item_illegal_transition")
    assert _counts() == after_withdraw
    assert after_withdraw[1] == before[1] + 1
