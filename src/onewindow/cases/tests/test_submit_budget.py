"""The statement budget of a case submission through the API (issue #17 "Statement budgets as tests").

``POST /api/v1/cases/`` with ``submit: true`` and an ``Idempotency-Key``, as an integration (a citizen's
bearer token) sends it: the statements are pinned one by one with the reason each is there. The
budget was set after the profile of docs/benchmarks.md (submit-before.svg: 31 statements, the draft
inserted then updated, the clock and the case read back, the whole detail read again for the 201).
The 201 answers from the rows just written; it must be the same document a GET of the case gives.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from onewindow.accounts.testing import make_api_token
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.testing import CaseWorld
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, IdempotencyKey
from onewindow.core.testing import StatementBudget
from onewindow.notifications.models import Message

SUBMIT_BUDGET = [
    (r'FROM "accounts_apitoken"', "the bearer token with its owner (its last use is written once a minute only)"),
    (r'FROM "catalog_serviceitem"', "the item with its current version, department and region, before the lock"),
    (r'FROM "accounts_person"', "the caller's person: the applicant (and the events' actor label)"),
    (r'SELECT "catalog_material"."name"', "the required materials (a new case has no uploads), before the lock"),
    (r'FROM "notifications_messagetemplate"',
     "the notification's template, in the applicant's language, before the lock"),
    (r"^SAVEPOINT", "case_apply's transaction (BEGIN in production)"),
    (r'INSERT INTO "core_idempotencykey"', "the idempotency claim first, ON CONFLICT DO NOTHING: a duplicate waits"),
    (r'INSERT INTO "core_numbercounter"', "the gap-free number: one upsert, locked to COMMIT (core.numbering)"),
    (r'FROM "core_calendarday"', "the calendar's overrides for the correction clock's 5 working days"),
    (r'INSERT INTO "cases_case" .* RETURNING', "the case, inserted once, already submitted and numbered"),
    (r'INSERT INTO "cases_caseclock" .* RETURNING', "the 5-working-day correction clock (行政许可法 art. 32)"),
    (r'INSERT INTO "cases_caseevent" .* VALUES \(.*\), \(.*RETURNING', "the create and submit events, one INSERT"),
    (r'INSERT INTO "core_auditentry"', "the audit entries of the create and submit steps, one INSERT"),
    (r'INSERT INTO "notifications_message" .* VALUES \(.*\), \(',
     "the SMS in the outbox and the in-app message, one INSERT"),
    (r'UPDATE "core_idempotencykey"', "the key names its case"),
    (r"^RELEASE SAVEPOINT", "COMMIT"),
]


def bench_item(world: CaseWorld) -> ServiceItem:
    """An online item without required materials, like the bench's (bench/cases.py)."""
    p = world.p
    return catalog_services.item_create(
        by=system_actor("test"), code="BENCHCASES000000000000000000000001", basic_code="01BENCHCASE1",
        name="基准测试：网上申请事项", department=p.department, region=p.department.region.code, level="district",
        category="approval", item_type="01", legal_basis="《中华人民共和国行政许可法》", handling_type="promised",
        statutory_limit=20, statutory_unit="working", promised_limit=10, promised_unit="working", fee_free=True,
        depth_level=4, depth_codes="1^2^3^4^5^6^7", on_site_visits=0, channels=["online"],
        form_schema={"type": "object", "required": ["applicant_name"],
                     "properties": {"applicant_name": {"type": "string", "title": "申请人名称", "x-personal": "name"}}},
        materials=[{"name": "其他材料", "form": "copy", "required": False}])


def submit(client: Client, body: dict[str, Any], key: str) -> Any:
    return client.post("/api/v1/cases/", data=json.dumps(body), content_type="application/json",
                       headers={"Idempotency-Key": key})


def test_a_submission_through_the_api_runs_its_statement_budget(case_world: CaseWorld) -> None:
    item = bench_item(case_world)
    _token, bearer = make_api_token(scopes=["cases:apply", "cases:read"], owner=case_world.p.citizen)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    body = {"item_code": item.code, "channel": "online", "form_data": {"applicant_name": "张伟"},
            "delivery_method": "electronic", "submit": True}
    assert submit(client, body, "warm-1").status_code == 201  # the district's counter row exists from now on
    with StatementBudget(SUBMIT_BUDGET):
        created = submit(client, body, "budget-1")
    assert created.status_code == 201, created.content
    case = Case.objects.get(pk=created.json()["id"])
    assert created["Location"] == f"/api/v1/cases/{case.pk}"
    assert (case.status, case.number, case.submitted_at is not None) == ("submitted", created.json()["number"], True)
    assert list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", "to_status", "public")) == [
        ("create", "draft", False), ("submit", "submitted", True)]
    assert list(AuditEntry.objects.filter(target_id=str(case.pk), target_type="cases.case").order_by("id")
                .values_list("action", "target_label")) == [
        ("cases.create", f"草稿 {case.title}"), ("cases.submit", f"{case.number} {case.title}")]
    assert sorted(Message.objects.filter(subject_id=str(case.pk)).values_list("channel", flat=True)) == ["inapp", "sms"]
    assert IdempotencyKey.objects.get(key="budget-1").result_id == str(case.pk)
    assert case.form_data == {"applicant_name": "张*"}  # the shown copy masked, the name encrypted
    # The 201 is the document a GET of the case gives (built from the rows written, not read back).
    assert created.json() == client.get(f"/api/v1/cases/{case.pk}").json()
    # A repeat of the key replays the first case (200), and writes nothing.
    again = submit(client, body, "budget-1")
    assert (again.status_code, again.json()["id"]) == (200, case.pk)
    assert Case.objects.filter(pk__gte=case.pk).count() == 1


def test_the_201_shows_staff_in_scope_the_whole_timeline(case_world: CaseWorld) -> None:
    """A clerk applying online in their own department sees the create step too, as a GET shows it."""
    item = bench_item(case_world)
    clerk = case_world.p.client("clerk")
    body = {"item_code": item.code, "channel": "online", "form_data": {"applicant_name": "王芳"}, "submit": True}
    created = submit(clerk, body, "clerk-1")
    if created.status_code != 201:  # a clerk without a person of their own cannot apply online
        assert created.json()["code"] == "real_name_required"
        return
    assert created.json() == clerk.get(f"/api/v1/cases/{created.json()['id']}").json()


def test_a_required_material_refuses_the_submission_and_writes_nothing(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    body = {"item_code": case_world.item.code, "channel": "online", "submit": True,
            "form_data": {"applicant_name": "张伟", "contact_phone": "13800138000"}}
    refused = submit(client, body, "missing-1")
    assert (refused.status_code, refused.json()["code"]) == (422, "materials_missing")
    assert not Case.objects.exists() and not IdempotencyKey.objects.exists()
