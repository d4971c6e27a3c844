"""Results publication within 20 working days of the inspection's end (DOMAIN.md R4.5), the late
list, the rows of the public page, and objections (异议) with their working-day deadline."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from onewindow.core.calendar import add_working_days
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.market.models import PooledRecord
from onewindow.supervision.choices import DrawPlanStatus
from onewindow.supervision.models import DrawPlanEvent, InspectionResult, ResultObjection
from onewindow.supervision.selectors.inspections import (
    PublishedResult,
    plans_results_late,
    published_results,
    results_due_on,
)
from onewindow.supervision.services import inspections as svc
from onewindow.supervision.testing import SupervisionWorld

from .inspection_world import InspectionWorld, build_inspection_world

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def refusal(call: Any) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    return info.value


def recorded(w: SupervisionWorld, *, ends_on: datetime.date, number: str = "LH-TEST-0001") -> InspectionWorld:
    """A plan whose market and culture items were recorded, then closed."""
    iw = build_inspection_world(w, ends_on=ends_on, number=number)
    visit = TODAY() - datetime.timedelta(days=2)
    for who, item, outcome in (("market_a", "market1", "no_problem"), ("culture_a", "culture", "not_disclosed")):
        svc.result_record(
            by=iw.users[who],
            inspection_id=iw.inspection.pk,
            check_item_id=iw.items[item].pk,
            outcome=outcome,
            visited_on=visit,
        )
    return iw


def close(iw: InspectionWorld) -> None:
    iw.plan.status = DrawPlanStatus.CLOSED
    iw.plan.closed_at = timezone.now()
    iw.plan.save(update_fields=["status", "closed_at"])


def published_state() -> tuple[Any, ...]:
    return (
        list(InspectionResult.objects.order_by("pk").values_list("pk", "published_at")),
        DrawPlanEvent.objects.count(),
        AuditEntry.objects.filter(action="supervision.results_publish").count(),
    )


# ---- the due date --------------------------------------------------------------------------------


def test_results_are_due_20_working_days_after_the_inspection_ends(world: SupervisionWorld) -> None:
    iw = build_inspection_world(world, ends_on=datetime.date(2024, 9, 20))
    # 2024: 国庆 1–7 October off, 29 September and 12 October adjusted working days.
    assert results_due_on(iw.plan) == datetime.date(2024, 10, 23)


# ---- publication ---------------------------------------------------------------------------------


def test_publication_on_time_marks_every_result_and_is_not_late(world: SupervisionWorld) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    close(iw)
    event = svc.results_publish(by=world.regulator, plan_id=iw.plan.pk)
    due = results_due_on(iw.plan)
    assert (event.action, event.from_status, event.to_status, event.note, event.details, event.by_id) == (
        "publish_results",
        "closed",
        "closed",
        "",
        {"results": 2, "due_on": due.isoformat(), "late": False},
        world.regulator.pk,
    )
    assert all(at == event.at for at in InspectionResult.objects.values_list("published_at", flat=True))
    assert plans_results_late(world.regulator) == []
    rows = published_results(iw.plan)
    org = world.p.organization
    assert rows == [
        PublishedResult(
            org.name,
            org.credit_code,
            "食品经营许可情况的检查",
            world.department.name,
            "no_problem",
            "未发现问题",
            TODAY(),
        ),
        PublishedResult(
            org.name, org.credit_code, "营业性演出的检查", world.culture.name, "not_disclosed", "未按规定公示", TODAY()
        ),
    ]
    # Nothing left to publish: refused, nothing written.
    before = published_state()
    error = refusal(lambda: svc.results_publish(by=world.regulator, plan_id=iw.plan.pk))
    assert (error.status, error.code) == (409, "results_nothing_to_publish")
    assert published_state() == before


def test_late_publication_is_accepted_and_marked_late(world: SupervisionWorld) -> None:
    ends = TODAY() - datetime.timedelta(days=60)
    iw = recorded(world, ends_on=ends)
    close(iw)
    due = results_due_on(iw.plan)
    late = plans_results_late(world.regulator)
    assert [(row.plan.pk, row.due_on, row.published_on, row.days_late) for row in late] == [
        (iw.plan.pk, due, None, (TODAY() - due).days)
    ]
    event = svc.results_publish(by=world.p.users["manager"], plan_id=iw.plan.pk)
    assert (event.note, event.details) == ("逾期公示", {"results": 2, "due_on": due.isoformat(), "late": True})
    late = plans_results_late(world.regulator)
    assert [(row.plan.pk, row.published_on, row.days_late) for row in late] == [
        (iw.plan.pk, TODAY(), (TODAY() - due).days)
    ]
    # Another department's regulator sees no plan of theirs late; a system admin sees it.
    assert plans_results_late(world.regulator_other) == []
    assert [row.plan.pk for row in plans_results_late(world.p.users["admin"])] == [iw.plan.pk]


def test_unpublished_results_never_reach_the_public_rows(world: SupervisionWorld) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    assert published_results(iw.plan) == []


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("culture_regulator", 403, "results_publish_forbidden"),  # a partner department
        ("data_clerk", 403, "results_publish_forbidden"),
        ("admin", 403, "results_publish_forbidden"),
        ("regulator_other", 404, "draw_plan_not_found"),
        ("agent", 404, "draw_plan_not_found"),
        ("anonymous", 404, "draw_plan_not_found"),
        ("regulator", 409, "results_publish_not_closed"),  # the plan is still drawn
    ],
)
def test_who_publishes_results_and_when(world: SupervisionWorld, who: str, status: int, code: str) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    if who != "regulator":
        close(iw)
    before = published_state()
    error = refusal(lambda: svc.results_publish(by=iw.user(who), plan_id=iw.plan.pk))
    assert (error.status, error.code) == (status, code)
    assert published_state() == before


# ---- objections -------------------------------------------------------------------------------


def objection_state() -> tuple[Any, ...]:
    return (
        list(ResultObjection.objects.values_list("pk", "status", "answer")),
        list(InspectionResult.objects.order_by("pk").values_list("outcome", "note", "rectify_by")),
        list(PooledRecord.objects.order_by("pk").values_list("revision", "inspection_result")),
        AuditEntry.objects.filter(action__startswith="supervision.").count(),
    )


def culture_result(iw: InspectionWorld) -> InspectionResult:
    return InspectionResult.objects.get(check_item=iw.items["culture"])


@override_settings(SUPERVISION_OBJECTION_DAYS=3)
def test_the_entity_objects_and_the_department_upholds_correcting_the_result(world: SupervisionWorld) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    result = culture_result(iw)
    objection = svc.objection_file(by=world.agent, result_id=result.pk, reason="我司已在公示系统按时公示年报")
    assert (objection.status, objection.due_on, objection.filed_by_id) == (
        "open",
        add_working_days(TODAY(), 3),
        world.agent.pk,
    )
    # The market bureau did not make this result: it may not answer.
    before = objection_state()
    error = refusal(
        lambda: svc.objection_answer(
            by=world.regulator, objection_id=objection.pk, upheld=True, answer="成立", outcome="no_problem"
        )
    )
    assert (error.status, error.code) == (403, "objection_answer_forbidden")
    # Upheld without the corrected outcome: 422.
    error = refusal(
        lambda: svc.objection_answer(by=world.culture_regulator, objection_id=objection.pk, upheld=True, answer="成立")
    )
    assert (error.status, error.code) == (422, "objection_outcome_required")
    assert objection_state() == before
    svc.objection_answer(
        by=world.culture_regulator,
        objection_id=objection.pk,
        upheld=True,
        answer="经核实已公示，更正结果",
        outcome="no_problem",
        note="复核后更正",
    )
    objection.refresh_from_db()
    result.refresh_from_db()
    assert (objection.status, objection.answer, objection.answered_by_id) == (
        "upheld",
        "经核实已公示，更正结果",
        world.culture_regulator.pk,
    )
    assert (result.outcome, result.note) == ("no_problem", "复核后更正")
    pooled = PooledRecord.objects.get(source_id=f"SUP-RESULT-{result.pk}")
    assert (pooled.revision, pooled.inspection_result) == (2, "no_issue")
    correction = AuditEntry.objects.filter(action="supervision.result_correct").get()
    assert (correction.before["outcome"], correction.after["outcome"], correction.after["objection"]) == (
        "not_disclosed",
        "no_problem",
        objection.pk,
    )
    answer = AuditEntry.objects.get(action="supervision.objection_answer")
    assert answer.after == {"status": "upheld", "late": False}
    # Answered once.
    before = objection_state()
    error = refusal(
        lambda: svc.objection_answer(
            by=world.culture_regulator, objection_id=objection.pk, upheld=False, answer="不成立"
        )
    )
    assert (error.status, error.code) == (409, "objection_not_open")
    assert objection_state() == before


def test_a_rejected_objection_leaves_the_result_and_a_late_answer_is_marked(world: SupervisionWorld) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    result = culture_result(iw)
    objection = svc.objection_file(by=world.agent, result_id=result.pk, reason="不认可")
    ResultObjection.objects.filter(pk=objection.pk).update(due_on=TODAY() - datetime.timedelta(days=1))
    svc.objection_answer(
        by=world.culture_regulator, objection_id=objection.pk, upheld=False, answer="经复核，原结果无误"
    )
    objection.refresh_from_db()
    result.refresh_from_db()
    assert (objection.status, result.outcome) == ("rejected", "not_disclosed")
    assert AuditEntry.objects.get(action="supervision.objection_answer").after == {"status": "rejected", "late": True}
    assert not AuditEntry.objects.filter(action="supervision.result_correct").exists()
    # The entity may object again once the first is answered.
    svc.objection_file(by=world.agent, result_id=result.pk, reason="补充材料后再次提出")
    assert ResultObjection.objects.filter(status="open").count() == 1


@pytest.mark.parametrize(
    ("who", "reason", "status", "code"),
    [
        ("regulator", "不认可", 403, "objection_not_entity"),
        ("culture_a", "不认可", 403, "objection_not_entity"),
        ("citizen", "不认可", 404, "inspection_result_not_found"),
        ("anonymous", "不认可", 404, "inspection_result_not_found"),
        ("agent", "  ", 422, "objection_reason_required"),
        ("agent", "异" * 1001, 422, "objection_reason_too_long"),
        ("agent", "OPEN", 409, "objection_already_open"),
    ],
)
def test_objection_refusals_write_nothing(
    world: SupervisionWorld, who: str, reason: str, status: int, code: str
) -> None:
    iw = recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    result = culture_result(iw)
    if reason == "OPEN":
        svc.objection_file(by=world.agent, result_id=result.pk, reason="第一次异议")
    before = objection_state()
    error = refusal(lambda: svc.objection_file(by=iw.user(who), result_id=result.pk, reason=reason))
    assert (error.status, error.code) == (status, code)
    assert objection_state() == before


# ---- the entity profile -------------------------------------------------------------------------


def test_the_pooled_inspection_record_is_on_the_entity_profile(world: SupervisionWorld) -> None:
    recorded(world, ends_on=TODAY() - datetime.timedelta(days=1))
    org = world.p.organization
    for who in ("regulator_other", "agent"):
        response = world.client(who).get(f"/market/records/entity/{org.pk}/")
        assert response.status_code == 200, who
        body = response.content.decode()
        assert body.count("餐饮场所联合抽查：") == 2, who
        assert "餐饮场所联合抽查：食品经营许可情况的检查" in body
        assert "餐饮场所联合抽查：营业性演出的检查" in body
