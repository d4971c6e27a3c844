"""The registry services: registration, its refusals (nothing written), changes with versions and
former names, status changes, the monthly risk classification, and the listeners (双告知)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.models import Organization
from onewindow.core.actors import system_actor
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.market import listeners
from onewindow.market.models import EntityProfile, EntitySearchKey, EntityVersion, FormerName
from onewindow.market.services import (
    RiskGradeRow,
    entity_register,
    entity_status_set,
    entity_update,
    risk_grades_import,
)
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Any:
    changes: list[listeners.EntityChange] = []
    listeners.register_entity_listener("zz_test", changes.append)
    yield changes
    listeners._LISTENERS.pop("zz_test", None)


def _counts() -> tuple[int, int, int, int, int]:
    return (Organization.objects.count(), EntityProfile.objects.count(), EntityVersion.objects.count(),
            EntitySearchKey.objects.count(), AuditEntry.objects.filter(action__startswith="market.entity").count())


def test_register_writes_profile_version_keys_audit_and_tells_listeners(registry_world: RegistryWorld,
                                                                         heard: Any) -> None:
    w = registry_world
    row = entity_row(name="上海静安宏达贸易有限公司", business_scope="餐饮服务")
    profile = entity_register(by=w.user("data_clerk"), data=row)
    org = profile.organization
    assert (org.credit_code, org.name, org.kind, org.region_id) == (row["credit_code"], "上海静安宏达贸易有限公司",
                                                                   "enterprise", w.streets["310106012"].pk)
    assert profile.legal_rep_id_number == row["legal_rep_id_number"]
    assert profile.legal_rep_id_number_masked == row["legal_rep_id_number"][:3] + "*" * 11 + row[
        "legal_rep_id_number"][-4:]
    assert (profile.industry.code, profile.district.code, profile.street.code) == ("5211", "310106", "310106012")
    assert profile.name_initials == "shjahdmyyxgs"
    version = EntityVersion.objects.get(organization=org)
    assert (version.number, version.kind, version.by) == (1, "registered", w.user("data_clerk"))
    assert version.after["legal_rep_id_number"] == profile.legal_rep_id_number_masked
    assert version.after["legal_rep_phone"] == profile.legal_rep_phone_masked
    assert set(EntitySearchKey.objects.filter(organization=org).values_list("key", flat=True)) >= {
        "宏达贸易有限公司", "~hdmyyxgs", "上海静安宏达贸易"}
    assert AuditEntry.objects.filter(action="market.entity_register", target_id=str(org.pk)).count() == 1
    assert [(c.kind, c.credit_code, c.industry_code, c.region_code, c.business_scope) for c in heard] == [
        ("registered", row["credit_code"], "5211", "310106012", "餐饮服务")]


@pytest.mark.parametrize(("override", "code", "field"), [
    ({"credit_code": "91310106MA1FL0000X"}, "credit_code_checksum", "credit_code"),
    ({"credit_code": "91310106MA1FL0000"}, "credit_code_format", "credit_code"),
    ({"district_code": "310199"}, "market_region_unknown", "district_code"),
    ({"street_code": "310104011"}, "market_region_unknown", "street_code"),
    ({"industry_code": "9999"}, "market_industry_unknown", "industry_code"),
    ({"entity_type": "公司"}, "market_entity_type_unknown", "entity_type"),
    ({"established_on": "2016-13-01"}, "market_date_invalid", "established_on"),
    ({"legal_rep_id_number": "310106198001010010"}, "id_number_checksum", "legal_rep_id_number"),
])
def test_register_refusals_change_nothing(registry_world: RegistryWorld, heard: Any, override: dict[str, str],
                                          code: str, field: str) -> None:
    w = registry_world
    before = _counts()
    with pytest.raises(DomainError) as err:
        entity_register(by=w.user("data_clerk"), data=entity_row(**override))
    assert (err.value.code, err.value.status, list(err.value.fields)) == (code, 422, [field])
    assert _counts() == before
    assert heard == []


def test_register_reports_every_bad_field(registry_world: RegistryWorld) -> None:
    with pytest.raises(DomainError) as err:
        entity_register(by=registry_world.user("data_clerk"),
                        data=entity_row(district_code="310199", industry_code="X9", name=""))
    assert sorted(err.value.fields) == ["district_code", "industry_code", "name"]


def test_individual_business_without_code_is_keyed_by_registration_number(registry_world: RegistryWorld) -> None:
    number = "310106000" + "12345"
    from stdnum.iso7064 import mod_11_10

    number += mod_11_10.calc_check_digit(number)
    profile = entity_register(by=registry_world.user("data_clerk"), data=entity_row(
        credit_code="", registration_number=number, entity_type="个体工商户", name="静安区老王烟杂店"))
    assert (profile.organization.credit_code, profile.has_credit_code, profile.registration_number,
            profile.organization.kind) == (number, False, number, "individual_business")
    wrong = number[:-1] + ("1" if number[-1] == "0" else "0")
    with pytest.raises(DomainError) as err:
        entity_register(by=registry_world.user("data_clerk"),
                        data=entity_row(credit_code="", registration_number=wrong, entity_type="individual_business"))
    assert err.value.code == "market_registration_number_invalid"
    with pytest.raises(DomainError) as err:
        entity_register(by=registry_world.user("data_clerk"), data=entity_row(credit_code=""))
    assert err.value.code == "market_credit_code_required"


def test_register_twice_is_a_conflict_and_an_existing_organization_becomes_the_entity(
        registry_world: RegistryWorld) -> None:
    w = registry_world
    org = w.p.organization  # created for applications, without a registry profile
    profile = entity_register(by=w.user("data_clerk"), data=entity_row(credit_code=org.credit_code))
    assert profile.organization_id == org.pk
    before = _counts()
    with pytest.raises(Conflict) as err:
        entity_register(by=w.user("data_clerk"), data=entity_row(credit_code=org.credit_code))
    assert err.value.code == "market_entity_exists"
    assert _counts() == before


@pytest.mark.parametrize("name", ["regulator", "data_clerk_other", "clerk_other_department", "citizen"])
def test_only_registrars_write(registry_world: RegistryWorld, name: str) -> None:
    before = _counts()
    with pytest.raises(PermissionDenied) as err:
        entity_register(by=registry_world.user(name), data=entity_row())
    assert err.value.code == "market_registry_forbidden"
    assert _counts() == before


def test_update_versions_rename_and_scope_change(registry_world: RegistryWorld, heard: Any) -> None:
    w = registry_world
    row = entity_row(name="上海静安宏达贸易有限公司")
    entity_register(by=system_actor("test"), data=row)
    heard.clear()
    clerk = w.user("data_clerk")
    same = entity_update(by=clerk, credit_code=row["credit_code"], changes={"address": row["address"]})
    assert same.version == 1
    assert EntityVersion.objects.count() == 1
    profile = entity_update(by=clerk, credit_code=row["credit_code"], renamed_on=datetime.date(2024, 5, 1),
                            changes={"name": "上海静安恒通餐饮有限公司", "business_scope": "餐饮服务",
                                     "legal_rep_phone": "13900000001"})
    assert profile.version == 2
    version = EntityVersion.objects.get(number=2)
    assert version.kind == "updated"
    assert version.before == {"name": "上海静安宏达贸易有限公司", "legal_rep_phone": row["legal_rep_phone"][:3] + "****"
                              + row["legal_rep_phone"][-4:], "business_scope": "日用百货销售"}
    assert version.after == {"name": "上海静安恒通餐饮有限公司", "legal_rep_phone": "139****0001",
                             "business_scope": "餐饮服务"}
    assert list(FormerName.objects.values_list("name", "used_until")) == [
        ("上海静安宏达贸易有限公司", datetime.date(2024, 5, 1))]
    keys = set(EntitySearchKey.objects.values_list("key", flat=True))
    assert "恒通餐饮有限公司" in keys and "宏达贸易有限公司" not in keys
    assert [(c.kind, c.previous_scope, c.business_scope) for c in heard] == [
        ("scope_changed", "日用百货销售", "餐饮服务")]
    with pytest.raises(DomainError) as err:
        entity_update(by=clerk, credit_code=row["credit_code"], changes={"credit_code": new_code()})
    assert err.value.code == "market_field_not_updatable"
    with pytest.raises(NotFound):
        entity_update(by=clerk, credit_code=new_code(), changes={"address": "x"})


def new_code() -> str:
    from onewindow.market.testing import new_credit_code

    return new_credit_code()


def test_status_transitions(registry_world: RegistryWorld) -> None:
    w = registry_world
    row = entity_row()
    entity_register(by=system_actor("test"), data=row)
    clerk = w.user("data_clerk")
    profile = entity_status_set(by=clerk, credit_code=row["credit_code"], status="revoked",
                                on=datetime.date(2023, 3, 1), reason="连续六个月未开业")
    assert (profile.status, profile.status_on, profile.version) == ("revoked", datetime.date(2023, 3, 1), 2)
    with pytest.raises(Conflict) as err:
        entity_status_set(by=clerk, credit_code=row["credit_code"], status="moved_out", on=datetime.date(2023, 4, 1))
    assert err.value.code == "market_status_illegal"
    entity_status_set(by=clerk, credit_code=row["credit_code"], status="deregistered", on=datetime.date(2023, 5, 1))
    assert list(EntityVersion.objects.order_by("number").values_list("kind", flat=True)) == [
        "registered", "status", "status"]


def test_risk_grades_import_reports_bad_rows_and_keeps_good(registry_world: RegistryWorld) -> None:
    w = registry_world
    a, b = entity_row(), entity_row()
    for row in (a, b):
        entity_register(by=system_actor("test"), data=row)
    month = datetime.date(2024, 6, 30)
    result = risk_grades_import(by=w.user("data_clerk"), rows=[
        RiskGradeRow(2, a["credit_code"], "B", month, "上海市市场监督管理局企业信用风险分类"),
        RiskGradeRow(3, b["credit_code"], "E", month, "同上"),
        RiskGradeRow(4, new_code(), "A", month, "同上"),
        RiskGradeRow(5, a["credit_code"], "C", datetime.date(2024, 5, 31), "older month"),
    ])
    assert (result.updated, result.unchanged) == (1, 1)
    assert [(e.line, e.field, e.code) for e in result.errors] == [
        (3, "grade", "market_risk_grade_invalid"), (4, "credit_code", "entity_not_found")]
    profile = EntityProfile.objects.get(organization__credit_code=a["credit_code"])
    assert (profile.risk_grade, profile.risk_graded_on, profile.risk_source) == (
        "B", month, "上海市市场监督管理局企业信用风险分类")
    assert EntityVersion.objects.filter(kind="risk_grade").count() == 1
