"""The staff pages of 双随机 draw plans (issue #12 parts 2–4): who may open and act on them, the
form's per-field errors, each stage button, and refusals shown with their code and nothing written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.core.models import AuditEntry
from onewindow.supervision.models import DrawFreeze, DrawOutcome, DrawPlan, DrawPlanEvent, Inspection

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

VALUE = "03 07 12 19 25 31 + 08"
#: Every actor of the matrix: standard principals and the supervision staff.
ACTORS = [name for name in PRINCIPAL_NAMES if name != "device"] + [
    "regulator",
    "data_clerk",
    "regulator_other",
    "culture_regulator",
]
#: Who may open the pages: supervision staff of some department (the manager is the market bureau's
#: department admin) and system admins.
READERS = {"regulator", "data_clerk", "regulator_other", "culture_regulator", "manager", "admin"}


def snapshot() -> tuple[Any, ...]:
    return (
        list(DrawPlan.objects.order_by("pk").values_list("pk", "status", "cancel_reason", "title")),
        DrawFreeze.objects.count(),
        list(DrawOutcome.objects.values_list("pk", "result")),
        Inspection.objects.count(),
        DrawPlanEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def form_data(dw: DrawWorld, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "department_id": dw.w.department.pk,
        "title": "2026 年第一季度企业公示信息抽查",
        "kind": "random",
        "item_ids": [dw.items[0].pk],
        "regions": "310106",
        "industries": "",
        "mode": "counts",
        "count_A": "1",
        "count_B": "1",
        "count_C": "1",
        "count_D": "1",
        "exclude_inspected_months": "12",
        "exclude_open_plans": "1",
        "officers_per_department": "2",
        "no_repeat_months": "12",
        "random_source": "上海福利彩票 双色球 第2026025期开奖号码",
        "random_expected_on": (dw.clock.day + datetime.timedelta(days=3)).isoformat(),
        "inspection_ends_on": (dw.clock.day + datetime.timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def client_for(dw: DrawWorld, name: str) -> Client:
    return dw.client(name)


# ---- authorization ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACTORS)
def test_who_opens_the_plan_pages(dw: DrawWorld, name: str) -> None:
    plan = dw.to_status("published")
    client = client_for(dw, name)
    for url in ("/supervision/plans/", "/supervision/plans/new/", f"/supervision/plans/{plan.number}/"):
        response = client.get(url)
        if name == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        elif name in READERS:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
            assert b'data-code="supervision_staff_only"' in response.content


def test_the_list_shows_my_departments_plans_with_a_status_filter(dw: DrawWorld) -> None:
    draft = dw.create(title="草稿任务")
    published = dw.to_status("published", title="已发布任务")
    body = dw.client("regulator").get("/supervision/plans/").content.decode()
    assert f'data-plan="{draft.number}"' in body and f'data-plan="{published.number}"' in body
    body = dw.client("regulator").get("/supervision/plans/?status=published").content.decode()
    assert f'data-plan="{draft.number}"' not in body and f'data-plan="{published.number}"' in body
    # another department's regulator does not see the market bureau's plans in their list
    body = dw.client("culture_regulator").get("/supervision/plans/").content.decode()
    assert "data-plan=" not in body
    # a system admin sees every plan
    body = dw.client("admin").get("/supervision/plans/").content.decode()
    assert f'data-plan="{draft.number}"' in body and f'data-plan="{published.number}"' in body


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("data_clerk", 403, "draw_plan_forbidden"),
        ("regulator_other", 403, "draw_plan_forbidden"),
        ("culture_regulator", 403, "draw_plan_forbidden"),
        ("admin", 403, "draw_plan_forbidden"),
        ("citizen", 403, "supervision_staff_only"),
        ("clerk", 403, "supervision_staff_only"),
    ],
)
def test_only_the_planner_acts_and_a_refusal_writes_nothing(dw: DrawWorld, name: str, status: int, code: str) -> None:
    plan = dw.create()
    before = snapshot()
    response = dw.client(name).post(f"/supervision/plans/{plan.number}/publish/")
    assert response.status_code == status
    assert f'data-code="{code}"'.encode() in response.content
    assert snapshot() == before


def test_stage_buttons_only_for_the_planner(dw: DrawWorld) -> None:
    plan = dw.create()
    mine = dw.client("regulator").get(f"/supervision/plans/{plan.number}/").content.decode()
    assert f'action="/supervision/plans/{plan.number}/publish/"' in mine
    assert f'action="/supervision/plans/{plan.number}/cancel/"' in mine
    theirs = dw.client("data_clerk").get(f"/supervision/plans/{plan.number}/").content.decode()
    assert 'id="actions"' not in theirs


def test_unknown_plan_is_404(dw: DrawWorld) -> None:
    response = dw.client("regulator").get("/supervision/plans/SC2026999999/")
    assert response.status_code == 404
    assert b'data-code="draw_plan_not_found"' in response.content
    before = snapshot()
    response = dw.client("regulator").post("/supervision/plans/SC2026999999/freeze/")
    assert response.status_code == 404
    assert snapshot() == before


def test_actions_are_posts_only(dw: DrawWorld) -> None:
    plan = dw.create()
    assert dw.client("regulator").get(f"/supervision/plans/{plan.number}/publish/").status_code == 405


# ---- the form ------------------------------------------------------------------------------------------


def test_the_form_lists_the_published_items_of_my_department(dw: DrawWorld) -> None:
    body = dw.client("regulator").get("/supervision/plans/new/").content.decode()
    assert f'name="item_ids" value="{dw.items[0].pk}"' in body
    assert f'name="item_ids" value="{dw.items[1].pk}"' in body
    assert f'name="item_ids" value="{dw.culture_items[0].pk}"' not in body  # another department's
    assert f'<option value="{dw.joint.pk}"' in body if dw.joint else True


def test_creating_a_plan_redirects_to_it(dw: DrawWorld) -> None:
    response = dw.client("regulator").post("/supervision/plans/new/", form_data(dw))
    plan = DrawPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/supervision/plans/{plan.number}/"
    assert (plan.status, plan.counts, plan.pool_filter, plan.exclude_open_plans) == (
        "draft",
        {"A": 1, "B": 1, "C": 1, "D": 1},
        {"regions": ["310106"]},
        True,
    )
    assert plan.random_source == "上海福利彩票 双色球 第2026025期开奖号码"


def test_ratios_with_filters_reach_the_service(dw: DrawWorld) -> None:
    data = form_data(
        dw,
        mode="ratios",
        ratio_A="3",
        ratio_C="12.5",
        ratio_U="5",
        industries="52",
        entity_types=["limited_company"],
        risk_grades=["A", "C", "-"],
    )
    assert dw.client("regulator").post("/supervision/plans/new/", data).status_code == 302
    plan = DrawPlan.objects.get()
    assert plan.ratios == {"-": "5", "A": "3", "C": "12.5"}
    assert plan.counts == {}
    assert plan.pool_filter == {
        "regions": ["310106"],
        "industries": ["52"],
        "entity_types": ["limited_company"],
        "risk_grades": ["-", "A", "C"],
    }


def test_a_ratio_of_ten_percent_reads_10(dw: DrawWorld) -> None:
    data = form_data(dw, mode="ratios", ratio_A="10", ratio_B="20", count_A="", count_B="", count_C="", count_D="")
    assert dw.client("regulator").post("/supervision/plans/new/", data).status_code == 302
    plan = DrawPlan.objects.get()
    assert plan.ratios == {"A": "10", "B": "20"}
    assert (
        '<dd id="quota-rule">A: 10%；B: 20%</dd>'
        in dw.client("regulator").get(f"/supervision/plans/{plan.number}/").content.decode()
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "此项必填。"),
        ({"item_ids": []}, "item_ids", "请选择至少一项抽查事项。"),
        ({"regions": "999999"}, "pool_filter", "未知的区或街镇代码：999999"),
        ({"count_A": "-1"}, "counts", "抽取户数应为非负整数。"),
        ({"officers_per_department": "0"}, "officers_per_department", "每户每部门执法人员数应为 1 至 10。"),
        ({"random_source": " "}, "random_source", "此项必填。"),
        ({"random_expected_on": "2026-03-02"}, "random_expected_on", "公开随机数须在今后产生（晚于今天）。"),
        ({"inspection_ends_on": "2026-03-03"}, "inspection_ends_on", "检查截止日期不得早于随机数产生日期。"),
    ],
)
def test_bad_input_shows_the_field_error_and_writes_nothing(
    dw: DrawWorld, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot()
    response = dw.client("regulator").post("/supervision/plans/new/", form_data(dw, **overrides))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-code="draw_plan_invalid"' in body
    assert "draw_plan_invalid" in body.split('role="alert"')[1].split("</p>")[0]  # the code is shown
    assert '<p class="field-error"' in body and message in body
    assert snapshot() == before
    # what was typed stays in the form
    if overrides.get("title") != "":
        assert 'value="2026 年第一季度企业公示信息抽查"' in body


def test_another_departments_plan_is_refused_on_the_form(dw: DrawWorld) -> None:
    before = snapshot()
    response = dw.client("regulator").post("/supervision/plans/new/", form_data(dw, department_id=dw.w.culture.pk))
    assert response.status_code == 403
    assert b'data-code="draw_plan_forbidden"' in response.content
    assert snapshot() == before


# ---- the stage buttons --------------------------------------------------------------------------------


def test_each_stage_through_the_buttons(dw: DrawWorld) -> None:
    client = dw.client("regulator")
    plan = dw.create()
    url = f"/supervision/plans/{plan.number}"
    response = client.post(f"{url}/publish/")
    assert (response.status_code, response["Location"]) == (302, f"{url}/")
    page = client.get(f"{url}/").content.decode()
    assert f'href="/supervision/public/draws/{plan.number}/"' in page
    assert "已发布任务" in page
    dw.clock.advance(1)
    assert client.post(f"{url}/freeze/").status_code == 302
    freeze = DrawFreeze.objects.get(plan=plan)
    page = client.get(f"{url}/").content.decode()
    assert f'<code id="pool-digest">{freeze.pool_digest}</code>' in page
    assert f'<code id="commitment">{freeze.secret_commitment}</code>' in page
    dw.clock.day = plan.random_expected_on
    assert client.post(f"{url}/draw/", {"random_value": VALUE}).status_code == 302
    outcome = DrawOutcome.objects.get(plan=plan)
    page = client.get(f"{url}/").content.decode()
    assert f'<code id="selection-digest">{outcome.selection_digest}</code>' in page
    assert page.count("<tr data-code=") == 4  # the planner sees the drawn entities
    inspection = Inspection.objects.filter(plan=plan).order_by("sequence").first()
    assert inspection is not None
    leaving = inspection.officers.order_by("certificate_number").first()
    assert leaving is not None
    assignment = f"{inspection.credit_code}|{dw.w.department.code}|{leaving.certificate_number}"
    response = client.post(f"{url}/replace/", {"assignment": assignment, "reason": "病假"})
    assert response.status_code == 302
    assert leaving not in inspection.officers.all()
    assert client.post(f"{url}/close/").status_code == 302
    plan.refresh_from_db()
    assert plan.status == "closed"
    page = client.get(f"{url}/").content.decode()
    assert 'id="actions"' not in page
    actions = [e.action for e in DrawPlanEvent.objects.filter(plan=plan).order_by("at", "id")]
    assert actions == ["publish", "freeze", "draw", "replace", "close"]


def test_a_second_draw_is_refused_with_its_code(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn")
    before = snapshot()
    response = dw.client("regulator").post(f"/supervision/plans/{plan.number}/draw/", {"random_value": "01 02 03"})
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-code="draw_plan_illegal_transition"' in body or 'data-code="draw_already_drawn"' in body
    assert "draw_already_drawn" in body
    assert snapshot() == before


def test_a_draw_before_the_values_day_is_refused(dw: DrawWorld) -> None:
    plan = dw.to_status("frozen")
    before = snapshot()
    response = dw.client("regulator").post(f"/supervision/plans/{plan.number}/draw/", {"random_value": VALUE})
    assert response.status_code == 409
    assert b'data-code="draw_too_early"' in response.content
    assert b'id="draw-wait"' in response.content
    assert snapshot() == before


def test_freezing_twice_is_refused(dw: DrawWorld) -> None:
    plan = dw.to_status("frozen")
    before = snapshot()
    response = dw.client("regulator").post(f"/supervision/plans/{plan.number}/freeze/")
    assert response.status_code == 409
    assert b'data-code="draw_pool_frozen"' in response.content
    assert snapshot() == before


def test_a_pool_smaller_than_its_count_is_refused_at_the_freeze(dw: DrawWorld) -> None:
    plan = dw.create(counts={"D": 5})
    client = dw.client("regulator")
    assert client.post(f"/supervision/plans/{plan.number}/publish/").status_code == 302
    before = snapshot()
    response = client.post(f"/supervision/plans/{plan.number}/freeze/")
    assert response.status_code == 422
    assert b'data-code="supervision_draw_pool_too_small"' in response.content
    assert snapshot() == before


def test_cancel_needs_a_reason(dw: DrawWorld) -> None:
    plan = dw.to_status("published")
    client = dw.client("regulator")
    before = snapshot()
    response = client.post(f"/supervision/plans/{plan.number}/cancel/", {"reason": "  "})
    assert response.status_code == 422
    assert b'data-code="draw_plan_invalid"' in response.content
    assert snapshot() == before
    assert client.post(f"/supervision/plans/{plan.number}/cancel/", {"reason": "计划调整"}).status_code == 302
    page = client.get(f"/supervision/plans/{plan.number}/").content.decode()
    assert '<dd id="cancel-reason">计划调整</dd>' in page
    assert '<dd id="plan-status">已撤销</dd>' in page


def test_replacing_without_a_reason_is_refused(dw: DrawWorld) -> None:
    plan = dw.to_status("drawn")
    inspection = Inspection.objects.filter(plan=plan).order_by("sequence").first()
    assert inspection is not None
    officer = inspection.officers.first()
    assert officer is not None
    before = snapshot()
    assignment = f"{inspection.credit_code}|{dw.w.department.code}|{officer.certificate_number}"
    response = dw.client("regulator").post(
        f"/supervision/plans/{plan.number}/replace/", {"assignment": assignment, "reason": ""}
    )
    assert response.status_code == 422
    assert b'data-code="supervision_draw_replacement_reason_missing"' in response.content
    assert snapshot() == before
