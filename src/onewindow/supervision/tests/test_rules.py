"""The 双告知 mapping table: the pure matching (GB/T 4754 prefixes, scope keywords, regions) and the
services by which a system admin edits it (audited; every refusal writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry
from onewindow.supervision import rules, services
from onewindow.supervision.models import LicenceRule
from onewindow.supervision.testing import ENTERTAINMENT_SCOPE, FOOD_ITEM_CODE, FOOD_SCOPE, SupervisionWorld


@dataclass
class Rule:
    industry_prefixes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    region_prefix: str = ""


@pytest.mark.parametrize(
    ("prefix", "code", "expected"),
    [
        ("62", "6210", True),
        ("62", "H6210", True),
        ("H62", "6210", True),
        ("H62", "H6210", True),
        ("H", "H6210", True),
        ("H", "6210", False),
        ("I62", "H6210", False),
        ("621", "6220", False),
        ("6210", "62", False),
        ("", "6210", False),
        ("62", "", False),
    ],
)
def test_industry_prefixes(prefix: str, code: str, expected: bool) -> None:
    assert rules.industry_matches(prefix, code) is expected


def test_keywords_are_compared_in_nfkc_without_spaces() -> None:
    rule = Rule(keywords=["餐饮服务"])
    assert rules.rule_matches(rule, industry_code="", scope="餐 饮 服 务；咖啡", region_code="")
    assert rules.rule_matches(Rule(keywords=["KTV"]), industry_code="", scope="ｋｔｖ经营".upper(), region_code="")
    assert not rules.rule_matches(rule, industry_code="", scope="餐饮管理", region_code="")
    assert not rules.rule_matches(Rule(keywords=[" "]), industry_code="", scope="任何经营", region_code="")


def test_a_rule_of_a_district_applies_there_only() -> None:
    rule = Rule(industry_prefixes=["62"], region_prefix="310106")
    assert rules.rule_matches(rule, industry_code="6210", scope="", region_code="310106012")
    assert not rules.rule_matches(rule, industry_code="6210", scope="", region_code="310104003")


def test_a_scope_change_notifies_what_is_new() -> None:
    food, fun = Rule(keywords=["餐饮服务"]), Rule(keywords=["歌舞娱乐"])
    both = [food, fun]
    assert rules.rules_to_notify(
        both, kind="registered", industry_code="", scope=FOOD_SCOPE, previous_scope="", region_code=""
    ) == [food]
    assert rules.rules_to_notify(
        both,
        kind="scope_changed",
        industry_code="",
        scope=FOOD_SCOPE + ENTERTAINMENT_SCOPE,
        previous_scope=FOOD_SCOPE,
        region_code="",
    ) == [fun]


@given(
    st.lists(st.sampled_from(["62", "6210", "H", "9011", "5251"]), max_size=3),
    st.lists(st.sampled_from(["餐饮", "娱乐", "药品"]), max_size=3),
    st.sampled_from(["6210", "H6220", "9011", ""]),
    st.text(max_size=20),
)
def test_a_scope_change_never_notifies_what_the_old_scope_had(
    prefixes: list[str], keywords: list[str], industry: str, scope: str
) -> None:
    rule = Rule(industry_prefixes=prefixes, keywords=keywords)
    assert (
        rules.rules_to_notify(
            [rule], kind="scope_changed", industry_code=industry, scope=scope, previous_scope=scope, region_code=""
        )
        == []
    )


def test_lists_from_a_form() -> None:
    assert rules.parse_list("餐饮服务、食品销售，酒吧；餐饮服务\n  ") == ["餐饮服务", "食品销售", "酒吧"]
    assert rules.parse_list(["62", " ", "62", "H"]) == ["62", "H"]


@pytest.mark.parametrize(
    ("code", "level", "entity", "expected"),
    [
        ("310106", "district", "310106012", True),
        ("310104", "district", "310106012", False),
        ("310000", "city", "310106012", True),
        ("310106021", "street", "310106012", False),
        ("310106021", "street", "310106021", True),
        ("310104", "district", "", True),
    ],
)
def test_area_covers(code: str, level: str, entity: str, expected: bool) -> None:
    assert rules.area_covers(code, level, entity) is expected


# ---- the services --------------------------------------------------------------------------------


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(LicenceRule.objects.order_by("pk").values_list("pk", "licence_name", "keywords", "is_active")),
        AuditEntry.objects.filter(action__startswith="supervision.licence_rule").count(),
    )


@pytest.mark.parametrize("who", ["manager", "regulator", "data_clerk", "clerk", "citizen"])
def test_only_a_system_admin_edits_the_rules(world: SupervisionWorld, who: str) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        services.licence_rule_create(by=world.user(who), licence_name="游泳场所卫生许可证", keywords="游泳")
    assert refused.value.code == "licence_rule_forbidden"
    with pytest.raises(PermissionDenied):
        services.licence_rule_update(by=world.user(who), rule_id=world.rules["food"].pk, licence_name="改")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"licence_name": ""}, "licence_name"),
        ({"industry_prefixes": "62、Z9"}, "industry_prefixes"),
        ({"industry_prefixes": "621000"}, "industry_prefixes"),
        ({"keywords": "", "industry_prefixes": ""}, "keywords"),
        ({"keywords": "长" * 31}, "keywords"),
        ({"item_code": "NO-SUCH-ITEM"}, "item_code"),
        ({"department_id": 999_999}, "department_id"),
        ({"region_prefix": "静安"}, "region_prefix"),
        ({"basis": "长" * 201}, "basis"),
        ({"sort_order": "first"}, "sort_order"),
    ],
)
def test_bad_rules_are_refused_with_the_field(world: SupervisionWorld, values: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"licence_name": "游泳场所卫生许可证", "keywords": "游泳", **values}
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        services.licence_rule_create(by=world.admin, **arguments)
    assert (refused.value.code, refused.value.status, list(refused.value.fields)) == (
        "licence_rule_invalid",
        422,
        [field],
    )
    assert snapshot() == before


def test_an_update_is_audited_and_a_retired_rule_no_longer_matches(world: SupervisionWorld) -> None:
    food = world.rules["food"]
    services.licence_rule_update(
        by=world.admin,
        rule_id=food.pk,
        licence_name="食品经营许可证",
        industry_prefixes=["62"],
        keywords="餐饮服务、食品销售",
        item_code=FOOD_ITEM_CODE,
        department_id=world.department.pk,
        basis=food.basis,
        is_active=False,
        sort_order=10,
    )
    entry = AuditEntry.objects.get(action="supervision.licence_rule.update")
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    assert notice.licences == []
    assert list(notice.tasks.values_list("status", flat=True)) == ["pool"]
    with pytest.raises(NotFound):
        services.licence_rule_update(by=world.admin, rule_id=0, licence_name="x", keywords="y")
