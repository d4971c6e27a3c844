"""Applicant pages (issue #3 parts 2–4): apply, drafts, materials, downloads, my cases, withdrawal,
the correction round, the public query with its throttle, and the kiosk form with its receipt."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from onewindow.accounts.models import Person
from onewindow.accounts.testing import make_resident_id
from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseEvent, CaseMaterial
from onewindow.cases.testing import FORM, FORM_SCHEMA, PDF, PNG, CaseWorld
from onewindow.catalog import services as catalog_services
from onewindow.catalog.models import ServiceItem
from onewindow.core.actors import system_actor
from onewindow.core.masking import mask_name, mask_phone

pytestmark = pytest.mark.django_db


def _post_form(**extra: Any) -> dict[str, Any]:
    return {**FORM, "idempotency_key": "k-1", "channel": "online", "delivery_method": "window", **extra}


def _attach_id_card(w: CaseWorld, case: Case) -> CaseMaterial:
    material = case.item_version.materials.get(required=True)
    return services.case_attach(by=w.p.citizen, case_id=case.pk, name="身份证.pdf", content=PDF,
                                material_id=material.pk)


def _item_without_materials(w: CaseWorld) -> ServiceItem:
    return catalog_services.item_create(
        by=system_actor("test"),
        code="TESTCASE0000000000000000000009", basic_code="01TESTCASE09", name="无材料事项（测试）",
        department=w.p.department, region=w.p.district.code, level="district", category="approval",
        item_type="01", legal_basis="《中华人民共和国行政许可法》", handling_type="promised", statutory_limit=20,
        statutory_unit="working", promised_limit=10, promised_unit="working", fee_free=True, depth_level=4,
        depth_codes="1^2^3^4", on_site_visits=0, form_schema=dict(FORM_SCHEMA), materials=[],
        channels=["online"])


# ---- the apply page ---------------------------------------------------------------------------

def test_apply_page_renders_the_schema_form_prefilled_from_the_profile(case_world: CaseWorld) -> None:
    citizen = case_world.p.citizen
    response = case_world.p.client("citizen").get(f"/cases/apply/{case_world.item.code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="f-applicant_name">申请人名称 <span class="req" aria-hidden="true">*</span>' in html
    assert '<label for="f-description">申请事项说明</label>' in html
    # Prefilled masked (issue #9: no personal data echoed in pages) ...
    assert f'name="applicant_name" value="{mask_name(citizen.person.name)}"' in html
    assert f'name="contact_phone" value="{mask_phone(citizen.person.phone)}"' in html
    assert citizen.person.phone not in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)
    assert "还须到现场 1 次" in html and "到窗口递交申请材料并领取结果" in html  # depth Ⅲ: not fully online
    assert Case.objects.count() == 0
    # ... and posted back untouched, the profile's values are what is stored.
    response = case_world.p.client("citizen").post(f"/cases/apply/{case_world.item.code}/", _post_form(
        action="draft", applicant_name=mask_name(citizen.person.name), contact_phone=mask_phone(citizen.person.phone)))
    assert response.status_code == 302
    assert Case.objects.get().form_values() == {"applicant_name": citizen.person.name,
                                                "contact_phone": citizen.person.phone, "description": "新办"}


def test_anonymous_is_sent_to_login(case_world: CaseWorld) -> None:
    anonymous = Client()
    for url in ("/cases/mine/", f"/cases/apply/{case_world.item.code}/"):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"


def test_save_draft_creates_one_draft_and_opens_the_draft_page(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    response = client.post(f"/cases/apply/{case_world.item.code}/", _post_form(action="draft"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/edit/"
    assert (case.status, case.channel, case.form_values()) == (CaseStatus.DRAFT, "online", FORM)
    assert case.applicant_person_id == case_world.p.citizen.person_id
    # a double click on 保存草稿 (same key, same body) is still one draft
    again = client.post(f"/cases/apply/{case_world.item.code}/", _post_form(action="draft"))
    assert again["Location"] == f"/cases/{case.pk}/edit/"
    assert Case.objects.count() == 1
    page = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert "草稿已保存。请上传申请材料后提交。" in page
    assert 'value="张*"' in page and '张伟' not in page  # the draft's form shows personal values masked


def test_field_errors_are_shown_next_to_the_field_with_422(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    response = client.post(f"/cases/apply/{case_world.item.code}/",
                           _post_form(action="draft", contact_phone="12345"))
    assert response.status_code == 422
    html = response.content.decode()
    assert '<p class="field-error" id="f-contact_phone-err">手机号码应为以1开头的11位数字</p>' in html
    assert 'aria-invalid="true" aria-describedby="f-contact_phone-err"' in html
    assert 'role="alert" data-code="form_invalid"' in html
    assert 'name="contact_phone" value="12345"' in html  # what was typed is kept
    assert Case.objects.count() == 0


def test_submit_from_the_apply_page_needs_every_required_field_and_material(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    url = f"/cases/apply/{case_world.item.code}/"
    missing_name = client.post(url, _post_form(action="submit", applicant_name=""))
    assert missing_name.status_code == 422
    assert '<p class="field-error" id="f-applicant_name-err">此项为必填项。</p>' in missing_name.content.decode()
    no_material = client.post(url, _post_form(action="submit", idempotency_key="k-2"))
    assert no_material.status_code == 422
    assert "请上传全部必需材料：居民身份证" in no_material.content.decode()
    assert Case.objects.count() == 0


def test_english_field_errors(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    client.cookies["django_language"] = "en"
    response = client.post(f"/cases/apply/{case_world.item.code}/",
                           _post_form(action="draft", contact_phone="12345"))
    assert response.status_code == 422
    assert ('<p class="field-error" id="f-contact_phone-err">A mobile number has 11 digits starting with 1</p>'
            in response.content.decode())


def test_double_submit_with_the_same_key_gives_one_case(case_world: CaseWorld) -> None:
    item = _item_without_materials(case_world)
    client = case_world.p.client("citizen")
    first = client.post(f"/cases/apply/{item.code}/", _post_form(action="submit", idempotency_key="dbl"))
    second = client.post(f"/cases/apply/{item.code}/", _post_form(action="submit", idempotency_key="dbl"))
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/{case.pk}/"
    assert case.status == CaseStatus.SUBMITTED and case.number is not None
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"申请已提交，办件编号 {case.number}。" in page
    assert f'<td class="code" id="case-number">{case.number}</td>' in page
    assert "还须到现场" not in page  # fully online (Ⅳ)
    # the same key with another body is refused, and nothing changes
    reused = client.post(f"/cases/apply/{item.code}/",
                         _post_form(action="submit", idempotency_key="dbl", description="另一份"))
    assert reused.status_code == 422
    assert 'data-code="idempotency_key_reused"' in reused.content.decode()
    assert Case.objects.count() == 1


def test_agent_applies_for_the_organization(case_world: CaseWorld) -> None:
    p = case_world.p
    client = p.client("agent")
    page = client.get(f"/cases/apply/{case_world.item.code}/").content.decode()
    assert f"为本单位申请：{p.organization.name}" in page
    client.post(f"/cases/apply/{case_world.item.code}/", _post_form(action="draft", applicant="organization"))
    case = Case.objects.get()
    assert (case.applicant_organization_id, case.applicant_person_id) == (p.organization.pk, None)
    assert case.agent_id == p.agent.person_id


def test_wechat_channel_is_recorded(case_world: CaseWorld) -> None:
    client = case_world.p.client("citizen")
    page = client.get(f"/cases/apply/{case_world.item.code}/?channel=wechat").content.decode()
    assert '<input type="hidden" name="channel" value="wechat">' in page
    client.post(f"/cases/apply/{case_world.item.code}/", _post_form(action="draft", channel="wechat"))
    assert Case.objects.get().channel == "wechat"


def test_catalog_guide_links_to_the_apply_page(case_world: CaseWorld) -> None:
    html = Client().get(f"/catalog/items/{case_world.item.code}/").content.decode()
    assert f'href="/cases/apply/{case_world.item.code}/" id="apply-online">在线申请</a>' in html
    street = Client().get(f"/catalog/items/{case_world.street_item.code}/").content.decode()
    assert 'id="apply-online"' not in street  # window and kiosk only


# ---- draft page: materials, submit ----------------------------------------------------------

def test_upload_then_submit_from_the_draft_page(case_world: CaseWorld) -> None:
    case = case_world.draft()
    material = case.item_version.materials.get(required=True)
    client = case_world.p.client("citizen")
    response = client.post(f"/cases/{case.pk}/files/", {"material_id": material.pk,
                                                        "file": _file("身份证.pdf", PDF)})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/edit/"
    row = CaseMaterial.objects.get(case=case)
    assert (row.material_id, row.content_type, row.size) == (material.pk, "application/pdf", len(PDF))
    page = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert f'<a href="/cases/{case.pk}/files/{row.pk}/">身份证.pdf</a>' in page
    assert f"SHA-256 <span class=\"code\">{row.sha256[:12]}</span>" in page
    submitted = client.post(f"/cases/{case.pk}/submit/", {**FORM, "delivery_method": "window"})
    case.refresh_from_db()
    assert submitted["Location"] == f"/cases/{case.pk}/"
    assert case.status == CaseStatus.SUBMITTED and case.number is not None
    again = client.post(f"/cases/{case.pk}/submit/", {**FORM, "delivery_method": "window"})  # double click
    assert again.status_code == 302 and again["Location"] == f"/cases/{case.pk}/"
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1


def test_submit_without_the_material_keeps_the_draft_and_says_what_is_missing(case_world: CaseWorld) -> None:
    case = case_world.draft()
    response = case_world.p.client("citizen").post(f"/cases/{case.pk}/submit/",
                                                   {**FORM, "description": "改过", "delivery_method": "window"})
    assert response.status_code == 422
    assert "还缺少以下必需材料：居民身份证" in response.content.decode()
    case.refresh_from_db()
    assert (case.status, case.number, case.form_data["description"]) == (CaseStatus.DRAFT, None, "改过")


def _file(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_upload_of_a_wrong_type_is_refused_and_nothing_stored(case_world: CaseWorld) -> None:
    case = case_world.draft()
    response = case_world.p.client("citizen").post(f"/cases/{case.pk}/files/",
                                                   {"file": _file("x.pdf", b"<html>not a pdf</html>")})
    assert response.status_code == 422
    expected = ('<p class="error-summary" role="alert" data-code="upload_type_not_allowed">'
                '只接受 PDF、JPG 或 PNG 文件。</p>')
    assert expected in response.content.decode()
    assert CaseMaterial.objects.count() == 0


@override_settings(CASES_MAX_UPLOAD_BYTES=1024 * 1024)
def test_upload_too_large_is_refused_and_nothing_stored(case_world: CaseWorld) -> None:
    case = case_world.draft()
    response = case_world.p.client("citizen").post(f"/cases/{case.pk}/files/",
                                                   {"file": _file("big.pdf", PDF + b"0" * (1024 * 1024))})
    assert response.status_code == 422
    assert "文件过大，单个文件不能超过 1 MB。" in response.content.decode()
    assert CaseMaterial.objects.count() == 0


def test_remove_an_uploaded_file(case_world: CaseWorld) -> None:
    case = case_world.draft()
    row = _attach_id_card(case_world, case)
    client = case_world.p.client("citizen")
    assert client.post(f"/cases/{case.pk}/files/{row.pk}/remove/").status_code == 302
    row.refresh_from_db()
    assert row.removed_at is not None
    assert client.get(f"/cases/{case.pk}/files/{row.pk}/").status_code == 404


def test_download_is_an_attachment_with_safe_headers(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    row = CaseMaterial.objects.get(case=case)
    for name in ("citizen", "clerk"):  # the applicant, and staff in scope (the staff pages reuse it)
        response = case_world.p.client(name).get(f"/cases/{case.pk}/files/{row.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81.pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize("name", ["another_citizen", "clerk_other_department"])
def test_others_get_404_for_the_case_and_its_files(case_world: CaseWorld, name: str) -> None:
    case = case_world.submitted()
    row = CaseMaterial.objects.get(case=case)
    client = case_world.p.client(name)
    for url in (f"/cases/{case.pk}/", f"/cases/{case.pk}/edit/", f"/cases/{case.pk}/files/{row.pk}/",
                f"/cases/{case.pk}/withdraw/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{case.pk}/withdraw/").status_code == 404
    assert client.post(f"/cases/{case.pk}/files/", {"file": _file("a.png", PNG)}).status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseMaterial.objects.filter(case=case).count() == 1


# ---- my cases, the case page, withdrawal, correction ----------------------------------------

def test_my_cases_lists_number_item_status_and_dates(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    draft = case_world.draft()
    html = case_world.p.client("citizen").get("/cases/mine/").content.decode()
    assert f'<a href="/cases/{case.pk}/" class="code">{case.number}</a>' in html
    assert f'<a href="/cases/{draft.pk}/" class="code">草稿</a>' in html
    assert html.count("食品经营许可（测试）") == 2
    assert '<span class="status status-submitted">已提交</span>' in html
    assert case.due_date is not None and case.due_date.isoformat() in html
    assert 'aria-current="page">我的办件</a>' in html
    other = case_world.p.client("another_citizen").get("/cases/mine/").content.decode()
    assert "您还没有办件。" in other


def test_case_page_shows_status_query_code_timeline_and_clock(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    html = case_world.p.client("citizen").get(f"/cases/{case.pk}/").content.decode()
    assert '<span class="status status-accepted" id="case-status">已受理</span>' in html
    assert f'<td class="code" id="query-code">{case.query_code}</td>' in html
    assert "<strong>提交申请</strong> → 已提交" in html and "<strong>受理</strong> → 已受理" in html
    assert "<strong>创建申请</strong>" not in html  # not a public step
    assert "受理通知书" in html
    assert case.due_date is not None and f"{case.due_date:%Y-%m-%d}（正常）" in html
    assert 'id="withdraw"' in html


def test_withdraw_asks_for_confirmation_then_withdraws(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    client = case_world.p.client("citizen")
    confirm = client.get(f"/cases/{case.pk}/withdraw/")
    assert confirm.status_code == 200 and "撤回后办理终止，不能恢复" in confirm.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED  # a GET changes nothing
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "不办了"})
    assert response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert CaseEvent.objects.get(case=case, action="withdraw").note == "不办了"
    twice = client.post(f"/cases/{case.pk}/withdraw/")
    assert twice.status_code == 409 and 'data-code="case_illegal_transition"' in twice.content.decode()
    assert 'id="withdraw"' not in client.get(f"/cases/{case.pk}/").content.decode()


def test_correction_round_then_resubmit(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.CORRECTION)
    client = case_world.p.client("citizen")
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert "<li><strong>居民身份证</strong>：复印件不清晰</li>" in detail
    assert f'<a class="button" href="/cases/{case.pk}/edit/" id="start-correction">补正材料</a>' in detail
    page = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert f'formaction="/cases/{case.pk}/resubmit/" id="submit-case">补正后重新提交</button>' in page
    material = case.item_version.materials.get(required=True)
    client.post(f"/cases/{case.pk}/files/", {"material_id": material.pk, "file": _file("清晰.png", PNG)})
    response = client.post(f"/cases/{case.pk}/resubmit/", {**FORM, "delivery_method": "window"})
    assert response["Location"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case, action="resubmit").count() == 1
    assert CaseMaterial.objects.filter(case=case, removed_at__isnull=True).count() == 2


# ---- public query ----------------------------------------------------------------------------

def test_query_with_code_and_phone_tail(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    response = Client().post("/cases/query/", {"code": case.query_code.lower(), "tail": case.phone_tail})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="status status-accepted" id="result-status">已受理</span>' in html
    assert case.number is not None and case.number in html
    assert case_world.p.citizen.person.name not in html and case.contact_phone not in html


def test_wrong_code_or_tail_answer_alike(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    wrong_tail = "0000" if case.phone_tail != "0000" else "1111"
    bodies = []
    for code, tail in ((case.query_code, wrong_tail), ("ZZZZZZZZZZ", case.phone_tail), ("", "")):
        response = Client().post("/cases/query/", {"code": code, "tail": tail})
        assert response.status_code == 404
        bodies.append(re.search(r'<p class="error-summary"[^>]*>([^<]*)</p>', response.content.decode()))
    assert [b.group(1) for b in bodies if b] == ["查询码或手机尾号不正确。"] * 3


def test_query_throttle_after_ten_failures(case_world: CaseWorld) -> None:
    case = case_world.submitted()
    client = Client()
    for _ in range(10):
        assert client.post("/cases/query/", {"code": "ZZZZZZZZZZ", "tail": "0000"}).status_code == 404
    blocked = client.post("/cases/query/", {"code": case.query_code, "tail": case.phone_tail})
    assert blocked.status_code == 429
    assert "查询失败次数过多，请 10 分钟后再试。" in blocked.content.decode()
    other_address = Client(REMOTE_ADDR="10.0.0.9").post("/cases/query/", {"code": case.query_code,
                                                                           "tail": case.phone_tail})
    assert other_address.status_code == 200


# ---- kiosk -----------------------------------------------------------------------------------

def _kiosk_body(**extra: Any) -> dict[str, Any]:
    return {"name": "王秀英", "id_type": "resident_id", "id_number": make_resident_id("310106"),
            "phone": "13900001234", "idempotency_key": "kiosk-1", "applicant_name": "王秀英", **extra}


def test_kiosk_creates_a_draft_for_a_new_person_and_prints_a_receipt(case_world: CaseWorld,
                                                                      kiosk_client: Client) -> None:
    kiosk = kiosk_client  # a browser enrolled as the center's kiosk: no login (decision 0008)
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    page = kiosk.get(url).content.decode()
    assert f'data-home="{url}" data-idle-seconds="120"' in page and "cases/kiosk.js" in page
    body = _kiosk_body()
    response = kiosk.post(url, body)
    case = Case.objects.get()
    assert response["Location"] == f"/cases/kiosk/receipt/{case.query_code}/"
    assert (case.status, case.channel, case.receiving_department_id) == (CaseStatus.DRAFT, "kiosk",
                                                                         case_world.center.pk)
    assert case.applicant_person is not None and case.applicant_person.name == "王秀英"
    # Nobody has seen the ID card yet: the window verifies the person when the case continues there.
    assert (case.applicant_person.real_name_verified, case.applicant_person.real_name_verified_at) == (False, None)
    # The form's own ID-number field takes the number typed in the identity section.
    assert (case.contact_phone, case.form_values()) == ("13900001234", {"applicant_name": "王秀英",
                                                                        "id_number": body["id_number"]})
    receipt = kiosk.get(response["Location"])
    html = receipt.content.decode()
    assert receipt.status_code == 200
    assert f'<dd class="query-code code" id="receipt-code">{case.query_code}</dd>' in html
    assert "<svg" in html and "窗口继续办理二维码" in html
    assert "王**" in html and "王秀英" not in html.split('id="receipt-h"')[1]
    assert "receipt-print.css" in html
    # the receipt shows only in the kiosk session that made it; nowhere but on a kiosk
    other = Client()
    other.force_login(case_world.p.clerk)
    assert other.get(response["Location"]).status_code == 403
    kiosk.cookies.pop("sessionid", None)
    assert kiosk.get(response["Location"]).status_code == 404


def test_kiosk_existing_person_is_found_by_document(case_world: CaseWorld, kiosk_client: Client) -> None:
    """A registered document finds its person (no second registration); a mismatched name is no
    refusal — see test_kiosk_device (no identity oracle)."""
    person = case_world.p.citizen.person
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    persons = Person.objects.count()
    ok = kiosk_client.post(url, _kiosk_body(name=person.name, id_number=person.id_number, idempotency_key="kiosk-2"))
    assert ok.status_code == 302
    case = Case.objects.get()
    assert (case.applicant_person_id, case.owner_id) == (person.pk, case_world.p.citizen.pk)
    assert Person.objects.count() == persons


def test_kiosk_refuses_a_bad_id_number_and_browsers_that_are_no_kiosk(case_world: CaseWorld,
                                                                      kiosk_client: Client) -> None:
    kiosk = kiosk_client
    url = f"/cases/kiosk/apply/{case_world.item.code}/"
    persons = Person.objects.count()
    bad = kiosk.post(url, _kiosk_body(id_number="310106198501011234"))
    assert bad.status_code == 400 and 'id="k-id-err"' in bad.content.decode()  # accounts: id_number_invalid
    citizen = case_world.p.client("citizen").get(url)
    assert citizen.status_code == 403 and 'data-code="device_not_enrolled"' in citizen.content.decode()
    assert (Case.objects.count(), Person.objects.count()) == (0, persons)


def test_kiosk_form_refusal_rolls_back_the_new_person(case_world: CaseWorld, kiosk_client: Client) -> None:
    """The person registration and the draft are one transaction: a form refusal leaves neither."""
    kiosk = kiosk_client
    persons = Person.objects.count()
    response = kiosk.post(f"/cases/kiosk/apply/{case_world.item.code}/", _kiosk_body(applicant_name="a" * 101))
    assert response.status_code == 422
    assert '<p class="field-error" id="f-applicant_name-err">内容过长。</p>' in response.content.decode()
    assert (Case.objects.count(), Person.objects.count()) == (0, persons)


def test_apply_page_refuses_an_item_not_offered_online(case_world: CaseWorld) -> None:
    response = case_world.p.client("citizen").get(f"/cases/apply/{case_world.street_item.code}/")
    assert response.status_code == 422
    assert 'data-code="channel_not_allowed"' in response.content.decode()
    missing = case_world.p.client("citizen").get("/cases/apply/NOSUCHITEM/")
    assert missing.status_code == 404 and 'data-code="item_not_found"' in missing.content.decode()


def test_download_name_cannot_inject_headers(case_world: CaseWorld) -> None:
    case = case_world.draft()
    row = services.case_attach(by=case_world.p.citizen, case_id=case.pk, name='a"\r\nX-Evil: 1.pdf', content=PDF)
    response = case_world.p.client("citizen").get(f"/cases/{case.pk}/files/{row.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="a\\"X-Evil: 1.pdf"'
    assert "X-Evil" not in response.headers
