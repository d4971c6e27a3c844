"""The officer roster (执法人员名录库, DOMAIN.md R4.1) and declared conflicts (回避, 行政处罚法 art. 43):
who may write it, every refusal with nothing written, and the pool a draw picks from."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry, Region, RegionLevel
from onewindow.supervision import selectors, services
from onewindow.supervision.models import Officer, OfficerConflict, OfficerSpecialty
from onewindow.supervision.testing import SupervisionWorld

D = datetime.date


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Officer.objects.order_by("pk").values_list("pk", "name", "certificate_number", "active_to", "user_id")),
        tuple(OfficerSpecialty.objects.order_by("pk").values_list("officer_id", "specialty")),
        tuple(OfficerConflict.objects.order_by("pk").values_list("pk", "withdrawn_at")),
        AuditEntry.objects.filter(action__startswith="supervision.officer").count(),
    )


def street(world: SupervisionWorld, code: str = "310106012", name: str = "南京西路街道") -> Region:
    region, _ = Region.objects.get_or_create(
        code=code, defaults={"name": name, "level": RegionLevel.STREET, "parent": world.p.district}
    )
    return region


def make(world: SupervisionWorld, number: str = "31010600101", **values: Any) -> Officer:
    fields: dict[str, Any] = {
        "name": "赵振华",
        "certificate_number": number,
        "active_from": D(2016, 1, 1),
        "specialties": ["food", "product_quality"],
        "area_ids": [street(world).pk],
    }
    fields.update(values)
    return services.officer_create(by=world.manager, department_id=world.department.pk, **fields)


def test_a_department_admin_adds_an_officer(world: SupervisionWorld) -> None:
    officer = make(world, number="３１０１０６００１０１", user_id=world.regulator.pk)
    assert (officer.department, officer.name, officer.certificate_number, officer.user) == (
        world.department,
        "赵振华",
        "31010600101",
        world.regulator,
    )
    assert sorted(officer.specialties.values_list("specialty", flat=True)) == ["food", "product_quality"]
    assert list(officer.areas.values_list("code", flat=True)) == ["310106012"]
    entry = AuditEntry.objects.get(action="supervision.officer.create")
    assert (entry.actor_label, entry.role, entry.target_id) == ("p_manager", "center_manager", str(officer.pk))
    assert entry.after == {
        "name": "赵振华",
        "certificate_number": "31010600101",
        "department": world.department.pk,
        "user": world.regulator.pk,
        "active_from": "2016-01-01",
        "active_to": None,
        "specialties": ["food", "product_quality"],
        "areas": ["310106012"],
    }


def test_an_update_changes_only_what_was_changed(world: SupervisionWorld) -> None:
    officer = make(world)
    services.officer_update(
        by=world.admin,
        officer_id=officer.pk,
        name="赵振华",
        certificate_number="31010600101",
        active_from=D(2016, 1, 1),
        active_to=D(2017, 6, 30),
        specialties=["food"],
        area_ids=[street(world).pk],
    )
    officer.refresh_from_db()
    assert officer.active_to == D(2017, 6, 30)
    assert list(officer.specialties.values_list("specialty", flat=True)) == ["food"]
    entry = AuditEntry.objects.get(action="supervision.officer.update")
    assert (entry.before, entry.after) == (
        {"active_to": None, "specialties": ["food", "product_quality"]},
        {"active_to": "2017-06-30", "specialties": ["food"]},
    )


@pytest.mark.parametrize("name", ["regulator", "data_clerk", "culture_regulator", "clerk", "reviewer"])
def test_only_the_department_admin_writes_the_roster(world: SupervisionWorld, name: str) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        services.officer_create(
            by=world.user(name),
            department_id=world.department.pk,
            name="钱进",
            certificate_number="31010600199",
            active_from=D(2016, 1, 1),
        )
    assert refused.value.code == "officer_manage_forbidden"
    assert snapshot() == before


def test_another_departments_admin_may_not_change_an_officer(world: SupervisionWorld) -> None:
    officer = make(world)
    before = snapshot()
    with pytest.raises(PermissionDenied) as refused:
        services.officer_create(
            by=world.manager,
            department_id=world.culture.pk,
            name="钱进",
            certificate_number="31010600199",
            active_from=D(2016, 1, 1),
        )
    assert refused.value.code == "officer_manage_forbidden"
    with pytest.raises(PermissionDenied):
        services.officer_update(
            by=world.culture_regulator,
            officer_id=officer.pk,
            name="改名",
            certificate_number="31010600101",
            active_from=D(2016, 1, 1),
        )
    with pytest.raises(NotFound) as missing:
        services.officer_update(
            by=world.citizen,
            officer_id=officer.pk,
            name="改名",
            certificate_number="31010600101",
            active_from=D(2016, 1, 1),
        )
    assert missing.value.code == "officer_not_found"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"certificate_number": "沪-01"}, "certificate_number"),
        ({"active_from": "2016-01-01"}, "active_from"),
        ({"active_to": D(2015, 12, 31)}, "active_to"),
        ({"specialties": ["food", "astrology"]}, "specialties"),
        ({"area_ids": [999_999]}, "areas"),
        ({"user_id": 999_999}, "user_id"),
    ],
)
def test_bad_input_is_refused_with_the_field(world: SupervisionWorld, values: dict[str, Any], field: str) -> None:
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        make(world, **values)
    assert (refused.value.code, refused.value.status, list(refused.value.fields)) == ("officer_invalid", 422, [field])
    assert snapshot() == before


def test_a_certificate_number_is_registered_once(world: SupervisionWorld) -> None:
    make(world, user_id=world.regulator.pk)
    before = snapshot()
    with pytest.raises(Conflict) as taken:
        make(world, number="31010600101 ")
    assert taken.value.code == "officer_certificate_taken"
    with pytest.raises(Conflict) as linked:
        make(world, number="31010600102", user_id=world.regulator.pk)
    assert linked.value.code == "officer_user_taken"
    assert snapshot() == before


def test_the_draw_pool_leaves_out_inactive_and_conflicted_officers(world: SupervisionWorld) -> None:
    zhao = make(world, user_id=world.regulator.pk)
    qian = make(world, number="31010600102", name="钱进", specialties=["drug"])
    make(world, number="31010600103", name="孙立", active_to=D(2016, 12, 31))
    make(world, number="31010600104", name="李青", active_from=D(2018, 1, 1))
    other = services.officer_create(
        by=world.admin,
        department_id=world.culture.pk,
        name="周文",
        certificate_number="31010600201",
        active_from=D(2016, 1, 1),
    )
    org = world.organization()
    day = D(2017, 6, 1)
    assert list(selectors.officers_available(world.department, day)) == [zhao, qian]
    assert list(selectors.officers_available(world.culture.pk, day)) == [other]
    assert list(selectors.officers_available(world.department, day, specialty="drug")) == [qian]
    conflict = services.officer_conflict_declare(
        by=world.regulator, officer_id=zhao.pk, organization_id=org.pk, relation="relative", note="配偶任该公司监事"
    )
    assert (conflict.declared_by, conflict.relation) == (world.regulator, "relative")
    assert list(selectors.officers_available(world.department, day, [org.pk])) == [qian]
    assert list(selectors.officers_available(world.department, day, [])) == [zhao, qian]
    services.officer_conflict_withdraw(by=world.manager, conflict_id=conflict.pk)
    assert list(selectors.officers_available(world.department, day, [org.pk])) == [zhao, qian]
    assert [
        e.action for e in AuditEntry.objects.filter(action__startswith="supervision.officer_conflict").order_by("pk")
    ] == ["supervision.officer_conflict.declare", "supervision.officer_conflict.withdraw"]


def test_conflict_refusals_write_nothing(world: SupervisionWorld) -> None:
    zhao = make(world, user_id=world.regulator.pk)
    org = world.organization()
    services.officer_conflict_declare(
        by=world.regulator, officer_id=zhao.pk, organization_id=org.pk, relation="investment"
    )
    before = snapshot()
    with pytest.raises(Conflict) as twice:
        services.officer_conflict_declare(
            by=world.manager, officer_id=zhao.pk, organization_id=org.pk, relation="business"
        )
    assert twice.value.code == "officer_conflict_exists"
    with pytest.raises(PermissionDenied) as other:
        services.officer_conflict_declare(
            by=world.data_clerk, officer_id=zhao.pk, organization_id=org.pk, relation="business"
        )
    assert other.value.code == "officer_conflict_forbidden"
    for values, field in (
        ({"organization_id": 0}, "organization_id"),
        ({"relation": "friend"}, "relation"),
        ({"note": "长" * 201}, "note"),
    ):
        arguments: dict[str, Any] = {"organization_id": org.pk, "relation": "business", **values}
        with pytest.raises(DomainError) as bad:
            services.officer_conflict_declare(by=world.manager, officer_id=zhao.pk, **arguments)
        assert (bad.value.code, list(bad.value.fields)) == ("officer_conflict_invalid", [field])
    assert snapshot() == before
