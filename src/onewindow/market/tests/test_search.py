"""Searching the registry (信息共享): credit code, two-character name fragment, pinyin initials,
filters, refusals, the cap, and the per-department audit of every lookup."""

from __future__ import annotations

import pytest

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError, NotFound, PermissionDenied, RateLimited
from onewindow.core.models import AuditEntry
from onewindow.market import selectors
from onewindow.market.search_keys import name_initials, search_keys
from onewindow.market.selectors import SearchFilters, entity_profile_for, entity_search_for, entity_unmasked_for
from onewindow.market.services import entity_register, entity_update
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db
SYSTEM = system_actor("test_search")


@pytest.fixture
def entities(registry_world: RegistryWorld) -> dict[str, str]:
    names = {
        "hd": entity_row(name="上海静安宏达贸易有限公司", industry_code="5211"),
        "ht": entity_row(name="上海恒通餐饮管理有限公司", industry_code="6210", street_code="310106021"),
        "bank": entity_row(name="上海银行股份有限公司静安支行", industry_code="66", street_code=""),
        "hd2": entity_row(name="上海宏达咖啡有限公司", industry_code="6232", status="revoked"),
    }
    for row in names.values():
        entity_register(by=SYSTEM, data=row)
    return {key: row["credit_code"] for key, row in names.items()}


def _names(user: object, **filters: str) -> list[str]:
    page = entity_search_for(user, SearchFilters(**filters))
    return [p.organization.name for p in page.items]


def test_two_character_fragment(registry_world: RegistryWorld, entities: dict[str, str]) -> None:
    regulator = registry_world.user("regulator")
    assert _names(regulator, q="宏达") == ["上海宏达咖啡有限公司", "上海静安宏达贸易有限公司"]
    assert _names(regulator, q="餐饮") == ["上海恒通餐饮管理有限公司"]
    assert _names(regulator, q="静安宏达贸易有限公司") == ["上海静安宏达贸易有限公司"]
    assert _names(regulator, q="静安") == ["上海静安宏达贸易有限公司", "上海银行股份有限公司静安支行"]


def test_pinyin_initials(registry_world: RegistryWorld, entities: dict[str, str]) -> None:
    regulator = registry_world.user("regulator")
    assert name_initials("上海银行股份有限公司静安支行") == "shyhgfyxgsjazx"
    assert _names(regulator, q="hdmy") == ["上海静安宏达贸易有限公司"]
    assert _names(regulator, q="HTCY") == ["上海恒通餐饮管理有限公司"]
    assert _names(regulator, q="yh") == ["上海银行股份有限公司静安支行"]
    assert _names(regulator, q="shjahdmyyxgs") == ["上海静安宏达贸易有限公司"]


def test_credit_code_and_filters(registry_world: RegistryWorld, entities: dict[str, str]) -> None:
    regulator = registry_world.user("regulator")
    assert _names(regulator, q=entities["ht"].lower()) == ["上海恒通餐饮管理有限公司"]
    assert _names(regulator, q="宏达", status="revoked") == ["上海宏达咖啡有限公司"]
    assert _names(regulator, street="310106021") == ["上海恒通餐饮管理有限公司"]
    assert _names(regulator, industry="H") == ["上海恒通餐饮管理有限公司", "上海宏达咖啡有限公司"]
    assert _names(regulator, industry="62", q="hd") == ["上海宏达咖啡有限公司"]
    assert _names(regulator, district="310106", industry="J") == ["上海银行股份有限公司静安支行"]


@pytest.mark.parametrize(("filters", "code"), [
    ({"q": "宏"}, "market_search_too_short"),
    ({"q": "公司"}, "market_search_too_broad"),
    ({"q": "有限公司"}, "market_search_too_broad"),
    ({"district": "310199"}, "market_region_unknown"),
    ({"industry": "9999"}, "market_industry_unknown"),
    ({"status": "closed"}, "market_status_unknown"),
])
def test_refusals(registry_world: RegistryWorld, filters: dict[str, str], code: str) -> None:
    with pytest.raises(DomainError) as err:
        entity_search_for(registry_world.user("regulator"), SearchFilters(**filters))
    assert (err.value.code, err.value.status) == (code, 422)


