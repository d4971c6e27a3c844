"""Authorization matrix of every supervision API operation (ARCHITECTURE rule 8; issue #11: department
clerk, other department, officer, admin, anonymous, department API token).

Who is who (``supervision.testing``): ``regulator`` and ``data_clerk`` serve 静安区市场监管局
(``p.department``), whose admin is ``manager``; ``culture_regulator`` serves 静安区文化旅游局 (same
district, another department); ``regulator_other`` serves 徐汇区市场监管局 (another district);
``dept_token`` is a bearer token owned by the data clerk with the supervision scopes; the window
clerks, reviewer and citizens are not supervision staff; the device token holds only ``device``.
For every refusal the test asserts that nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.core.models import AuditEntry
from onewindow.supervision import services
from onewindow.supervision.models import DualNoticeTask, DualNoticeTaskEvent
from onewindow.supervision.testing import (
    CHEMICAL_SCOPE,
    FOOD_SCOPE,
    SUPERVISION_PRINCIPALS,
    SupervisionWorld,
)

BASE = "/api/v1/supervision"
ALL = [*PRINCIPAL_NAMES, *SUPERVISION_PRINCIPALS]
Expected = tuple[int, str | None]
OK: Expected = (200, None)
STAFF_ONLY: Expected = (403, "supervision_staff_only")
FORBIDDEN: Expected = (403, "dual_notice_action_forbidden")
SUPERVISION = ("manager", "admin", "regulator", "data_clerk", "regulator_other", "culture_regulator", "dept_token")


def expect(**overrides: Expected) -> dict[str, Expected]:
    """Supervision staff read (200); everyone else is refused the way the API refuses them."""
    table: dict[str, Expected] = dict.fromkeys(ALL, STAFF_ONLY)
    table["anonymous"] = (401, "unauthenticated")
    table["device"] = (403, "insufficient_scope")
    for name in SUPERVISION:
        table[name] = OK
    table.update(overrides)
    return table


def acting(ok: tuple[str, ...], refused: Expected = FORBIDDEN) -> dict[str, Expected]:
    """A write: ``ok`` succeed, other supervision staff get ``refused``."""
    table = expect(**dict.fromkeys(SUPERVISION, refused))
    table.update(dict.fromkeys(ok, OK))
    return table


def food_task(w: SupervisionWorld) -> DualNoticeTask:
    notice = w.register(FOOD_SCOPE)
    assert notice is not None
    return notice.tasks.get()


def received_task(w: SupervisionWorld) -> DualNoticeTask:
    return services.dual_notice_task_receive(by=w.regulator, task_id=food_task(w).pk)


def pool_task(w: SupervisionWorld) -> DualNoticeTask:
    notice = w.register(CHEMICAL_SCOPE, organization=w.organization("上海静安化工贸易有限公司"))
    assert notice is not None
    return notice.tasks.get()


@dataclass
class Op:
    name: str
    method: str
    path: str
    setup: Callable[[SupervisionWorld], DualNoticeTask]
    body: dict[str, Any] | None
    table: dict[str, Expected]


DEPARTMENT = ("regulator", "data_clerk", "manager", "dept_token")
OPS = [
    Op("tasks", "GET", "/tasks", food_task, None, expect()),
    Op("pool", "GET", "/tasks/pool", pool_task, None, expect()),
    Op("detail", "GET", "/tasks/{id}", food_task, None, expect()),
    Op("officers", "GET", "/officers", food_task, None, expect()),
    Op("statistics", "GET", "/statistics", food_task, None, expect()),
    Op("receive", "POST", "/tasks/{id}/receive", food_task, {}, acting(DEPARTMENT)),
    Op(
        "answer",
        "POST",
        "/tasks/{id}/answer",
        received_task,
        {"answer": "inspected", "note": "已现场核查"},
        acting(DEPARTMENT),
    ),
    Op(
        "claim",
        "POST",
        "/tasks/{id}/claim",
        pool_task,
        {},
        acting(("regulator", "manager", "culture_regulator"))
        | {"regulator_other": (403, "dual_notice_claim_out_of_area")},
    ),
]


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(DualNoticeTask.objects.order_by("pk").values_list("pk", "status", "department_id", "answer")),
        DualNoticeTaskEvent.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
@pytest.mark.parametrize("who", ALL)
def test_matrix(world: SupervisionWorld, op: Op, who: str) -> None:
    task = op.setup(world)
    client = world.client(who)
    path = BASE + op.path.replace("{id}", str(task.pk))
    before = snapshot()
    response = client.get(path) if op.method == "GET" else client.post(path, op.body, content_type="application/json")
    status, code = op.table[who]
    assert response.status_code == status, (who, response.content)
    if code is not None:
        assert response.json()["code"] == code
    if status != 200 or op.method == "GET":
        assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "total"),
    [
        ("regulator", 1),
        ("data_clerk", 1),
        ("manager", 1),
        ("dept_token", 1),
        ("culture_regulator", 1),
        ("regulator_other", 0),
        ("admin", 0),
    ],
)
def test_my_tasks_are_my_departments_own(world: SupervisionWorld, who: str, total: int) -> None:
    world.register()  # one task for the market bureau, one for the culture bureau
    body = world.client(who).get(f"{BASE}/tasks").json()
    assert (body["total"], body["page"], body["pages"], len(body["items"])) == (total, 1, 1, total)


def test_a_read_only_token_may_not_act(world: SupervisionWorld) -> None:
    from django.test import Client

    from onewindow.accounts.testing import make_api_token

    task = food_task(world)
    _token, bearer = make_api_token(name="只读", scopes=["supervision:read"], owner=world.regulator)
    client = Client(headers={"Authorization": f"Bearer {bearer}"})
    before = snapshot()
    assert client.get(f"{BASE}/tasks/{task.pk}").status_code == 200
    response = client.post(f"{BASE}/tasks/{task.pk}/receive", {}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    assert snapshot() == before
