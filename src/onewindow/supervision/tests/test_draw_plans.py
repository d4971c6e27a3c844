"""双随机 draw plans (issue #12 parts 2–3): the walk publish → freeze → draw → close, every action
from every status, the authorization matrix and the refusals of the issue's "Bad input"."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.supervision import draw, services
from onewindow.supervision.models import DrawFreeze, DrawOutcome, DrawPlan, DrawPlanEvent, Inspection, OfficerConflict
from onewindow.supervision.selectors import draws as draw_selectors

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

VALUE = "03 07 12 19 25 31 + 08"


def snapshot() -> tuple[Any, ...]:
    return (
        list(DrawPlan.objects.order_by("pk").values_list("pk", "status", "cancel_reason")),
        DrawFreeze.objects.count(),
        list(DrawOutcome.objects.order_by("pk").values_list("pk", "result")),
        list(Inspection.objects.order_by("pk").values_list("pk", "credit_code")),
        list(Inspection.officers.through.objects.order_by("pk").values_list("inspection_id", "officer_id")),
        DrawPlanEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def refused(call: Any) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as info:
        call()
    assert snapshot() == before
    return info.value


# ---- the walk ----------------------------------------------------------------------------------------


def test_the_walk_publish_freeze_draw_close(dw: DrawWorld) -> None:
    by = dw.user("regulator")
    plan = dw.create()
    assert re.fullmatch(r"SC\d{4}000001", plan.number)
    assert (plan.status, plan.departments, plan.counts, plan.officers_per_department) == (
        "draft",
        [dw.w.department.code],
        {"A": 1, "B": 1, "C": 1, "D": 1},
        2,
    )
    assert plan.item_list_version.number == 1
    services.plan_publish(by=by, plan_id=plan.pk)
    dw.clock.advance(1)
    freeze = services.plan_freeze(by=by, plan_id=plan.pk)
    # 12 active entities of 静安区; the revoked one is not in the pool.
    assert (freeze.pool_size, freeze.strata, freeze.quotas) == (
        12,
        {"-": 2, "A": 4, "B": 3, "C": 2, "D": 1},
        {"A": 1, "B": 1, "C": 1, "D": 1},
    )
    assert freeze.roster_size == 6
    assert freeze.secret_commitment == draw.commit_secret(freeze.secret)
    pool_text = draw_selectors.decompress(freeze.pool_file)
    assert sorted(pool_text.splitlines()) == pool_text.splitlines()
    assert {line.split("\t")[0] for line in pool_text.splitlines()} == {o.credit_code for o in dw.entities}
    dw.clock.day = plan.random_expected_on
    outcome = services.plan_draw(by=by, plan_id=plan.pk, random_value="  03 07 12  19 25 31 + 08 ")
    assert outcome.random_value == VALUE
    assert outcome.entity_count == 4
    result = draw.DrawResult.from_dict(outcome.result)
    assert [p.stratum for p in result.selection] == ["A", "B", "C", "D"]
    inspections = list(Inspection.objects.filter(plan=plan).order_by("sequence"))
    assert [(i.sequence, i.group_number, i.credit_code) for i in inspections] == [
        (n, n, p.code) for n, p in enumerate(result.selection, start=1)
    ]
    for inspection in inspections:
        certs = {o.certificate_number for o in inspection.officers.all()}
        assert certs == {a.cert for a in result.assignments if a.entity == inspection.credit_code}
        assert len(certs) == 2
        assert "SCJ00004" not in certs  # out of area (310106021)
    assert {i.status for i in inspections} == {"scheduled"}
    services.plan_close(by=by, plan_id=plan.pk)
    plan.refresh_from_db()
    assert plan.status == "closed" and plan.closed_at is not None
    assert set(Inspection.objects.filter(plan=plan).values_list("status", flat=True)) == {"closed"}
    assert list(DrawPlanEvent.objects.filter(plan=plan).values_list("action", "from_status", "to_status")) == [
        ("publish", "draft", "published"),
        ("freeze", "published", "frozen"),
        ("draw", "frozen", "drawn"),
        ("close", "drawn", "closed"),
    ]
    assert list(
        AuditEntry.objects.filter(action__startswith="supervision.draw_plan.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [f"supervision.draw_plan.{a}" for a in ("create", "publish", "freeze", "draw", "close")]
    assert draw_selectors.plan_verify(plan).ok


def test_numbers_are_gap_free_and_a_refused_create_takes_none(dw: DrawWorld) -> None:
    first = dw.create()
    refused(lambda: dw.create(title=""))
    second = dw.create()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_ratios_give_counts_per_grade_and_the_filter_applies(dw: DrawWorld) -> None:
    plan = dw.to_status("frozen", counts=None, ratios={"A": "25", "C": "50", "D": "100"})
    freeze = plan.freeze
    # A: 4 × 25% = 1; C: 2 × 50% = 1; D: 1 × 100% = 1 (round half up, at least 1).
    assert freeze.quotas == {"A": 1, "C": 1, "D": 1}
    other = dw.to_status("frozen", pool_filter={"risk_grades": ["C", "D", "-"]}, counts={"C": 1})
    assert other.freeze.strata == {"-": 2, "C": 2, "D": 1}


def test_a_joint_plan_sends_officers_of_every_department(dw: DrawWorld) -> None:
    assert dw.joint is not None
    plan = dw.to_status("drawn", kind="joint", joint_item_id=dw.joint.pk, item_ids=[], counts={"A": 2})
    assert plan.departments == [dw.w.department.code, dw.w.culture.code]
    assert set(plan.items.values_list("pk", flat=True)) == {dw.items[0].pk, dw.culture_items[0].pk}
    for inspection in Inspection.objects.filter(plan=plan):
        departments = sorted(o.department.code for o in inspection.officers.all())
        assert departments == sorted([dw.w.department.code] * 2 + [dw.w.culture.code] * 2)


def test_exclusions_inspected_recently_and_in_another_open_plan(dw: DrawWorld) -> None:
    first = dw.to_status("drawn", counts={"A": 2})
    drawn = set(Inspection.objects.filter(plan=first).values_list("credit_code", flat=True))
    second = dw.to_status("frozen", counts={"A": 1})
    pool = draw_selectors.decompress(second.freeze.pool_file)
    assert drawn.isdisjoint(line.split("\t")[0] for line in pool.splitlines())
    assert second.freeze.strata["A"] == 2
    # Without the exclusions, every active entity is in the pool again.
    third = dw.to_status("frozen", counts={"A": 1}, exclude_inspected_months=0, exclude_open_plans=False)
    assert third.freeze.strata["A"] == 4


def test_a_sanctioned_stratum_takes_listed_entities(dw: DrawWorld) -> None:
    from onewindow.market.models import SanctionListing

    listed = dw.entities[0]
    SanctionListing.objects.create(
        list_kind="business_anomaly",
        subject_type="organization",
        credit_code=listed.credit_code,
        subject_name=listed.name,
        reason="通过登记的住所无法联系",
        legal_basis="《企业经营异常名录管理暂行办法》第四条",
        department=dw.w.department,
        source_id="JYYC-1",
        listed_on=dw.clock.day - datetime.timedelta(days=10),
        removable_on=dw.clock.day + datetime.timedelta(days=100),
        measures=["draw_weight"],
        content_hash="x" * 64,
    )
    plan = dw.to_status("frozen", sanctioned_stratum=True, counts={"S": 1, "A": 1})
    assert plan.freeze.strata == {"-": 2, "A": 3, "B": 3, "C": 2, "D": 1, "S": 1}
    assert f"{listed.credit_code}\tS\t" in draw_selectors.decompress(plan.freeze.pool_file)


def test_a_conflicted_officer_is_skipped_with_the_reason(dw: DrawWorld) -> None:
    entity = dw.entities[9]  # the only D
    OfficerConflict.objects.create(officer=dw.officers[0], organization=entity, relation="relative")
    plan = dw.to_status("drawn", counts={"D": 1})
    result = draw.DrawResult.from_dict(plan.outcome.result)
    assert dw.officers[0].certificate_number not in {a.cert for a in result.assignments}
    assert "conflict\tSCJ00001\t" + entity.credit_code in draw_selectors.decompress(plan.freeze.constraints_file)
    skipped = {(s.cert, s.reason) for s in result.skips}
    assert skipped <= {("SCJ00001", "conflict"), ("SCJ00004", "out_of_area")}


def test_replacing_an_officer_takes_the_next_of_the_same_walk(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn", counts={"A": 1})
    first = draw.DrawResult.from_dict(plan.outcome.result).assignments[0]
    outcome = services.plan_replace_officer(
        by=dw.user("regulator"),
        plan_id=plan.pk,
        credit_code=first.entity,
        department_code=first.department,
        certificate_number=first.cert,
        reason="病假",
    )
    result = draw.DrawResult.from_dict(outcome.result)
    (replacement,) = result.replacements
    assert (replacement.cert, replacement.reason) == (first.cert, "病假")
    inspection = Inspection.objects.get(plan=plan, credit_code=first.entity)
    certs = {o.certificate_number for o in inspection.officers.all()}
    assert first.cert not in certs and replacement.replaced_by in certs
    assert DrawPlanEvent.objects.filter(plan=plan, action="replace", note="病假").count() == 1
    assert draw_selectors.plan_verify(plan).ok
    # The officer who left cannot be replaced again; an empty reason is refused.
    error = refused(
        lambda: services.plan_replace_officer(
            by=dw.user("regulator"),
            plan_id=plan.pk,
            credit_code=first.entity,
            department_code=first.department,
            certificate_number=first.cert,
            reason="再次",
        )
    )
    assert (error.code, error.status) == ("supervision_draw_replacement_not_assigned", 422)
    error = refused(
        lambda: services.plan_replace_officer(
            by=dw.user("regulator"),
            plan_id=plan.pk,
            credit_code=first.entity,
            department_code=first.department,
            certificate_number=replacement.replaced_by,
            reason=" ",
        )
    )
    assert error.code == "supervision_draw_replacement_reason_missing"


# ---- bad input (issue #12) -------------------------------------------------------------------------------


def test_a_pool_smaller_than_the_count_is_refused_at_the_freeze(dw: DrawWorld) -> None:
    plan = dw.to_status("published", counts={"A": 5})
    dw.clock.advance(1)
    error = refused(lambda: services.plan_freeze(by=dw.user("regulator"), plan_id=plan.pk))
    assert (error.code, error.status) == ("supervision_draw_pool_too_small", 422)
    assert DrawPlan.objects.get(pk=plan.pk).status == "published"


def test_too_few_officers_without_conflicts_is_refused_at_the_freeze(dw: DrawWorld) -> None:
    entity = dw.entities[9]  # the only D: it could be drawn
    for officer in (dw.officers[0], dw.officers[1], dw.officers[2], dw.officers[4]):
        OfficerConflict.objects.create(officer=officer, organization=entity, relation="investment")
    plan = dw.to_status("published", counts={"D": 1})
    error = refused(lambda: services.plan_freeze(by=dw.user("regulator"), plan_id=plan.pk))
    assert (error.code, error.status) == ("supervision_draw_too_few_officers", 422)
    assert error.fields == {"entities": [entity.credit_code]}


def test_a_draw_is_not_run_twice(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn")
    for value in (VALUE, "01 02 03 04 05 06 + 07"):
        error = refused(lambda v=value: services.plan_draw(by=dw.user("regulator"), plan_id=plan.pk, random_value=v))
        assert (error.code, error.status) == ("draw_already_drawn", 409)


def test_a_frozen_pool_cannot_be_changed(dw: DrawWorld) -> None:
    for status in ("frozen", "drawn", "closed"):
        plan = dw.to_status(status, exclude_inspected_months=0, exclude_open_plans=False)
        error = refused(lambda p=plan: services.plan_freeze(by=dw.user("regulator"), plan_id=p.pk))
        assert (error.code, error.status) == ("draw_pool_frozen", 409)


def test_the_order_of_events_is_held_to_the_random_value_s_day(dw: DrawWorld) -> None:
    by = dw.user("regulator")
    plan = dw.to_status("published")
    dw.clock.day = plan.random_expected_on
    error = refused(lambda: services.plan_freeze(by=by, plan_id=plan.pk))
    assert (error.code, error.status) == ("draw_freeze_too_late", 409)
    late = dw.create()
    dw.clock.day = late.random_expected_on
    error = refused(lambda: services.plan_publish(by=by, plan_id=late.pk))
    assert (error.code, error.status) == ("draw_random_value_not_future", 409)
    early = dw.to_status("frozen")
    dw.clock.day = early.random_expected_on - datetime.timedelta(days=1)
    error = refused(lambda: services.plan_draw(by=by, plan_id=early.pk, random_value=VALUE))
    assert (error.code, error.status) == ("draw_too_early", 409)
    dw.clock.day = early.random_expected_on
    error = refused(lambda: services.plan_draw(by=by, plan_id=early.pk, random_value="  "))
    assert (error.code, error.status) == ("supervision_draw_random_value_missing", 422)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": " "}, "title"),
        ({"kind": "other"}, "kind"),
        ({"item_ids": []}, "item_ids"),
        ({"counts": {"A": 1}, "ratios": {"A": "5"}}, "ratios"),
        ({"counts": None}, "ratios"),
        ({"counts": {"A": -1}}, "counts"),
        ({"counts": {"A": 0}}, "counts"),
        ({"counts": {"S": 1}}, "counts"),
        ({"counts": None, "ratios": {"A": "101"}}, "ratios"),
        ({"counts": None, "ratios": {"A": "abc"}}, "ratios"),
        ({"pool_filter": {"regions": ["999999"]}}, "pool_filter"),
        ({"pool_filter": {"industries": ["99"]}}, "pool_filter"),
        ({"pool_filter": {"risk_grades": ["E"]}}, "pool_filter"),
        ({"pool_filter": {"name": "x"}}, "pool_filter"),
        ({"officers_per_department": 0}, "officers_per_department"),
        ({"random_source": ""}, "random_source"),
        ({"random_expected_on": "2026-03-02"}, "random_expected_on"),
        ({"random_expected_on": "soon"}, "random_expected_on"),
        ({"inspection_ends_on": "2026-03-04"}, "inspection_ends_on"),
        ({"exclude_inspected_months": 500}, "exclude_inspected_months"),
        ({"required_specialty": "astrology"}, "required_specialty"),
        ({"kind": "joint", "joint_item_id": None}, "joint_item_id"),
        ({"joint_item_id": 1}, "joint_item_id"),
    ],
)
def test_bad_plans_are_refused_with_the_field(dw: DrawWorld, overrides: dict[str, Any], field: str) -> None:
    error = refused(lambda: dw.create(**overrides))
    assert (error.code, error.status, list(error.fields)) == ("draw_plan_invalid", 422, [field])


def test_items_must_be_published_and_of_the_department(dw: DrawWorld) -> None:
    unpublished = services.check_item_create(
        by=dw.user("regulator"),
        department_id=dw.w.department.pk,
        code="CHK-NEW",
        name="新事项",
        target="辖区内企业",
        basis="《企业信息公示暂行条例》第十四条",
        methods=["on_site"],
        ratio="3",
    )
    for items in ([unpublished.pk], [dw.culture_items[0].pk], [999999]):
        error = refused(lambda i=items: dw.create(item_ids=i))
        assert (error.code, list(error.fields)) == ("draw_plan_invalid", ["item_ids"])


# ---- every action from every status --------------------------------------------------------------------

STATUSES = ["draft", "published", "frozen", "drawn", "closed", "cancelled"]
ALLOWED = {
    "publish": {"draft"},
    "freeze": {"published"},
    "draw": {"frozen"},
    "close": {"drawn"},
    "cancel": {"draft", "published", "frozen", "drawn"},
    "replace": {"drawn"},
}
TARGET = {"publish": "published", "freeze": "frozen", "draw": "drawn", "close": "closed", "cancel": "cancelled"}


def act(dw: DrawWorld, plan: DrawPlan, action: str, who: str = "regulator") -> Any:
    by = dw.user(who)
    if action == "publish":
        return services.plan_publish(by=by, plan_id=plan.pk)
    if action == "freeze":
        return services.plan_freeze(by=by, plan_id=plan.pk)
    if action == "draw":
        dw.clock.day = max(dw.clock.day, plan.random_expected_on)
        return services.plan_draw(by=by, plan_id=plan.pk, random_value=VALUE)
    if action == "close":
        return services.plan_close(by=by, plan_id=plan.pk)
    if action == "cancel":
        return services.plan_cancel(by=by, plan_id=plan.pk, reason="任务取消")
    outcome = DrawOutcome.objects.filter(plan=plan).first()
    first = draw.DrawResult.from_dict(outcome.result).assignments[0] if outcome else None
    return services.plan_replace_officer(
        by=by,
        plan_id=plan.pk,
        credit_code=first.entity if first else "X",
        department_code=first.department if first else dw.w.department.code,
        certificate_number=first.cert if first else "X",
        reason="公出",
    )


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_action_from_every_status(dw: DrawWorld, status: str, action: str) -> None:
    plan = dw.to_status(status)
    if status in ALLOWED[action]:
        act(dw, plan, action)
        plan.refresh_from_db()
        assert plan.status == TARGET.get(action, status)
        assert DrawPlanEvent.objects.filter(plan=plan, action=action).count() == 1
    else:
        error = refused(lambda: act(dw, plan, action))
        assert error.status == 409


# ---- who may plan --------------------------------------------------------------------------------------

WHO = {
    # planner of the department: regulator and department admin
    "regulator": None,
    "manager": None,
    "regulator_other": ("draw_plan_forbidden", 403),
    "culture_regulator": ("draw_plan_forbidden", 403),
    "data_clerk": ("draw_plan_forbidden", 403),
    "admin": ("draw_plan_forbidden", 403),
    "clerk": ("draw_plan_forbidden", 403),
    "officer_only": ("draw_plan_forbidden", 403),
    "citizen": ("draw_plan_forbidden", 403),
    "anonymous": ("draw_plan_forbidden", 403),
}


@pytest.mark.parametrize(("who", "expected"), list(WHO.items()))
def test_who_may_create_a_plan(dw: DrawWorld, who: str, expected: tuple[str, int] | None) -> None:
    if expected is None:
        assert dw.create(who).created_by == dw.user(who)
    else:
        error = refused(lambda: dw.create(who))
        assert (error.code, error.status) == expected


#: On a draft, who is not supervision staff does not see the plan (404); on a published plan 403.
INVISIBLE_DRAFT = {"clerk", "officer_only", "citizen", "anonymous"}


@pytest.mark.parametrize("who", list(WHO))
@pytest.mark.parametrize("action", ["publish", "cancel", "freeze", "draw", "close", "replace"])
def test_who_may_act_on_a_plan(dw: DrawWorld, who: str, action: str) -> None:
    source = {"publish": "draft", "cancel": "draft", "freeze": "published", "draw": "frozen"}.get(action, "drawn")
    plan = dw.to_status(source)
    expected = WHO[who]
    if expected is None:
        act(dw, plan, action, who)
        return
    error = refused(lambda: act(dw, plan, action, who))
    if source == "draft" and who in INVISIBLE_DRAFT:
        assert (error.code, error.status) == ("draw_plan_not_found", 404)
    else:
        assert (error.code, error.status) == expected


def test_an_unknown_plan_is_404(dw: DrawWorld) -> None:
    error = refused(lambda: services.plan_publish(by=dw.user("regulator"), plan_id=999999))
    assert (error.code, error.status) == ("draw_plan_not_found", 404)
    error = refused(lambda: dw.create(department_id=999999))
    assert (error.code, error.status) == ("department_not_found", 404)


# ---- determinism -----------------------------------------------------------------------------------------


def test_the_freeze_is_a_function_of_the_rows_and_the_draw_of_the_stored_inputs(dw: DrawWorld) -> None:
    from onewindow.supervision.services import draws_freeze

    plan = dw.to_status("drawn", counts={"A": 2, "B": 1})
    freeze = plan.freeze
    # The pool and roster queried again (any row order) give the frozen files byte for byte.
    pool = draw.Pool(list(reversed(draws_freeze.pool_rows(plan, dw.clock.day))))
    assert pool.digest == freeze.pool_digest
    officers, _certs = draws_freeze.roster_rows(plan, dw.clock.day)
    assert draw.Roster(list(reversed(officers))).digest == freeze.roster_digest
    # The same stored inputs and value give the same selection digest; another value another one.
    again = draw.draw(draw_selectors.stored_inputs(freeze, VALUE))
    assert again.selection_digest == plan.outcome.selection_digest
    other = draw.draw(draw_selectors.stored_inputs(freeze, "01 02 03 04 05 06 + 07"))
    assert other.selection_digest != plan.outcome.selection_digest


def test_the_timer_closes_drawn_plans_whose_inspection_ended(dw: DrawWorld) -> None:
    from onewindow.core.actors import SYSTEM

    plan = dw.to_status("drawn")
    dw.clock.day = plan.inspection_ends_on
    assert services.plans_close_due(by=SYSTEM) == []
    dw.clock.advance(1)
    assert services.plans_close_due(by=SYSTEM) == [plan.number]
    plan.refresh_from_db()
    assert plan.status == "closed"
    assert set(Inspection.objects.filter(plan=plan).values_list("status", flat=True)) == {"closed"}
    event = DrawPlanEvent.objects.get(plan=plan, action="close")
    assert (event.by, event.from_status, event.to_status) == (None, "drawn", "closed")
    assert services.plans_close_due(by=SYSTEM) == []
    error = refused(lambda: services.plans_close_due(by=dw.user("regulator")))
    assert (error.code, error.status) == ("draw_plan_forbidden", 403)


def test_cancelling_a_drawn_plan_ends_its_inspections_and_keeps_the_plan_visible(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn")
    services.plan_cancel(by=dw.user("regulator"), plan_id=plan.pk, reason="检查事项调整，本次任务撤销")
    plan.refresh_from_db()
    assert (plan.status, plan.cancel_reason) == ("cancelled", "检查事项调整，本次任务撤销")
    inspections = Inspection.objects.filter(plan=plan)
    assert inspections.exists()
    assert set(inspections.values_list("status", flat=True)) == {"closed"}
