"""Inspection results (issue #12 parts 5–6): the combined checklist of a 3-department 联合检查,
who may record which item, the refusals with nothing written, corrections, re-inspections,
referrals and closing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.market.models import PooledRecord, RecordRevision
from onewindow.market.records_selectors import record_timeline_for
from onewindow.supervision.choices import DrawPlanStatus, InspectionStatus
from onewindow.supervision.models import InspectionResult
from onewindow.supervision.selectors.inspections import checklist_for, checklist_items
from onewindow.supervision.services import inspections as svc
from onewindow.supervision.testing import SupervisionWorld

from .inspection_world import InspectionWorld, build_inspection_world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
VISIT = "visited_on"


@pytest.fixture
def iw(world: SupervisionWorld) -> InspectionWorld:
    return build_inspection_world(world)


def visit_day() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=2)


def record(iw: InspectionWorld, who: str = "market_a", item: str = "market1", **kw: Any) -> InspectionResult:
    values: dict[str, Any] = {"outcome": "no_problem", "visited_on": visit_day()}
    values.update(kw)
    return svc.result_record(by=iw.user(who), inspection_id=iw.inspection.pk, check_item_id=iw.items[item].pk, **values)


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def snapshot(iw: InspectionWorld) -> tuple[Any, ...]:
    """Everything a result_record could write."""
    iw.inspection.refresh_from_db()
    return (
        list(InspectionResult.objects.values_list("pk", "outcome", "note", "rectify_by", "recorded_by_id")),
        PooledRecord.objects.count(),
        RecordRevision.objects.count(),
        AuditEntry.objects.filter(action__startswith="supervision.").count(),
        AuditEntry.objects.filter(action__startswith="market.").count(),
        iw.inspection.visited_on,
        iw.inspection.status,
    )


# ---- the authorization matrix of result_record -------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("market_a", None, None),  # drawn officer of the item's department
        ("market_b", None, None),  # the other drawn officer of that department
        ("culture_a", 403, "inspection_result_not_drawn"),  # drawn, another department of the group
        ("health_a", 403, "inspection_result_not_drawn"),
        ("market_undrawn", 403, "inspection_result_not_drawn"),  # same department, not drawn
        ("regulator", 403, "inspection_result_not_drawn"),  # lead department's regulator, no officer
        ("culture_regulator", 403, "inspection_result_not_drawn"),
        ("admin", 403, "inspection_result_not_drawn"),  # system admin reads, records nothing
        ("regulator_other", 404, "inspection_not_found"),  # a department outside the plan
        ("clerk", 404, "inspection_not_found"),
        ("agent", 404, "inspection_not_found"),  # the entity, before the visit
        ("citizen", 404, "inspection_not_found"),
        ("anonymous", 404, "inspection_not_found"),
    ],
)
def test_who_may_record_a_result_of_a_market_item(iw: InspectionWorld, who: str, status: int, code: str) -> None:
    before = snapshot(iw)
    if status is None:
        result = record(iw, who)
        assert (result.outcome, result.department_id, result.recorded_by_id) == (
            "no_problem",
            iw.departments["market"].pk,
            iw.officers[who].pk,
        )
        return
    error = refusal(lambda: record(iw, who))
    assert (error.status, error.code) == (status, code)
    assert snapshot(iw) == before


def test_the_entity_after_the_visit_sees_the_inspection_but_records_nothing(iw: InspectionWorld) -> None:
    record(iw, "culture_a", "culture")
    before = snapshot(iw)
    error = refusal(lambda: record(iw, "agent"))
    assert (error.status, error.code) == (403, "inspection_result_not_drawn")
    assert snapshot(iw) == before


# ---- one table, three departments ---------------------------------------------------------------


def test_the_combined_checklist_has_one_section_per_department_lead_first(iw: InspectionWorld) -> None:
    items = checklist_items(iw.plan)
    assert [i.pk for i in items] == [iw.items[k].pk for k in ("market1", "market2", "culture", "health")]
    sections = checklist_for(iw.users["culture_a"], iw.inspection)
    assert [(s.department.pk, [r.item.pk for r in s.rows], s.may_record) for s in sections] == [
        (iw.departments["market"].pk, [iw.items["market1"].pk, iw.items["market2"].pk], False),
        (iw.departments["culture"].pk, [iw.items["culture"].pk], True),
        (iw.departments["health"].pk, [iw.items["health"].pk], False),
    ]
    assert [[o.pk for o in s.officers] for s in sections] == [
        sorted([iw.officers["market_a"].pk, iw.officers["market_b"].pk]),
        [iw.officers["culture_a"].pk],
        [iw.officers["health_a"].pk],
    ]


def test_each_department_records_its_own_items_and_the_entity_sees_one_inspection(iw: InspectionWorld) -> None:
    record(iw, "market_a", "market1")
    record(iw, "market_b", "market2", visited_on=None, outcome="not_disclosed")
    record(iw, "culture_a", "culture", outcome="rectify", rectify_by=visit_day() + datetime.timedelta(days=15))
    iw.inspection.refresh_from_db()
    assert iw.inspection.status == InspectionStatus.SCHEDULED  # the health item is still open
    record(iw, "health_a", "health", outcome="uncooperative", note="拒绝出示从业人员健康证明")
    iw.inspection.refresh_from_db()
    assert (iw.inspection.status, iw.inspection.visited_on) == (InspectionStatus.RECORDED, visit_day())
    rows = list(
        InspectionResult.objects.order_by("department_id", "check_item_id").values_list(
            "check_item_id", "department_id", "outcome"
        )
    )
    assert sorted(rows) == sorted(
        [
            (iw.items["market1"].pk, iw.departments["market"].pk, "no_problem"),
            (iw.items["market2"].pk, iw.departments["market"].pk, "not_disclosed"),
            (iw.items["culture"].pk, iw.departments["culture"].pk, "rectify"),
            (iw.items["health"].pk, iw.departments["health"].pk, "uncooperative"),
        ]
    )
    # The entity: one inspection, every department's items, and each result on its profile.
    sections = checklist_for(iw.user("agent"), iw.inspection)
    assert [len(s.rows) for s in sections] == [2, 1, 1]
    assert all(s.done and not s.may_record for s in sections)
    records = record_timeline_for(iw.user("agent"), iw.w.p.organization)
    assert sorted((r.department_id, r.inspection_result, r.kind) for r in records) == sorted(
        [
            (iw.departments["market"].pk, "no_issue", "inspection"),
            (iw.departments["market"].pk, "follow_up", "inspection"),
            (iw.departments["culture"].pk, "corrected", "inspection"),
            (iw.departments["health"].pk, "refused", "inspection"),
        ]
    )


def test_an_officer_may_not_record_another_departments_item_of_the_same_group(iw: InspectionWorld) -> None:
    before = snapshot(iw)
    for who, item in (("culture_a", "health"), ("health_a", "market2"), ("market_a", "culture")):
        error = refusal(lambda who=who, item=item: record(iw, who, item))
        assert (error.status, error.code) == (403, "inspection_result_not_drawn")
    assert snapshot(iw) == before


def test_the_result_is_pooled_under_the_credit_code_with_a_stable_source_id(iw: InspectionWorld) -> None:
    result = record(iw, note="现场核查许可证在有效期内")
    pooled = PooledRecord.objects.get()
    assert (
        pooled.source_id,
        pooled.kind,
        pooled.department_id,
        pooled.inspector_department_id,
        pooled.credit_code,
        pooled.entity_id,
        pooled.record_date,
        pooled.inspection_result,
        pooled.title,
        pooled.number,
        pooled.revision,
    ) == (
        f"SUP-RESULT-{result.pk}",
        "inspection",
        iw.departments["market"].pk,
        iw.departments["market"].pk,
        iw.w.p.organization.credit_code,
        iw.w.p.organization.pk,
        visit_day(),
        "no_issue",
        "餐饮场所联合抽查：食品经营许可情况的检查",
        "LH-TEST-0001",
        1,
    )
    entry = AuditEntry.objects.get(action="supervision.result_record")
    assert entry.actor_id == str(iw.users["market_a"].pk)
    assert entry.after == {
        "outcome": "no_problem",
        "note": "现场核查许可证在有效期内",
        "rectify_by": None,
        "reinspected_on": None,
        "visited_on": visit_day().isoformat(),
        "officer": iw.officers["market_a"].certificate_number,
    }


def test_a_second_result_for_the_item_is_a_correction_kept_in_the_audit(iw: InspectionWorld) -> None:
    first = record(iw)
    second = record(iw, "market_b", outcome="referred", visited_on=None, note="涉嫌无证经营")
    assert second.pk == first.pk
    assert InspectionResult.objects.count() == 1
    entry = AuditEntry.objects.get(action="supervision.result_correct")
    assert (entry.before, entry.after) == (
        {"outcome": "no_problem", "note": "", "rectify_by": None, "reinspected_on": None},
        {
            "outcome": "referred",
            "note": "涉嫌无证经营",
            "rectify_by": None,
            "reinspected_on": None,
            "visited_on": visit_day().isoformat(),
            "officer": iw.officers["market_b"].certificate_number,
        },
    )
    pooled = PooledRecord.objects.get()
    assert (pooled.revision, pooled.inspection_result) == (2, "follow_up")
    # 移交立案: the referral is recorded for the penalty case to be opened.
    referral = AuditEntry.objects.get(action="supervision.result_referred")
    assert referral.after == {"credit_code": iw.w.p.organization.credit_code, "penalty_case": "to_open"}
    # The same values again write nothing.
    before = snapshot(iw)
    record(iw, "market_b", outcome="referred", visited_on=None, note="涉嫌无证经营")
    assert snapshot(iw) == before


# ---- bad input: refused, nothing written --------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "code", "field"),
    [
        ({"outcome": "rectify"}, "inspection_rectify_by_invalid", "rectify_by"),
        ({"outcome": "rectify", "rectify_by": "VISIT"}, "inspection_rectify_by_invalid", "rectify_by"),
        ({"outcome": "rectify", "rectify_by": "2024-02-30"}, "inspection_date_invalid", "rectify_by"),
        ({"outcome": "closed"}, "inspection_outcome_invalid", "outcome"),
        ({"visited_on": None}, "inspection_visit_date_required", "visited_on"),
        ({"visited_on": "tomorrow"}, "inspection_date_invalid", "visited_on"),
        ({"visited_on": "FUTURE"}, "inspection_visit_date_future", "visited_on"),
        ({"visited_on": "BEFORE_DRAW"}, "inspection_visit_before_draw", "visited_on"),
        ({"note": "情" * 1001}, "inspection_note_too_long", "note"),
    ],
)
def test_bad_values_are_refused_with_422(iw: InspectionWorld, values: dict[str, Any], code: str, field: str) -> None:
    special = {
        "VISIT": visit_day(),
        "FUTURE": TODAY() + datetime.timedelta(days=1),
        "BEFORE_DRAW": TODAY() - datetime.timedelta(days=11),
    }
    values = {k: special.get(v, v) if isinstance(v, str) else v for k, v in values.items()}
    before = snapshot(iw)
    error = refusal(lambda: record(iw, **values))
    assert (error.status, error.code, list(error.fields)) == (422, code, [field])
    assert snapshot(iw) == before


def test_an_item_outside_the_checklist_is_refused(iw: InspectionWorld) -> None:
    other = build_inspection_world(iw.w, number="LH-TEST-0002")
    before = snapshot(iw)
    error = refusal(
        lambda: svc.result_record(
            by=iw.users["market_a"],
            inspection_id=iw.inspection.pk,
            check_item_id=other.items["market1"].pk,
            outcome="no_problem",
            visited_on=visit_day(),
        )
    )
    assert (error.status, error.code) == (422, "inspection_item_not_in_checklist")
    assert snapshot(iw) == before


def test_the_visit_date_is_one_for_the_whole_group(iw: InspectionWorld) -> None:
    record(iw)
    before = snapshot(iw)
    error = refusal(lambda: record(iw, "culture_a", "culture", visited_on=visit_day() - datetime.timedelta(days=1)))
    assert (error.status, error.code) == (422, "inspection_visit_date_fixed")
    assert snapshot(iw) == before


@pytest.mark.parametrize("closed", ["inspection", "plan", "cancelled"])
def test_no_result_after_the_inspection_or_the_plan_is_closed(iw: InspectionWorld, closed: str) -> None:
    record(iw)
    if closed == "inspection":
        svc.inspection_close(by=iw.user("regulator"), inspection_id=iw.inspection.pk)
    else:
        iw.plan.status = DrawPlanStatus.CLOSED if closed == "plan" else DrawPlanStatus.CANCELLED
        iw.plan.save(update_fields=["status"])
    before = snapshot(iw)
    for who, item in (("market_a", "market1"), ("culture_a", "culture")):
        error = refusal(lambda who=who, item=item: record(iw, who, item, outcome="rectify", rectify_by=TODAY()))
        assert (error.status, error.code) == (409, "inspection_closed")
    assert snapshot(iw) == before


# ---- re-inspection, closing -------------------------------------------------------------------


def test_a_rectification_is_reinspected_later_by_the_department(iw: InspectionWorld) -> None:
    result = record(iw, outcome="rectify", rectify_by=TODAY() + datetime.timedelta(days=10))
    svc.inspection_close(by=iw.user("regulator"), inspection_id=iw.inspection.pk)
    for who, code, status in (
        ("culture_a", "inspection_result_not_drawn", 403),
        ("agent", "inspection_result_not_drawn", 403),
    ):
        error = refusal(
            lambda who=who: svc.result_reinspect(by=iw.user(who), result_id=result.pk, reinspected_on=TODAY())
        )
        assert (error.status, error.code) == (status, code)
    error = refusal(
        lambda: svc.result_reinspect(
            by=iw.users["market_a"], result_id=result.pk, reinspected_on=visit_day() - datetime.timedelta(days=1)
        )
    )
    assert (error.status, error.code) == (422, "inspection_reinspect_date_invalid")
    assert InspectionResult.objects.get().reinspected_on is None
    svc.result_reinspect(by=iw.users["market_b"], result_id=result.pk, reinspected_on=TODAY(), note="已整改到位")
    result.refresh_from_db()
    assert (result.reinspected_on, result.note) == (TODAY(), f"复查 {TODAY().isoformat()}：已整改到位")
    entry = AuditEntry.objects.get(action="supervision.result_reinspect")
    assert (entry.before["reinspected_on"], entry.after["reinspected_on"]) == (None, TODAY().isoformat())


def test_only_a_rectification_is_reinspected(iw: InspectionWorld) -> None:
    result = record(iw)
    error = refusal(lambda: svc.result_reinspect(by=iw.users["market_a"], result_id=result.pk, reinspected_on=TODAY()))
    assert (error.status, error.code) == (409, "inspection_result_not_rectify")
    assert InspectionResult.objects.get().reinspected_on is None


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("regulator", None, None),
        ("manager", None, None),
        ("culture_regulator", 403, "inspection_close_forbidden"),
        ("market_a", None, None),  # an officer login that is a regulator of the lead department
        ("data_clerk", 403, "inspection_close_forbidden"),
        ("admin", 403, "inspection_close_forbidden"),
        ("regulator_other", 404, "inspection_not_found"),
        ("anonymous", 404, "inspection_not_found"),
    ],
)
def test_who_closes_an_inspection(iw: InspectionWorld, who: str, status: int, code: str) -> None:
    if status is None:
        svc.inspection_close(by=iw.user(who), inspection_id=iw.inspection.pk)
        iw.inspection.refresh_from_db()
        assert iw.inspection.status == InspectionStatus.CLOSED
        entry = AuditEntry.objects.get(action="supervision.inspection_close")
        assert (entry.before, entry.after) == ({"status": "scheduled"}, {"status": "closed"})
        error = refusal(lambda: svc.inspection_close(by=iw.user(who), inspection_id=iw.inspection.pk))
        assert (error.status, error.code) == (409, "inspection_already_closed")
        return
    before = snapshot(iw)
    error = refusal(lambda: svc.inspection_close(by=iw.user(who), inspection_id=iw.inspection.pk))
    assert (error.status, error.code) == (status, code)
    assert snapshot(iw) == before


def test_closing_a_plans_inspections_closes_the_open_ones(iw: InspectionWorld) -> None:
    from onewindow.core.actors import system_actor

    assert svc.plan_inspections_close(by=system_actor("test"), plan_id=iw.plan.pk) == 1
    assert svc.plan_inspections_close(by=system_actor("test"), plan_id=iw.plan.pk) == 0
    iw.inspection.refresh_from_db()
    assert iw.inspection.status == InspectionStatus.CLOSED
