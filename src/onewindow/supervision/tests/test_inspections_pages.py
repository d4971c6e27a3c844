"""The inspection pages: one checklist page for the group's visit, each officer's form limited to
their department's items, refusals re-rendered with their status and nothing written, the
entity's view and objection, the 检查任务 list with late results."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.core.models import AuditEntry
from onewindow.market.models import PooledRecord
from onewindow.supervision.choices import DrawPlanStatus
from onewindow.supervision.models import Inspection, InspectionResult, ResultObjection
from onewindow.supervision.services import inspections as svc
from onewindow.supervision.testing import SupervisionWorld

from .inspection_world import InspectionWorld, build_inspection_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def iw(world: SupervisionWorld) -> InspectionWorld:
    return build_inspection_world(world)


def client(iw: InspectionWorld, who: str) -> Client:
    if who in iw.users:
        c = Client()
        c.force_login(iw.users[who])
        return c
    return iw.w.client(who)


def url(iw: InspectionWorld, suffix: str = "") -> str:
    return f"/supervision/inspections/{iw.inspection.pk}/{suffix}"


def visit() -> str:
    return (timezone.localdate() - datetime.timedelta(days=2)).isoformat()


def forms_for(body: str) -> list[str]:
    """The item ids of the result forms on the page."""
    return re.findall(r'name="check_item" value="(\d+)"', body)


@pytest.mark.parametrize(
    ("who", "status", "form_items"),
    [
        ("market_a", 200, ["market1", "market2"]),
        ("culture_a", 200, ["culture"]),
        ("health_a", 200, ["health"]),
        ("market_undrawn", 200, []),
        ("regulator", 200, []),
        ("admin", 200, []),
        ("regulator_other", 404, None),
        ("agent", 404, None),  # before the visit
        ("citizen", 404, None),
    ],
)
def test_the_checklist_page_shows_each_officer_a_form_for_their_departments_items(
    iw: InspectionWorld, who: str, status: int, form_items: list[str] | None
) -> None:
    response = client(iw, who).get(url(iw))
    assert response.status_code == status
    body = response.content.decode()
    if form_items is None:
        assert 'data-code="inspection_not_found"' in body
        assert iw.inspection.entity_name not in body
        return
    assert forms_for(body) == [str(iw.items[k].pk) for k in form_items]
    # One page, three departments' sections, every item.
    assert re.findall(r'data-department="(\d+)"', body) == [str(d.pk) for d in iw.departments.values()]
    assert re.findall(r'<tr data-item="(\d+)"', body) == [
        str(iw.items[k].pk) for k in ("market1", "market2", "culture", "health")
    ]


def test_anonymous_is_sent_to_log_in(iw: InspectionWorld) -> None:
    response = Client().get(url(iw))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_officer_records_through_the_form(iw: InspectionWorld) -> None:
    c = client(iw, "culture_a")
    response = c.post(
        url(iw, "results/"),
        {"check_item": iw.items["culture"].pk, "outcome": "rectify", "rectify_by": "2099-01-01", "visited_on": visit()},
    )
    assert (response.status_code, response["Location"]) == (302, url(iw))
    result = InspectionResult.objects.get()
    assert (result.outcome, result.rectify_by) == ("rectify", datetime.date(2099, 1, 1))
    body = c.get(url(iw)).content.decode()
    assert 'data-outcome="rectify"' in body
    assert "inspection-reinspect" not in body and f"/inspections/results/{result.pk}/reinspect/" in body


@pytest.mark.parametrize(
    ("who", "item", "data", "status", "code"),
    [
        ("market_undrawn", "market1", {"outcome": "no_problem"}, 403, "inspection_result_not_drawn"),
        ("culture_a", "market1", {"outcome": "no_problem"}, 403, "inspection_result_not_drawn"),
        ("market_a", "market1", {"outcome": "rectify"}, 422, "inspection_rectify_by_invalid"),
        ("market_a", "market1", {"outcome": ""}, 422, "inspection_outcome_invalid"),
        ("market_a", "market1", {"outcome": "no_problem", "visited_on": "2024-13-01"}, 422, "inspection_date_invalid"),
        ("regulator_other", "market1", {"outcome": "no_problem"}, 404, "inspection_not_found"),
    ],
)
def test_a_refused_result_is_shown_with_its_status_and_nothing_is_written(
    iw: InspectionWorld, who: str, item: str, data: dict[str, str], status: int, code: str
) -> None:
    payload = {"check_item": str(iw.items[item].pk), "visited_on": visit(), **data}
    response = client(iw, who).post(url(iw, "results/"), payload)
    assert response.status_code == status
    assert f'data-code="{code}"' in response.content.decode()
    assert (InspectionResult.objects.count(), PooledRecord.objects.count()) == (0, 0)
    assert not AuditEntry.objects.filter(action__startswith="supervision.result").exists()


def test_after_closing_the_form_is_gone_and_a_post_is_refused(iw: InspectionWorld) -> None:
    response = client(iw, "regulator").post(url(iw, "close/"))
    assert response.status_code == 302
    assert Inspection.objects.get().status == "closed"
    c = client(iw, "market_a")
    assert forms_for(c.get(url(iw)).content.decode()) == []
    response = c.post(
        url(iw, "results/"), {"check_item": iw.items["market1"].pk, "outcome": "no_problem", "visited_on": visit()}
    )
    assert response.status_code == 409
    assert 'data-code="inspection_closed"' in response.content.decode()
    assert InspectionResult.objects.count() == 0


def test_the_entity_sees_its_inspection_after_the_visit_and_objects(iw: InspectionWorld) -> None:
    result = svc.result_record(
        by=iw.users["health_a"],
        inspection_id=iw.inspection.pk,
        check_item_id=iw.items["health"].pk,
        outcome="uncooperative",
        visited_on=visit(),
    )
    c = client(iw, "agent")
    body = c.get(url(iw)).content.decode()
    assert forms_for(body) == []
    assert body.count('class="object-form"') == 1
    response = c.post(f"/supervision/inspections/results/{result.pk}/object/", {"reason": "当日负责人不在场"})
    assert (response.status_code, response["Location"]) == (302, url(iw))
    objection = ResultObjection.objects.get()
    assert (objection.result_id, objection.reason, objection.status) == (result.pk, "当日负责人不在场", "open")
    # The health commission's regulator answers on the same page.
    answerer = iw.users["health_a"]
    body = client(iw, "health_a").get(url(iw)).content.decode()
    assert f"/supervision/inspections/objections/{objection.pk}/answer/" in body
    response = client(iw, "health_a").post(
        f"/supervision/inspections/objections/{objection.pk}/answer/", {"upheld": "0", "answer": "有现场记录为证"}
    )
    assert response.status_code == 302
    objection.refresh_from_db()
    assert (objection.status, objection.answered_by_id) == ("rejected", answerer.pk)


def test_the_list_shows_my_inspections_open_objections_and_late_results(world: SupervisionWorld) -> None:
    old = build_inspection_world(world, ends_on=timezone.localdate() - datetime.timedelta(days=60), number="LH-OLD")
    old.plan.status = DrawPlanStatus.CLOSED
    old.plan.save(update_fields=["status"])
    body = client(old, "market_a").get("/supervision/inspections/").content.decode()
    assert re.findall(r'data-inspection="(\d+)"', body) == [str(old.inspection.pk)]
    assert re.findall(r'data-plan="(\d+)"', body) == [str(old.plan.pk)]
    body = client(old, "regulator_other").get("/supervision/inspections/").content.decode()
    assert re.findall(r'data-(?:inspection|plan)="(\d+)"', body) == []


def test_publishing_through_the_page(world: SupervisionWorld) -> None:
    iw = build_inspection_world(world, ends_on=timezone.localdate() - datetime.timedelta(days=1))
    svc.result_record(
        by=iw.users["market_a"],
        inspection_id=iw.inspection.pk,
        check_item_id=iw.items["market1"].pk,
        outcome="no_problem",
        visited_on=visit(),
    )
    response = client(iw, "regulator").post(f"/supervision/inspections/plans/{iw.plan.pk}/publish-results/")
    assert response.status_code == 409  # still drawn
    iw.plan.status = DrawPlanStatus.CLOSED
    iw.plan.save(update_fields=["status"])
    response = client(iw, "culture_regulator").post(f"/supervision/inspections/plans/{iw.plan.pk}/publish-results/")
    assert response.status_code == 403
    assert InspectionResult.objects.get().published_at is None
    response = client(iw, "regulator").post(f"/supervision/inspections/plans/{iw.plan.pk}/publish-results/")
    assert (response.status_code, response["Location"]) == (302, "/supervision/inspections/")
    assert InspectionResult.objects.get().published_at is not None
