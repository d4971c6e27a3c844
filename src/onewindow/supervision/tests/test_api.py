"""The supervision API's bodies: a task with its notice's licences, timeline and actions; the
answer and claim through the API; filters; refusals in the house shape; query-count guards."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from onewindow.core.calendar import add_working_days
from onewindow.supervision import services
from onewindow.supervision.models import DualNoticeTask
from onewindow.supervision.testing import CHEMICAL_SCOPE, FOOD_ITEM_CODE, FOOD_SCOPE, SupervisionWorld

BASE = "/api/v1/supervision"


def test_a_task_through_the_api(world: SupervisionWorld) -> None:
    today = timezone.localdate()
    notice = world.register(FOOD_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    client = world.client("dept_token")
    body = client.get(f"{BASE}/tasks/{task.pk}").json()
    assert {
        k: body[k]
        for k in (
            "notice_number",
            "entity_name",
            "change_kind",
            "change_kind_label",
            "department",
            "status",
            "status_label",
            "licences",
            "due_date",
            "overdue",
            "answer",
            "actions",
        )
    } == {
        "notice_number": notice.number,
        "entity_name": "上海静安示例科技有限公司",
        "change_kind": "registered",
        "change_kind_label": "设立登记",
        "department": "上海市静安区市场监督管理局",
        "status": "pending",
        "status_label": "待签收",
        "licences": ["食品经营许可证"],
        "due_date": add_working_days(today, 5).isoformat(),
        "overdue": False,
        "answer": "",
        "actions": ["receive"],
    }
    assert body["notice_licences"] == [
        {
            "name": "食品经营许可证",
            "item_code": FOOD_ITEM_CODE,
            "guide_url": f"/catalog/items/{FOOD_ITEM_CODE}/",
            "department_id": world.department.pk,
            "department": "上海市静安区市场监督管理局",
        }
    ]
    assert [e["action"] for e in body["events"]] == ["dispatch"]
    received = client.post(f"{BASE}/tasks/{task.pk}/receive", {}, content_type="application/json").json()
    assert (received["status"], received["actions"]) == ("received", ["answer"])
    bad = client.post(f"{BASE}/tasks/{task.pk}/answer", {"answer": "done"}, content_type="application/json")
    assert (bad.status_code, bad.json()) == (
        422,
        {
            "code": "dual_notice_answer_invalid",
            "message": "请选择反馈结果。",
            "fields": {"answer": ["请从给定选项中选择。"]},
        },
    )
    answered = client.post(
        f"{BASE}/tasks/{task.pk}/answer", {"answer": "not_found", "note": "查无此主体"}, content_type="application/json"
    ).json()
    assert (
        answered["status"],
        answered["answer"],
        answered["answer_label"],
        answered["answered_late"],
        answered["actions"],
    ) == ("answered", "not_found", "查无此主体", False, [])
    assert [e["action_label"] for e in answered["events"]] == ["推送告知", "签收", "反馈"]
    again = client.post(f"{BASE}/tasks/{task.pk}/answer", {"answer": "issued"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "dual_notice_illegal_transition")


def test_claim_for_one_of_several_departments(world: SupervisionWorld) -> None:
    from onewindow.accounts.choices import StaffRoleKind
    from onewindow.accounts.testing import StaffRoleFactory

    StaffRoleFactory.create(user=world.regulator, role=StaffRoleKind.REGULATOR, department=world.culture)
    notice = world.register(CHEMICAL_SCOPE)
    assert notice is not None
    task = notice.tasks.get()
    client = world.client("regulator")
    unnamed = client.post(f"{BASE}/tasks/{task.pk}/claim", {}, content_type="application/json")
    assert (unnamed.status_code, unnamed.json()["code"], list(unnamed.json()["fields"])) == (
        422,
        "dual_notice_department_required",
        ["department_id"],
    )
    other = client.post(
        f"{BASE}/tasks/{task.pk}/claim", {"department_id": world.p.other_department.pk}, content_type="application/json"
    )
    assert (other.status_code, other.json()["code"]) == (403, "dual_notice_department_forbidden")
    assert DualNoticeTask.objects.get(pk=task.pk).status == "pool"
    claimed = client.post(
        f"{BASE}/tasks/{task.pk}/claim", {"department_id": world.culture.pk}, content_type="application/json"
    ).json()
    assert (claimed["status"], claimed["department"]) == ("received", "上海市静安区文化和旅游局")


def test_filters(world: SupervisionWorld) -> None:
    first = world.register(FOOD_SCOPE)
    world.register(FOOD_SCOPE, organization=world.organization("上海第二餐饮有限公司"))
    assert first is not None
    services.dual_notice_task_receive(by=world.regulator, task_id=first.tasks.get().pk)
    client = world.client("regulator")
    assert client.get(f"{BASE}/tasks?status=received").json()["total"] == 1
    assert client.get(f"{BASE}/tasks?status=pending").json()["total"] == 1
    assert client.get(f"{BASE}/tasks?overdue=true").json()["total"] == 0
    assert client.get(f"{BASE}/tasks?department_id={world.culture.pk}").json()["total"] == 0
    page = client.get(f"{BASE}/tasks?page_size=1&page=2").json()
    assert (page["total"], page["page"], page["pages"], len(page["items"])) == (2, 2, 2, 1)
    bad = client.get(f"{BASE}/tasks?status=closed")
    assert (bad.status_code, bad.json()["code"], list(bad.json()["fields"])) == (422, "invalid_filter", ["status"])
    assert client.get(f"{BASE}/officers?specialty=magic").status_code == 422
    missing = client.get(f"{BASE}/tasks/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, "dual_notice_task_not_found")
    stats = client.get(f"{BASE}/statistics").json()
    assert (stats["received"], stats["answered"], stats["pool"]) == (2, 0, 0)
    assert stats["departments"] == [
        {
            "department_id": world.department.pk,
            "department": "上海市静安区市场监督管理局",
            "received": 2,
            "answered": 0,
            "answered_late": 0,
            "open_overdue": 0,
        }
    ]


def test_lists_keep_a_fixed_number_of_queries(world: SupervisionWorld, django_assert_max_num_queries: Any) -> None:
    import datetime

    for n in range(15):
        world.register(FOOD_SCOPE + "；" + CHEMICAL_SCOPE, organization=world.organization(f"上海第{n}号餐饮有限公司"))
        services.officer_create(
            by=world.manager,
            department_id=world.department.pk,
            name=f"执法{n}",
            certificate_number=f"3101060099{n:02d}",
            active_from=datetime.date(2016, 1, 1),
            specialties=["food"],
        )
    client = world.client("regulator")
    for url in ("/tasks", "/tasks/pool", "/officers", "/statistics"):
        with django_assert_max_num_queries(10):
            response = client.get(BASE + url)
        assert response.status_code == 200
        assert response.json().get("total", 15) == 15
