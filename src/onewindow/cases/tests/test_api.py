"""The cases API end to end: the whole lifecycle, field errors, uploads, illegal transitions,
idempotent applying (also from several processes at once), the public query and its throttle,
masking and machine-token scopes."""

from __future__ import annotations

import json
import multiprocessing
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onewindow.accounts.testing import make_api_token
from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseEvent, CaseMaterial
from onewindow.cases.testing import FORM, PDF, PNG, CaseWorld
from onewindow.core.models import IdempotencyKey
from onewindow.core.testing import pool_starmap
from onewindow.notifications.models import Message

from . import crash_server

BASE = "/api/v1/cases"


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", headers=headers)


def apply_body(world: CaseWorld, **overrides: Any) -> dict[str, Any]:
    return {"item_code": world.item.code, "channel": "online", "form_data": dict(FORM), **overrides}


def required_material(world: CaseWorld) -> int:
    return int(world.item.current_version.materials.get(required=True).pk)


def upload(client: Client, case_id: int, content: bytes, name: str = "身份证.pdf", material_id: int | None = None,
           content_type: str = "application/pdf") -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content, content_type=content_type)}
    if material_id is not None:
        data["material_id"] = str(material_id)
    return client.post(f"{BASE}/{case_id}/files", data=data)


def test_whole_lifecycle_through_the_api(case_world: CaseWorld) -> None:
    p = case_world.p
    citizen, clerk, reviewer = p.client("citizen"), p.client("clerk"), p.client("reviewer")

    created = post(citizen, f"{BASE}/", apply_body(case_world), **{"Idempotency-Key": "apply-1"})
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["status"], draft["number"], draft["actions"]) == ("draft", None, ["submit", "withdraw"])
    case_id = draft["id"]

    uploaded = upload(citizen, case_id, PDF, material_id=required_material(case_world))
    assert uploaded.status_code == 201, uploaded.content
    assert {k: uploaded.json()[k] for k in ("material_name", "original_name", "content_type", "size")} == {
        "material_name": "居民身份证", "original_name": "身份证.pdf", "content_type": "application/pdf",
        "size": len(PDF)}

    submitted = post(citizen, f"{BASE}/{case_id}/submit")
    assert submitted.status_code == 200, submitted.content
    year = timezone.localdate().year
    assert submitted.json()["number"] == f"310106-{year}-0000001"
    assert submitted.json()["status"] == "submitted"
    assert [c["kind"] for c in submitted.json()["clocks"]] == ["correction"]

    assert post(clerk, f"{BASE}/{case_id}/actions/accept", {"note": "材料齐全"}).json()["status"] == "accepted"
    assert post(reviewer, f"{BASE}/{case_id}/actions/start_review").json()["status"] == "under_review"
    approved = post(reviewer, f"{BASE}/{case_id}/actions/approve",
                    {"licence_name": "食品经营许可证", "valid_to": f"{year + 5}-12-31"})
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert approved.json()["licence"]["name"] == "食品经营许可证"
    assert approved.json()["licence"]["valid_to"] == f"{year + 5}-12-31"
    delivered = post(clerk, f"{BASE}/{case_id}/actions/deliver", {"method": "electronic"})
    assert delivered.json()["status"] == "delivered"
    assert [d["kind"] for d in delivered.json()["documents"]] == ["receipt", "approval"]

    detail = citizen.get(f"{BASE}/{case_id}").json()
    assert [e["action"] for e in detail["timeline"]] == ["submit", "accept", "start_review", "approve", "deliver"]
    assert detail["actions"] == []
    staff_view = clerk.get(f"{BASE}/{case_id}").json()
    assert [e["action"] for e in staff_view["timeline"]] == [
        "create", "submit", "accept", "start_review", "approve", "deliver"]

    case = Case.objects.get(pk=case_id)
    query = post(Client(), f"{BASE}/query", {"code": case.query_code, "phone_tail": case.phone_tail})
    assert query.status_code == 200, query.content
    public = query.json()
    assert (public["number"], public["status"], public["is_final"]) == (case.number, "delivered", True)
    assert [s["action"] for s in public["steps"]] == ["submit", "accept", "start_review", "approve", "deliver"]
    text = query.content.decode()
    person = p.citizen.person
    assert person.name not in text and case.contact_phone not in text and case.contact_phone[-4:] not in text
    assert Message.objects.filter(subject_type="case", subject_id=str(case_id)).count() > 0


