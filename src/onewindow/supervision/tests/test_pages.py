"""The supervision pages: who may open them, the actions through the forms (a refusal re-renders
with nothing written), the notice the entity sees, the officer form, and query-count guards."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.core.calendar import add_working_days
from onewindow.supervision.models import DualNoticeTask, DualNoticeTaskEvent, Officer
from onewindow.supervision.testing import CHEMICAL_SCOPE, FOOD_SCOPE, SupervisionWorld

PAGES = [
    "/supervision/",
    "/supervision/tasks/",
    "/supervision/tasks/pool/",
    "/supervision/overdue/",
    "/supervision/statistics/",
    "/supervision/officers/",
    "/supervision/officers/new/",
]
SUPERVISION = {"manager", "admin", "regulator", "data_clerk", "regulator_other", "culture_regulator"}


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(DualNoticeTask.objects.order_by("pk").values_list("pk", "status", "department_id", "answer")),
        DualNoticeTaskEvent.objects.count(),
        Officer.objects.count(),
    )


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    "who", [n for n in PRINCIPAL_NAMES if n != "device"] + sorted(SUPERVISION - {"manager", "admin"})
)
def test_who_may_open_the_pages(world: SupervisionWorld, url: str, who: str) -> None:
    world.register()
    response = world.client(who).get(url)
    if who == "anonymous":
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    elif who in SUPERVISION:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert 'data-code="supervision_staff_only"' in response.content.decode()


def test_the_home_page_counts_from_the_rows(world: SupervisionWorld) -> None:
    world.register()
    world.register(CHEMICAL_SCOPE, organization=world.organization("上海静安化工贸易有限公司"))
    page = world.client("regulator").get("/supervision/").content.decode()
    # Users of the platform hold a regulator or data-clerk role: four in this world, in three departments.
    assert '<span class="figure" id="fig-users">4</span>' in page
    assert '<span class="figure" id="fig-departments">3</span>' in page
    assert '<span class="figure" id="fig-received">2</span>' in page
    assert '<span class="figure" id="fig-answered">0</span>' in page
    assert 'src="/static/vendor/echarts-5.6.0.min.js"' in page
    assert '"totals": {"received": 2, "answered": 0}' in page
    # No department has pooled a record yet: a sentence, not a pie of zeros.
    assert '<p id="no-records">' in page and 'id="chart-records"' not in page


def test_a_department_receives_and_answers_through_the_page(world: SupervisionWorld) -> None:
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    client = world.client("data_clerk")
    page = client.get(f"/supervision/tasks/{task.pk}/").content.decode()
    assert f'<a href="/catalog/items/{world.food_item.code}/">食品经营许可证</a>' in page  # type: ignore[union-attr]
    response = client.post(f"/supervision/tasks/{task.pk}/receive/")
    assert (response.status_code, response["Location"]) == (302, f"/supervision/tasks/{task.pk}/")
    before = snapshot()
    refused = client.post(f"/supervision/tasks/{task.pk}/answer/", {"answer": "", "note": "已核查"})
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'data-code="dual_notice_answer_invalid"' in body and "已核查</textarea>" in body
    assert snapshot() == before
    client.post(f"/supervision/tasks/{task.pk}/answer/", {"answer": "issued", "note": "已发证"})
    task.refresh_from_db()
    assert (task.status, task.answer, task.answer_note, task.answered_by) == (
        "answered",
        "issued",
        "已发证",
        world.data_clerk,
    )


def test_another_department_gets_403_on_the_page_with_nothing_written(world: SupervisionWorld) -> None:
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    before = snapshot()
    response = world.client("culture_regulator").post(f"/supervision/tasks/{task.pk}/receive/")
    assert response.status_code == 403
    assert 'data-code="dual_notice_action_forbidden"' in response.content.decode()
    assert world.client("citizen").post(f"/supervision/tasks/{task.pk}/receive/").status_code == 403
    assert world.client("regulator").post(f"/supervision/tasks/{task.pk}/delete/").status_code == 404
    assert snapshot() == before


def test_claim_from_the_pool_page(world: SupervisionWorld) -> None:
    notice = world.register(CHEMICAL_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    page = world.client("regulator").get("/supervision/tasks/pool/").content.decode()
    assert f'action="/supervision/tasks/{task.pk}/claim/"' in page
    world.client("regulator").post(f"/supervision/tasks/{task.pk}/claim/")
    task.refresh_from_db()
    assert (task.status, task.department_id) == ("received", world.department.pk)


def test_the_entity_sees_its_notice_and_nobody_else_outside_supervision(world: SupervisionWorld) -> None:
    notice = world.register()
    assert notice is not None
    day = timezone.localdate()
    page = world.client("agent").get(f"/supervision/notices/{notice.pk}/").content.decode()
    assert f'<span id="notice-number">{notice.number}</span>' in page
    assert "查看办事指南" in page and "娱乐场所经营许可证" in page
    assert f"{day.year}年{day.month}月{day.day}日" in page
    mine = world.client("agent").get("/supervision/my-notices/").content.decode()
    assert f'<a href="/supervision/notices/{notice.pk}/">{notice.number}</a>' in mine
    assert world.client("another_citizen").get(f"/supervision/notices/{notice.pk}/").status_code == 404
    assert world.client("regulator").get(f"/supervision/notices/{notice.pk}/").status_code == 200


def test_a_department_admin_adds_an_officer_through_the_form(world: SupervisionWorld) -> None:
    client = world.client("manager")
    form = {
        "department_id": str(world.department.pk),
        "name": "赵振华",
        "certificate_number": "31010600101",
        "active_from": "2016-08-15",
        "specialties": ["food", "pricing"],
    }
    response = client.post("/supervision/officers/new/", form)
    assert (response.status_code, response["Location"]) == (302, "/supervision/officers/")
    officer = Officer.objects.get()
    assert (officer.name, officer.department, str(officer.active_from)) == ("赵振华", world.department, "2016-08-15")
    refused = client.post("/supervision/officers/new/", {**form, "active_from": "15/08/2016"})
    assert refused.status_code == 409  # the number is taken, checked before the date
    bad_date = client.post(
        "/supervision/officers/new/", {**form, "certificate_number": "31010600102", "active_from": "15/08/2016"}
    )
    assert bad_date.status_code == 422
    assert 'value="31010600102"' in bad_date.content.decode()
    assert Officer.objects.count() == 1
    listing = world.client("regulator_other").get("/supervision/officers/").content.decode()
    assert "31010600101" in listing and "食品安全、价格监督" in listing
    assert "新增执法人员" not in listing
    forbidden = world.client("regulator").post("/supervision/officers/new/", {**form, "certificate_number": "X1234"})
    assert forbidden.status_code == 403
    assert Officer.objects.count() == 1


def test_list_pages_keep_a_fixed_number_of_queries(world: SupervisionWorld, django_assert_max_num_queries: Any) -> None:
    for n in range(12):
        world.register(FOOD_SCOPE + "；" + CHEMICAL_SCOPE, organization=world.organization(f"上海第{n}餐饮有限公司"))
    client = world.client("regulator")
    # The home page also counts the measures (issue #12: lists, draws, covered entities, listings,
    # alerts) in five more queries.
    for url, limit in (
        ("/supervision/tasks/", 14),
        ("/supervision/tasks/pool/", 14),
        ("/supervision/", 14 + 5),
        ("/supervision/statistics/", 14),
        ("/supervision/overdue/", 14),
    ):
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200
    assert add_working_days(timezone.localdate(), 5) == DualNoticeTask.objects.first().due_date  # type: ignore[union-attr]