@pytest.mark.parametrize("name", ["citizen", "clerk_other_department"])
def test_only_supervising_staff_search(registry_world: RegistryWorld, name: str) -> None:
    with pytest.raises(PermissionDenied) as err:
        entity_search_for(registry_world.user(name), SearchFilters(q="宏达"))
    assert err.value.code == "market_registry_forbidden"


def test_renamed_entity_is_found_by_its_new_name_only(registry_world: RegistryWorld, entities: dict[str, str]) -> None:
    entity_update(by=SYSTEM, credit_code=entities["hd"], changes={"name": "上海静安瑞丰贸易有限公司"})
    regulator = registry_world.user("regulator")
    assert _names(regulator, q="宏达") == ["上海宏达咖啡有限公司"]
    assert _names(regulator, q="rfmy") == ["上海静安瑞丰贸易有限公司"]


def test_each_profile_lookup_is_audited_with_the_department(registry_world: RegistryWorld,
                                                            entities: dict[str, str]) -> None:
    w = registry_world
    entity_search_for(w.user("regulator"), SearchFilters(q="宏达"))
    # a search shows only what 企业信息公示 publishes: not audited
    assert not AuditEntry.objects.filter(action="market.entity_search").exists()
    view = entity_profile_for(w.user("data_clerk"), entities["hd"])
    assert view.profile.organization.name == "上海静安宏达贸易有限公司"
    assert [v.kind for v in view.versions] == ["registered"]
    entry = AuditEntry.objects.get(action="market.entity_view")
    assert (entry.target_id, entry.after) == (str(view.profile.pk), {"department_id": w.registrar.pk})
    with pytest.raises(NotFound):
        entity_profile_for(w.user("data_clerk"), "91310106MA1FL00000")


def test_results_are_capped(registry_world: RegistryWorld, entities: dict[str, str], monkeypatch: pytest.MonkeyPatch
                            ) -> None:
    monkeypatch.setattr(selectors, "SEARCH_CAP", 1)
    page = entity_search_for(registry_world.user("regulator"), SearchFilters(q="宏达"))
    assert (page.total, page.capped, [p.organization.name for p in page.items]) == (1, True, ["上海宏达咖啡有限公司"])


def test_unmask_legal_representative(registry_world: RegistryWorld, entities: dict[str, str],
                                     settings: object) -> None:
    w = registry_world
    profile = entity_unmasked_for(w.user("regulator"), entities["hd"])
    assert len(profile.legal_rep_id_number) == 18
    entry = AuditEntry.objects.get(action="personal_data.view")
    assert entry.after["purpose"] == {"kind": "market_entity", "reference": entities["hd"],
                                      "department_id": w.p.other_department.pk}
    for name, code in [("data_clerk", "unmask_forbidden"), ("admin", "unmask_forbidden")]:
        with pytest.raises(PermissionDenied) as err:
            entity_unmasked_for(w.user(name), entities["hd"])
        assert err.value.code == code
    with pytest.raises(PermissionDenied) as err:
        entity_unmasked_for(w.user("regulator"), entities["hd"], machine=True)
    assert err.value.code == "unmask_machine_forbidden"
    assert AuditEntry.objects.filter(action="personal_data.view_refused").count() == 3
    settings.ACCOUNTS_UNMASK_HARD_LIMIT = 1  # type: ignore[attr-defined]
    with pytest.raises(RateLimited):
        entity_unmasked_for(w.user("regulator"), entities["hd"])
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1


def test_keys_skip_the_organizational_form() -> None:
    keys = search_keys("上海宏达有限公司")
    assert keys == {"上海宏达有限公司", "海宏达有限公司", "宏达有限公司", "达有限公司",
                    "~shhdyxgs", "~hhdyxgs", "~hdyxgs", "~dyxgs"}
