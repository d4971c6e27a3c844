"""Authorization matrix of every cases API operation (ARCHITECTURE rule 8).

Each operation is called by each standard principal on a case of the citizen brought to the
status the operation needs; the test asserts the exact status and error code, and for every
refusal that nothing changed: no case, status, event, material, document or message written.

Who is who here (accounts.testing.build_principals, cases.testing.case_world): the item belongs
to ``p.department``, which is both the receiving and the handling body of an online case; the
clerk is its window clerk (receiver), the reviewer a reviewer (receiver and handler), the manager
its department admin (receiver, handler and head); clerk_other_department works for another
district and sees nothing. A forwarded case is received at a street center none of them staffs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseEvent, CaseMaterial, Document
from onewindow.cases.testing import FORM, PDF, CaseWorld
from onewindow.notifications.models import Message
from onewindow.ratings.models import Rating

BASE = "/api/v1/cases"
STAFF = ("clerk", "reviewer", "manager", "admin")
RECEIVERS = STAFF  # window clerk, reviewer and department admin of the receiving body; admin acts as all
HANDLERS = ("reviewer", "manager", "admin")
HEADS = ("manager", "admin")

Expected = tuple[int, str | None]
NOT_FOUND = (404, "case_not_found")
FORBIDDEN = (403, "case_action_forbidden")


def expect(default: Expected, **overrides: Expected) -> dict[str, Expected]:
    table = dict.fromkeys(PRINCIPAL_NAMES, default)
    table["anonymous"] = (401, "unauthenticated")
    table["device"] = (403, "insufficient_scope")
    table.update(overrides)
    return table


def on_case(ok: Expected, allowed: tuple[str, ...], visible_only: Expected = FORBIDDEN) -> dict[str, Expected]:
    """An operation on the citizen's case: ``allowed`` succeed, other principals who can see the case
    (the citizen, staff in scope) are refused with ``visible_only``, the rest do not find it."""
    table = expect(NOT_FOUND)
    for name in ("citizen", *STAFF):
        table[name] = visible_only
    for name in allowed:
        table[name] = ok
    return table


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Case.objects.order_by("id").values_list("id", "status", "handler_id", "delivery_method")),
        CaseEvent.objects.count(),
        CaseMaterial.objects.filter(removed_at__isnull=True).count(),
        Document.objects.count(),
        Message.objects.count(),
        Rating.objects.count(),
    )


def _draft_with_file(w: CaseWorld) -> Case:
    case = w.draft()
    material = case.item_version.materials.get(required=True)
    services.case_attach(by=w.p.citizen, case_id=case.pk, name="身份证.pdf", content=PDF, material_id=material.pk)
    return case


def _forwardable(w: CaseWorld) -> Case:
    case = w.forwarded_case()
    return services.case_accept(by=w.center_clerk, case_id=case.pk)


@dataclass
class Op:
    name: str
    method: str  # GET POST PATCH DELETE UPLOAD
    path: str  # "{id}" and "{file}" are filled in
    setup: Callable[[CaseWorld], Case]
    body: Callable[[CaseWorld], dict[str, Any] | None]
    table: dict[str, Expected]


def private_draft(ok: Expected) -> dict[str, Expected]:
    table = on_case(ok, ("citizen",))
    table.update(clerk=NOT_FOUND, reviewer=NOT_FOUND, manager=NOT_FOUND)
    return table


def status(name: str) -> Callable[[CaseWorld], Case]:
    return lambda w: w.in_status(name)


def none(w: CaseWorld) -> None:
    return None


OK, CREATED, NO_CONTENT = (200, None), (201, None), (204, None)
STAFF_ONLY = (403, "staff_only")

OPS: list[Op] = [
    Op("apply", "POST", "/", status("submitted"),
       lambda w: {"item_code": w.item.code, "channel": "online", "form_data": dict(FORM)}, expect(CREATED)),
    Op("list", "GET", "/", status("submitted"), none, expect(OK)),
    Op("inbox", "GET", "/inbox", status("submitted"), none,
       expect(OK, citizen=STAFF_ONLY, another_citizen=STAFF_ONLY, agent=STAFF_ONLY)),
    Op("review_queue", "GET", "/review-queue", status("submitted"), none,
       expect(OK, citizen=STAFF_ONLY, another_citizen=STAFF_ONLY, agent=STAFF_ONLY)),
    # 一码查询 by POST (the phone tail in the body, never in the URL): a read, whoever asks.
    Op("query", "QUERY", "/query", status("submitted"), none, dict.fromkeys(PRINCIPAL_NAMES, OK)),
    Op("detail", "GET", "/{id}", status("submitted"), none, on_case(OK, ("citizen", *STAFF))),
    # An online draft is the applicant's own until submitted: staff in scope do not even see it,
    # and the system admin, who sees every case, may not change it.
    Op("update", "PATCH", "/{id}", status("draft"), lambda w: {"delivery_method": "mail"}, private_draft(OK)),
    Op("upload", "UPLOAD", "/{id}/files", status("draft"), none, private_draft(CREATED)),
    Op("remove_file", "DELETE", "/{id}/files/{file}", _draft_with_file, none, private_draft(NO_CONTENT)),
    Op("submit", "POST", "/{id}/submit", _draft_with_file, none, private_draft(OK)),
    Op("resubmit", "POST", "/{id}/resubmit", status("correction"), none, on_case(OK, ("citizen", *RECEIVERS))),
    Op("withdraw", "POST", "/{id}/withdraw", status("submitted"), lambda w: {"reason": "不再需要"},
       on_case(OK, ("citizen",))),
    Op("start_pre_review", "POST", "/{id}/actions/start_pre_review", status("submitted"), none,
       on_case(OK, RECEIVERS)),
    Op("request_correction", "POST", "/{id}/actions/request_correction", status("submitted"),
       lambda w: {"items": [{"name": "居民身份证", "reason": "复印件不清晰"}]}, on_case(OK, RECEIVERS)),
    Op("accept", "POST", "/{id}/actions/accept", status("submitted"), lambda w: {"note": "材料齐全"},
       on_case(OK, RECEIVERS)),
    Op("refuse", "POST", "/{id}/actions/refuse", status("submitted"),
       lambda w: {"reason_code": "not_competent", "reason": "应向区住建委申请"}, on_case(OK, RECEIVERS)),
    # Received at the street center: only its staff (and the system admin) may forward; the district
    # department sees the case as its handling body but is not its receiver.
    Op("forward", "POST", "/{id}/actions/forward", _forwardable, lambda w: {"note": "转报区局"},
       on_case(OK, ("admin",))),
    Op("start_review", "POST", "/{id}/actions/start_review", status("accepted"), none, on_case(OK, HANDLERS)),
    Op("suspend", "POST", "/{id}/actions/suspend", status("under_review"),
       lambda w: {"basis": "expert_review", "reason": "专家评审"}, on_case(OK, HANDLERS)),
    Op("resume", "POST", "/{id}/actions/resume", status("suspended"), none, on_case(OK, HANDLERS)),
    Op("extend", "POST", "/{id}/actions/extend", status("under_review"), lambda w: {"reason": "情况复杂", "days": 5},
       on_case(OK, HEADS)),
    Op("approve", "POST", "/{id}/actions/approve", status("under_review"), lambda w: {"licence_name": "许可证"},
       on_case(OK, HANDLERS)),
    Op("reject", "POST", "/{id}/actions/reject", status("under_review"), lambda w: {"reason": "不符合法定条件"},
       on_case(OK, HANDLERS)),
    Op("deliver", "POST", "/{id}/actions/deliver", status("approved"), lambda w: {"method": "window"},
       on_case(OK, RECEIVERS)),
    Op("reassign", "POST", "/{id}/actions/reassign", status("under_review"),
       lambda w: {"handler_id": w.p.manager.pk}, on_case(OK, HEADS)),
    # 一事一评: the applicant rates its concluded case; staff who see it may not rate it for them.
    Op("rate", "POST", "/{id}/rating", status("delivered"), lambda w: {"level": 5, "comment": "满意"},
       on_case(CREATED, ("citizen",))),
]


def call(w: CaseWorld, who: str, op: Op, case: Case) -> Any:
    client = w.p.client(who)
    first_file = case.materials.filter(removed_at__isnull=True).order_by("id").first()
    url = BASE + op.path.format(id=case.pk, file=first_file.pk if first_file else 0, code=case.query_code,
                                tail=case.phone_tail)
    body = op.body(w)
    if op.method == "GET":
        return client.get(url)
    if op.method == "QUERY":
        return client.post(url, data=json.dumps({"code": case.query_code, "phone_tail": case.phone_tail}),
                           content_type="application/json")
    if op.method == "DELETE":
        return client.delete(url)
    if op.method == "UPLOAD":
        return client.post(url, data={"file": SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")})
    send = client.patch if op.method == "PATCH" else client.post
    return send(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize("who", PRINCIPAL_NAMES)
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_matrix(case_world: CaseWorld, op: Op, who: str) -> None:
    case = op.setup(case_world)
    expected_status, code = op.table[who]
    before = snapshot()
    response = call(case_world, who, op, case)
    assert response.status_code == expected_status, response.content
    if expected_status >= 400:
        data = response.json()
        assert (data["code"], set(data)) == (code, {"code", "message", "fields"})
        assert isinstance(data["message"], str) and data["message"]
        assert snapshot() == before
    elif op.method not in ("GET", "QUERY"):
        assert snapshot() != before


def test_device_and_anonymous_never_reach_a_case_but_may_query_by_code(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.SUBMITTED)
    device = case_world.p.client("device")
    response = device.post(f"{BASE}/query", data=json.dumps({"code": case.query_code, "phone_tail": case.phone_tail}),
                           content_type="application/json")
    assert response.status_code == 200
    assert set(response.json()) == {"number", "title", "status", "status_label", "receiving_department",
                                    "handling_department", "submitted_at", "due_date", "is_final", "steps"}


def test_matrix_covers_every_cases_operation() -> None:
    from onewindow.config.api import api

    schema = api.get_openapi_schema()
    operations = {(m.upper(), path.removeprefix("/api/v1/cases")) for path, ops in schema["paths"].items()
                  if path.startswith("/api/v1/cases/") for m in ops}
    covered = {("POST" if op.method in ("UPLOAD", "QUERY") else op.method,
                op.path.split("?")[0].replace("{id}", "{case_id}").replace("{file}", "{file_id}")) for op in OPS}
    assert covered == operations
    assert len(OPS) == len(operations)


def test_case_rated_through_api_by_its_applicant_once_after_it_concludes(case_world: CaseWorld) -> None:
    running = case_world.in_status(CaseStatus.UNDER_REVIEW)
    citizen = case_world.p.client("citizen")
    before = (Rating.objects.count(), CaseEvent.objects.count())
    early = citizen.post(f"{BASE}/{running.pk}/rating", data=json.dumps({"level": 5}),
                         content_type="application/json")
    assert (early.status_code, early.json()["code"]) == (409, "case_not_rateable")
    assert (Rating.objects.count(), CaseEvent.objects.count()) == before

    case = case_world.in_status(CaseStatus.DELIVERED)
    response = citizen.post(f"{BASE}/{case.pk}/rating", data=json.dumps({"level": 4, "comment": "窗口服务好"}),
                            content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {"level": 4, "level_label": response.json()["level_label"], "comment": "窗口服务好",
                               "channel": "api"}
    rating = Rating.objects.get(subject_type="case", subject_id=str(case.pk))
    assert (rating.level, rating.channel, rating.rater_id) == (4, "api", case_world.p.citizen.pk)

    before = (Rating.objects.count(), CaseEvent.objects.count())
    again = citizen.post(f"{BASE}/{case.pk}/rating", data=json.dumps({"level": 1}), content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    assert (Rating.objects.count(), CaseEvent.objects.count()) == before
