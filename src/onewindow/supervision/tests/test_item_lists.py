"""The item lists of 双随机、一公开 (issue #12 part 1): a department keeps its 抽查事项 (with basis,
target, methods, ratio or frequency), a lead department its 联合检查事项, a system admin publishes
numbered versions with a SHA-256 digest, and anyone reads them on the public pages."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, override_settings

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry, Department, Region, RegionLevel
from onewindow.supervision import services
from onewindow.supervision.demo import item_lists as demo_item_lists
from onewindow.supervision.models import CheckItem, ItemListVersion, JointCheckItem
from onewindow.supervision.testing import SupervisionWorld

pytestmark = pytest.mark.django_db


def item_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "SCJG-001",
        "name": "企业公示信息的检查",
        "field": "信息公示",
        "target": "辖区内企业",
        "basis": "《企业信息公示暂行条例》第十四条",
        "methods": ["documents", "on_site"],
        "ratio": "3",
        "frequency": "",
    }
    data.update(overrides)
    return data


def create(
    world: SupervisionWorld, who: str = "regulator", department: Department | None = None, **kw: Any
) -> CheckItem:
    by = AnonymousUser() if who == "anonymous" else world.user(who)
    assert by is not None
    return services.check_item_create(by=by, department_id=(department or world.department).pk, **item_data(**kw))


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


# ---- 抽查事项 -------------------------------------------------------------------------------------


def test_a_regulator_adds_an_item_of_their_department_and_it_is_audited(world: SupervisionWorld) -> None:
    item = create(world, ratio="3.5", methods=["on_site", "documents", "on_site"], code=" scjg-001 ")
    item.refresh_from_db()
    assert (item.code, item.department_id, str(item.ratio), item.methods, item.category) == (
        "SCJG-001",
        world.department.pk,
        "3.50",
        ["on_site", "documents"],
        "general",
    )
    entry = AuditEntry.objects.get(action="supervision.check_item_create")
    assert entry.actor_id == str(world.regulator.pk)
    assert entry.after is not None and entry.after["code"] == "SCJG-001"


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("regulator", None),
        ("admin", None),
        ("data_clerk", "check_item_forbidden"),
        ("regulator_other", "check_item_forbidden"),
        ("culture_regulator", "check_item_forbidden"),
        ("clerk", "check_item_forbidden"),
        ("citizen", "check_item_forbidden"),
        ("anonymous", "user_required"),
    ],
)
def test_who_may_add_an_item_to_the_market_bureau_list(world: SupervisionWorld, who: str, expected: str | None) -> None:
    if expected is None:
        assert create(world, who).department_id == world.department.pk
        return
    error = refusal(lambda: create(world, who))
    assert (error.code, error.status) == (expected, 403)
    assert not CheckItem.objects.exists()
    assert not AuditEntry.objects.filter(action="supervision.check_item_create").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "x"}, "code"),
        ({"code": "A B/1"}, "code"),
        ({"name": " "}, "name"),
        ({"basis": ""}, "basis"),
        ({"target": ""}, "target"),
        ({"methods": []}, "methods"),
        ({"methods": ["phone"]}, "methods"),
        ({"ratio": "0"}, "ratio"),
        ({"ratio": "100.5"}, "ratio"),
        ({"ratio": "abc"}, "ratio"),
        ({"ratio": "NaN"}, "ratio"),
        ({"ratio": "1.234"}, "ratio"),
        ({"ratio": "", "frequency": ""}, "ratio"),
        ({"category": "urgent"}, "category"),
        ({"name": "查" * 121}, "name"),
    ],
)
def test_bad_items_are_refused_with_the_field_named_and_nothing_written(
    world: SupervisionWorld, overrides: dict[str, Any], field: str
) -> None:
    error = refusal(lambda: create(world, **overrides))
    assert (error.code, error.status, list(error.fields)) == ("check_item_invalid", 422, [field])
    assert not CheckItem.objects.exists()


def test_a_frequency_may_stand_instead_of_a_ratio(world: SupervisionWorld) -> None:
    item = create(world, ratio="", frequency="每年不少于 1 次", category="key")
    assert (item.ratio, item.frequency, item.category) == (None, "每年不少于 1 次", "key")


def test_a_second_item_with_the_same_code_in_the_department_is_a_conflict(world: SupervisionWorld) -> None:
    create(world)
    error = refusal(lambda: create(world, name="另一项"))
    assert (error.code, error.status) == ("check_item_duplicate", 409)
    assert CheckItem.objects.count() == 1
    # another department may use the same code
    assert create(world, "culture_regulator", department=world.culture).code == "SCJG-001"


@override_settings(SUPERVISION_GENERAL_ITEM_MAX_RATIO=5)
def test_a_configured_cap_limits_general_items_but_not_key_items(world: SupervisionWorld) -> None:
    error = refusal(lambda: create(world, ratio="6"))
    assert (error.code, list(error.fields)) == ("check_item_invalid", ["ratio"])
    assert create(world, ratio="30", category="key").ratio == 30


def test_an_item_is_changed_or_retired_by_its_department_only(world: SupervisionWorld) -> None:
    item = create(world)
    error = refusal(
        lambda: services.check_item_update(by=world.culture_regulator, item_id=item.pk, **item_data(name="改"))
    )
    assert (error.code, error.status) == ("check_item_forbidden", 403)
    item.refresh_from_db()
    assert item.name == "企业公示信息的检查"
    services.check_item_update(by=world.regulator, item_id=item.pk, **item_data(ratio="4"), is_active=False)
    item.refresh_from_db()
    assert (str(item.ratio), item.is_active) == ("4.00", False)
    entry = AuditEntry.objects.get(action="supervision.check_item_update")
    assert entry.before is not None and entry.after is not None
    assert (entry.before["ratio"], entry.after["ratio"], entry.after["is_active"]) == ("3.00", "4.00", False)
    missing = refusal(lambda: services.check_item_update(by=world.regulator, item_id=999999, **item_data()))
    assert (missing.code, missing.status) == ("check_item_not_found", 404)


# ---- 联合检查事项 ---------------------------------------------------------------------------------


def joint(world: SupervisionWorld, who: str = "regulator", **kw: Any) -> JointCheckItem:
    market = CheckItem.objects.filter(department=world.department).first() or create(world)
    culture = CheckItem.objects.filter(department=world.culture).first() or create(
        world, "culture_regulator", department=world.culture, code="WHLY-001", name="娱乐场所经营行为的检查"
    )
    args: dict[str, Any] = {
        "code": "LH-001",
        "name": "娱乐场所联合检查",
        "industry": "文化娱乐",
        "lead_department_id": world.department.pk,
        "partner_department_ids": [world.culture.pk],
        "check_item_ids": [market.pk, culture.pk],
    }
    args.update(kw)
    user = world.user(who)
    assert user is not None
    return services.joint_item_create(by=user, **args)


def test_a_lead_department_merges_its_item_with_a_partners_item(world: SupervisionWorld) -> None:
    item = joint(world)
    assert [d.pk for d in item.partner_departments.all()] == [world.culture.pk]
    assert sorted(i.department_id for i in item.check_items.all()) == sorted([world.department.pk, world.culture.pk])


@pytest.mark.parametrize(
    ("who", "overrides", "code", "status"),
    [
        ("culture_regulator", {}, "check_item_forbidden", 403),
        ("regulator", {"partner_department_ids": []}, "joint_item_invalid", 422),
        ("regulator", {"partner_department_ids": ["lead"]}, "joint_item_invalid", 422),
        ("regulator", {"check_item_ids": ["market"]}, "joint_item_invalid", 422),
        ("regulator", {"check_item_ids": ["market", "other"]}, "joint_item_invalid", 422),
        ("regulator", {"industry": ""}, "check_item_invalid", 422),
    ],
)
def test_bad_joint_items_are_refused_and_nothing_is_written(
    world: SupervisionWorld, who: str, overrides: dict[str, Any], code: str, status: int
) -> None:
    market = create(world)
    create(world, "culture_regulator", department=world.culture, code="WHLY-001")
    other = create(world, "regulator_other", department=world.p.other_department, code="XH-001")
    ids = {"lead": world.department.pk, "market": market.pk, "other": other.pk}
    resolved = {
        k: [ids.get(v, v) for v in value] if isinstance(value, list) else value for k, value in overrides.items()
    }
    error = refusal(lambda: joint(world, who, **resolved))
    assert (error.code, error.status) == (code, status)
    assert not JointCheckItem.objects.exists()


def test_a_joint_code_is_used_once(world: SupervisionWorld) -> None:
    joint(world)
    error = refusal(lambda: joint(world, name="另一项"))
    assert (error.code, error.status) == ("joint_item_duplicate", 409)
    assert JointCheckItem.objects.count() == 1


# ---- publication and the public pages -------------------------------------------------------------


def canonical_digest(items: list[dict[str, Any]]) -> str:
    text = json.dumps(items, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_only_a_system_admin_publishes_and_an_unchanged_list_is_not_published_twice(world: SupervisionWorld) -> None:
    empty = refusal(lambda: services.item_list_publish(by=world.admin, kind="random"))
    assert (empty.code, empty.status) == ("item_list_empty", 422)
    create(world)
    denied = refusal(lambda: services.item_list_publish(by=world.regulator, kind="random"))
    assert (denied.code, denied.status) == ("item_list_publish_forbidden", 403)
    unknown = refusal(lambda: services.item_list_publish(by=world.admin, kind="secret"))
    assert (unknown.code, unknown.status) == ("item_list_kind_unknown", 422)
    assert not ItemListVersion.objects.exists()

    v1 = services.item_list_publish(by=world.admin, kind="random", note="首次发布")
    assert (v1.number, v1.item_count, v1.department_count) == (1, 1, 1)
    assert v1.digest == canonical_digest(v1.snapshot["items"])
    assert v1.snapshot["items"][0] == {
        "department": world.department.code,
        "department_name": world.department.name,
        "code": "SCJG-001",
        "name": "企业公示信息的检查",
        "field": "信息公示",
        "category": "general",
        "target": "辖区内企业",
        "basis": "《企业信息公示暂行条例》第十四条",
        "methods": ["on_site", "documents"],
        "ratio": "3.00",
        "frequency": "",
    }
    again = refusal(lambda: services.item_list_publish(by=world.admin, kind="random"))
    assert (again.code, again.status) == ("item_list_unchanged", 409)
    assert ItemListVersion.objects.count() == 1

    create(world, "culture_regulator", department=world.culture, code="WHLY-001")
    v2 = services.item_list_publish(by=world.admin, kind="random")
    assert (v2.number, v2.item_count, v2.department_count) == (2, 2, 2)
    assert AuditEntry.objects.filter(action="supervision.item_list_publish").count() == 2


def test_anyone_reads_the_published_list_and_checks_its_digest(world: SupervisionWorld) -> None:
    item = create(world)
    joint(world)
    services.item_list_publish(by=world.admin, kind="random")
    services.item_list_publish(by=world.admin, kind="joint")
    services.check_item_update(by=world.regulator, item_id=item.pk, **item_data(name="企业年报公示信息的检查"))
    services.item_list_publish(by=world.admin, kind="random", note="修订")
    anonymous = Client()

    index = anonymous.get("/supervision/public/")
    assert index.status_code == 200
    assert 'id="public-random"' in index.content.decode() and 'id="public-joint"' in index.content.decode()

    latest = anonymous.get("/supervision/public/lists/random/")
    page = latest.content.decode()
    assert latest.status_code == 200
    assert "企业年报公示信息的检查" in page and 'data-number="2"' in page
    old = anonymous.get("/supervision/public/lists/random/v1/").content.decode()
    assert "企业公示信息的检查" in old and "企业年报公示信息的检查" not in old  # a version never changes

    v1 = ItemListVersion.objects.get(kind="random", number=1)
    download = anonymous.get("/supervision/public/lists/random/v1.json")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == v1.digest
    assert v1.digest in old

    joint_page = anonymous.get("/supervision/public/lists/joint/").content.decode()
    assert "娱乐场所联合检查" in joint_page and world.culture.name in joint_page


@pytest.mark.parametrize(
    "path",
    [
        "/supervision/public/lists/secret/",
        "/supervision/public/lists/random/v9/",
        "/supervision/public/lists/random/v9.json",
        "/supervision/public/lists/joint/",
    ],
)
def test_unknown_lists_and_versions_are_404_with_a_code(world: SupervisionWorld, path: str) -> None:
    create(world)
    services.item_list_publish(by=world.admin, kind="random")
    response = Client().get(path)
    assert response.status_code == 404
    assert b"item_list_not_found" in response.content


# ---- demo -----------------------------------------------------------------------------------------


def test_the_demo_lists_reproduce_the_seed_figures(world: SupervisionWorld) -> None:
    district, _ = Region.objects.get_or_create(
        code="310106", defaults={"name": "静安区", "level": RegionLevel.DISTRICT}
    )
    for kind in demo_item_lists.RANDOM_LIST:
        Department.objects.get_or_create(
            code=f"310106-{kind}", defaults={"name": f"静安区{kind}", "level": RegionLevel.DISTRICT, "region": district}
        )
    written = demo_item_lists.load(world.admin)
    random_v1 = ItemListVersion.objects.get(kind="random")
    joint_v1 = ItemListVersion.objects.get(kind="joint")
    assert (random_v1.number, random_v1.item_count, random_v1.department_count) == (1, 110, 20)
    assert (joint_v1.number, joint_v1.item_count, joint_v1.department_count) == (1, 18, 8)
    assert written == 128
    patterns = sorted({len(j["partners"]) for j in joint_v1.snapshot["items"]})
    assert patterns == [1, 2]  # the seed's "1+1" and "1+2"
    for j in joint_v1.snapshot["items"]:
        departments = {j["lead"]["code"], *(p["code"] for p in j["partners"])}
        assert {c["department"] for c in j["check_items"]} == departments
    fields = {i["field"] for i in random_v1.snapshot["items"]}
    assert {"商标保护", "消费维权", "公共场所卫生", "经营性教育培训机构"} <= fields
    assert demo_item_lists.load(world.admin) == 0  # loaded once
    assert ItemListVersion.objects.count() == 2


# ---- staff pages ----------------------------------------------------------------------------------


def test_a_regulator_adds_an_item_on_the_page_and_an_admin_publishes_it(world: SupervisionWorld) -> None:
    regulator = world.client("regulator")
    page = regulator.get("/supervision/items/")
    assert page.status_code == 200 and 'id="publish-random"' not in page.content.decode()
    post = {
        "department_id": str(world.department.pk),
        "code": "SCJG-009",
        "name": "广告发布行为的检查",
        "target": "广告经营者",
        "basis": "《中华人民共和国广告法》第四十九条",
        "methods": ["online"],
        "ratio": "2",
    }
    assert regulator.post("/supervision/items/new/", post).status_code == 302
    assert CheckItem.objects.get().code == "SCJG-009"

    bad = regulator.post("/supervision/items/new/", {**post, "code": "SCJG-010", "basis": ""})
    assert bad.status_code == 422
    assert 'data-code="check_item_invalid"' in bad.content.decode()
    assert CheckItem.objects.count() == 1

    refused = regulator.post("/supervision/items/publish/random/")
    assert refused.status_code == 403 and not ItemListVersion.objects.exists()
    admin = world.client("admin")
    assert 'id="publish-random"' in admin.get("/supervision/items/").content.decode()
    assert admin.post("/supervision/items/publish/random/").status_code == 302
    assert ItemListVersion.objects.get().item_count == 1


@pytest.mark.parametrize(("who", "status"), [("anonymous", 302), ("citizen", 403), ("clerk", 403), ("data_clerk", 200)])
def test_the_staff_item_page_is_for_supervision_staff(world: SupervisionWorld, who: str, status: int) -> None:
    assert world.client(who).get("/supervision/items/").status_code == status