def test_personal_data_is_masked_in_detail_and_lists(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()
    name, phone = p.citizen.person.name, case.contact_phone
    for who, url in (("citizen", f"{BASE}/{case.pk}"), ("clerk", f"{BASE}/{case.pk}"), ("citizen", f"{BASE}/"),
                     ("clerk", f"{BASE}/inbox"), ("clerk", f"{BASE}/review-queue")):
        response = p.client(who).get(url)
        assert response.status_code == 200, (who, url, response.content)
        text = response.content.decode()
        assert phone not in text and FORM["contact_phone"] not in text and name not in text, (who, url)
    detail = p.client("citizen").get(f"{BASE}/{case.pk}").json()
    assert detail["applicant"] == {"kind": "person", "name": name[0] + "*" * (len(name) - 1), "credit_code": None}
    assert detail["contact_phone"] == phone[:3] + "****" + phone[-4:]
    assert detail["form_data"] == {"applicant_name": "张*", "contact_phone": "138****8000", "description": "新办"}


def test_field_errors_are_422_with_fields_and_nothing_is_created(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    missing = post(client, f"{BASE}/", {"channel": "online"})
    assert missing.status_code == 422
    assert missing.json()["fields"] == {"item_code": ["此项为必填项。"]}
    bad_form = post(client, f"{BASE}/", apply_body(case_world, form_data={"contact_phone": "123"}))
    assert (bad_form.status_code, bad_form.json()["code"]) == (422, "form_invalid")
    assert bad_form.json()["fields"] == {"contact_phone": ["手机号码应为以1开头的11位数字"]}
    bad_channel = post(client, f"{BASE}/", apply_body(case_world, channel="fax"))
    assert (bad_channel.status_code, bad_channel.json()["code"]) == (422, "channel_invalid")
    assert bad_channel.json()["fields"] == {"channel": ["请从给定选项中选择。"]}
    bad_phone = post(client, f"{BASE}/", apply_body(case_world, contact_phone="12345"))
    assert (bad_phone.status_code, list(bad_phone.json()["fields"])) == (422, ["contact_phone"])
    unknown_org = post(client, f"{BASE}/", apply_body(case_world, applicant_organization="91310000000000000X"))
    assert (unknown_org.status_code, unknown_org.json()["code"]) == (422, "organization_unknown")
    no_materials = post(client, f"{BASE}/", apply_body(case_world, submit=True))
    assert (no_materials.status_code, no_materials.json()["code"]) == (422, "materials_missing")
    assert Case.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_agent_applies_for_the_organization(case_world: CaseWorld) -> None:
    p = case_world.p
    response = post(p.client("agent"), f"{BASE}/",
                    apply_body(case_world, applicant_organization=p.organization.credit_code))
    assert response.status_code == 201, response.content
    assert response.json()["applicant"] == {"kind": "organization", "name": p.organization.name,
                                            "credit_code": p.organization.credit_code}
    assert response.json()["agent"] is not None and "*" in response.json()["agent"]


def test_upload_of_a_wrong_type_or_too_large_file_is_refused(case_world: CaseWorld, settings: Any) -> None:
    client = case_world.p.client("citizen")
    case = case_world.draft()
    text = upload(client, case.pk, b"#!/bin/sh\necho hi\n", name="x.pdf")
    assert (text.status_code, text.json()["code"]) == (422, "upload_type_not_allowed")
    assert text.json()["fields"] == {"file": ["文件类型不支持。"]}
    settings.CASES_MAX_UPLOAD_BYTES = 64
    large = upload(client, case.pk, PDF + b"0" * 64)
    assert (large.status_code, large.json()["code"]) == (422, "upload_too_large")
    unknown_material = upload(client, case.pk, PNG, name="a.png", material_id=999_999, content_type="image/png")
    assert (unknown_material.status_code, unknown_material.json()["code"]) == (422, "material_unknown")
    no_file = client.post(f"{BASE}/{case.pk}/files", data={"material_id": "1"})
    # ninja reports a missing file at ("file", "file"); config/api.py strips only the other locations.
    assert (no_file.status_code, no_file.json()["fields"]) == (422, {"file.file": ["此项为必填项。"]})
    assert CaseMaterial.objects.count() == 0


def test_file_can_be_removed_from_a_draft(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    case = case_world.draft()
    file_id = upload(client, case.pk, PDF, material_id=required_material(case_world)).json()["id"]
    assert client.delete(f"{BASE}/{case.pk}/files/{file_id}").status_code == 204
    again = client.delete(f"{BASE}/{case.pk}/files/{file_id}")
    assert (again.status_code, again.json()["code"]) == (404, "attachment_not_found")
    assert client.get(f"{BASE}/{case.pk}").json()["files"] == []
    submit = post(client, f"{BASE}/{case.pk}/submit")
    assert (submit.status_code, submit.json()["code"]) == (422, "materials_missing")


def test_patch_merges_the_form_and_refuses_after_submission(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    case = case_world.draft()
    response = client.patch(f"{BASE}/{case.pk}", data=json.dumps(
        {"form_data": {"description": "变更经营场所", "applicant_name": None}, "delivery_method": "mail",
         "delivery_address": "上海市静安区共和新路1000号"}), content_type="application/json")
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.form_values() == {"contact_phone": "13800138000", "description": "变更经营场所"}
    assert case.form_data == {"contact_phone": "138****8000", "description": "变更经营场所"}
    assert (case.delivery_method, case.delivery_address) == ("mail", "上海市静安区共和新路1000号")
    assert response.json()["delivery_address"] == "上海市静安区" + "*" * 9
    bad = client.patch(f"{BASE}/{case.pk}", data=json.dumps({"form_data": {"contact_phone": "1"}}),
                       content_type="application/json")
    assert (bad.status_code, bad.json()["fields"]) == (422, {"contact_phone": ["手机号码应为以1开头的11位数字"]})
    submitted = case_world.submitted()
    late = client.patch(f"{BASE}/{submitted.pk}", data=json.dumps({"delivery_method": "mail"}),
                        content_type="application/json")
    assert (late.status_code, late.json()["code"]) == (409, "case_not_editable")


def test_illegal_transitions_are_409_and_change_nothing(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()
    events = CaseEvent.objects.filter(case=case).count()
    again = post(p.client("citizen"), f"{BASE}/{case.pk}/submit")
    assert (again.status_code, again.json()["code"]) == (409, "case_illegal_transition")
    approve = post(p.client("reviewer"), f"{BASE}/{case.pk}/actions/approve", {})
    assert (approve.status_code, approve.json()["code"]) == (409, "case_illegal_transition")
    resubmit = post(p.client("citizen"), f"{BASE}/{case.pk}/resubmit")
    assert (resubmit.status_code, resubmit.json()["code"]) == (409, "case_illegal_transition")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == events


def test_correction_round_and_withdrawal(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()
    material = required_material(case_world)
    asked = post(p.client("clerk"), f"{BASE}/{case.pk}/actions/request_correction",
                 {"items": [{"material_id": material, "reason": "复印件不清晰"}]})
    assert asked.status_code == 200, asked.content
    assert asked.json()["status"] == "correction"
    citizen = p.client("citizen")
    fixed = upload(citizen, case.pk, PNG, name="新.png", material_id=material, content_type="image/png")
    assert fixed.status_code == 201
    assert post(citizen, f"{BASE}/{case.pk}/resubmit").json()["status"] == "submitted"
    withdrawn = post(citizen, f"{BASE}/{case.pk}/withdraw", {"reason": "不再需要"})
    assert withdrawn.json()["status"] == "withdrawn"
    assert [e["action"] for e in withdrawn.json()["timeline"]][-3:] == ["request_correction", "resubmit", "withdraw"]


def test_idempotent_apply_replays_and_refuses_another_body(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    headers = {"Idempotency-Key": "9d7f1c2e-double-click"}
    first = post(client, f"{BASE}/", apply_body(case_world), **headers)
    second = post(client, f"{BASE}/", apply_body(case_world), **headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Case.objects.count() == 1
    other = post(client, f"{BASE}/", apply_body(case_world, form_data={"description": "另一个"}), **headers)
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    # Keys are per user: another citizen's same key is a new case.
    theirs = post(case_world.p.client("another_citizen"), f"{BASE}/", apply_body(case_world), **headers)
    assert theirs.status_code == 201
    assert Case.objects.count() == 2
    too_long = post(client, f"{BASE}/", apply_body(case_world), **{"Idempotency-Key": "k" * 101})
    assert too_long.status_code == 422
    assert Case.objects.count() == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_applies_with_one_key_from_processes_make_one_case(case_world: CaseWorld) -> None:
    user = case_world.p.citizen
    body = apply_body(case_world)
    db_name = connection.settings_dict["NAME"]
    processes = 4
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool_starmap(pool, crash_server.apply_in_process,
                               [(db_name, user.pk, body, "same-key-from-4-processes")] * processes)
    statuses = sorted(status for status, _case_id in results)
    assert statuses == [200, 200, 200, 201]
    assert len({case_id for _status, case_id in results}) == 1
    assert Case.objects.count() == 1
    assert IdempotencyKey.objects.filter(user=user, operation="cases.apply").count() == 1
    assert CaseEvent.objects.filter(action="create").count() == 1


def test_public_query_is_throttled_after_ten_failures(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    anonymous = Client(REMOTE_ADDR="203.0.113.7")
    wrong = "0000" if case.phone_tail != "0000" else "1111"
    for _attempt in range(10):
        response = post(anonymous, f"{BASE}/query", {"code": case.query_code, "phone_tail": wrong})
        assert (response.status_code, response.json()["code"]) == (404, "query_not_found")
    blocked = post(anonymous, f"{BASE}/query", {"code": case.query_code, "phone_tail": case.phone_tail})
    assert (blocked.status_code, blocked.json()["code"]) == (429, "rate_limited")
    other_ip = post(Client(REMOTE_ADDR="203.0.113.8"), f"{BASE}/query",
                    {"code": case.query_code, "phone_tail": case.phone_tail})
    assert other_ip.status_code == 200
    bad_shape = post(Client(REMOTE_ADDR="203.0.113.8"), f"{BASE}/query", {"code": case.query_code, "phone_tail": "12"})
    assert (bad_shape.status_code, list(bad_shape.json()["fields"])) == (422, ["phone_tail"])


def test_failures_on_the_query_page_count_for_the_api_too(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    browser = Client(REMOTE_ADDR="198.51.100.9")
    wrong = "0000" if case.phone_tail != "0000" else "1111"
    for _attempt in range(10):
        assert browser.post(reverse("cases:query"), {"code": case.query_code, "tail": wrong}).status_code == 404
    blocked = post(browser, f"{BASE}/query", {"code": case.query_code, "phone_tail": case.phone_tail})
    assert (blocked.status_code, blocked.json()["code"]) == (429, "rate_limited")


def test_drafts_are_not_found_by_the_public_query(case_world: CaseWorld) -> None:
    case = case_world.draft()
    response = post(Client(), f"{BASE}/query", {"code": case.query_code, "phone_tail": case.phone_tail})
    assert (response.status_code, response.json()["code"]) == (404, "query_not_found")


def test_my_cases_are_paginated_with_a_constant_number_of_queries(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    case_world.draft()
    with CaptureQueriesContext(connection) as one:
        assert client.get(f"{BASE}/").json()["total"] == 1
    for _n in range(4):
        case_world.submitted()
    with CaptureQueriesContext(connection) as five:
        page = client.get(f"{BASE}/", {"page_size": 2, "page": 2}).json()
    assert (page["total"], page["page"], page["pages"], len(page["items"])) == (5, 2, 3, 2)
    assert len(five.captured_queries) == len(one.captured_queries)
    submitted = client.get(f"{BASE}/", {"status": "submitted"}).json()
    assert submitted["total"] == 4
    assert case_world.p.client("another_citizen").get(f"{BASE}/").json()["total"] == 0


def test_inbox_filters_and_query_count(case_world: CaseWorld) -> None:
    p = case_world.p
    clerk = p.client("clerk")
    first = case_world.submitted()
    services.case_accept(by=p.clerk, case_id=first.pk)
    with CaptureQueriesContext(connection) as one:
        assert clerk.get(f"{BASE}/inbox").json()["total"] == 1
    for _n in range(3):
        services.case_start_pre_review(by=p.clerk, case_id=case_world.submitted().pk)
    with CaptureQueriesContext(connection) as four:
        box = clerk.get(f"{BASE}/inbox").json()
    assert len(four.captured_queries) == len(one.captured_queries)
    assert (box["total"], box["counts"]) == (4, {"pre_review": 3, "accepted": 1})
    accepted = clerk.get(f"{BASE}/inbox", {"status": "accepted"}).json()
    assert [row["id"] for row in accepted["items"]] == [first.pk]
    assert clerk.get(f"{BASE}/inbox", {"q": first.number}).json()["total"] == 1
    assert clerk.get(f"{BASE}/inbox", {"mine": "true"}).json()["total"] == 4
    assert p.client("reviewer").get(f"{BASE}/inbox", {"mine": "true"}).json()["total"] == 0
    queue = clerk.get(f"{BASE}/review-queue").json()
    assert [row["status"] for row in queue["items"]] == ["pre_review"] * 3
    assert p.client("clerk_other_department").get(f"{BASE}/inbox").json()["total"] == 0


def test_token_scopes_decide_what_an_integration_may_do(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()
    _token, reader = make_api_token(name="部门系统", scopes=["cases:read"], owner=p.clerk)
    client = Client(headers={"Authorization": f"Bearer {reader}"})
    assert client.get(f"{BASE}/inbox").json()["total"] == 1
    assert client.get(f"{BASE}/{case.pk}").status_code == 200
    refused = post(client, f"{BASE}/{case.pk}/actions/accept", {})
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")
    _token, handler = make_api_token(name="审批系统", scopes=["cases:handle", "cases:read"], owner=p.clerk)
    accepted = post(Client(headers={"Authorization": f"Bearer {handler}"}), f"{BASE}/{case.pk}/actions/accept", {})
    assert accepted.json()["status"] == "accepted"
    _token, ownerless = make_api_token(name="无主系统", scopes=["cases:read"], system_name="bridge")
    nobody = Client(headers={"Authorization": f"Bearer {ownerless}"}).get(f"{BASE}/inbox")
    assert (nobody.status_code, nobody.json()["code"]) == (403, "token_without_user")
