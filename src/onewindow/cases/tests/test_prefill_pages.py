"""The pages of pre-fill (减材料, issue #13 part 5): the application page names the registers and lets
the applicant decline before anything is fetched; the draft shows each field's source and as-of
date, the materials that need no upload, why a register gave nothing; decline and consent buttons;
staff see sources and corrections; nobody else sees any of it."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.cases import services
from onewindow.cases.choices import PrefillOutcome
from onewindow.cases.models import Case, CaseMaterial, CasePrefill, PrefilledField
from onewindow.cases.testing import PDF, CaseWorld
from onewindow.core.masking import mask_id_number, mask_name
from onewindow.sharing.choices import Purpose
from onewindow.sharing.models import ExchangeLogEntry
from onewindow.sharing.testing import make_grant

from .prefill_world import AS_OF, PrefillWorld, build_prefill_world, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def pw(case_world: CaseWorld) -> PrefillWorld:
    return build_prefill_world(case_world)


def _save_draft(pw: PrefillWorld, **extra: Any) -> Any:
    return pw.w.p.client("citizen").post(f"/cases/apply/{pw.item.code}/", {
        "idempotency_key": "k-prefill", "channel": "online", "delivery_method": "window", "action": "draft",
        "description": "迁入", **extra})


def test_apply_page_names_the_registers_and_offers_to_decline(pw: PrefillWorld) -> None:
    html = pw.w.p.client("citizen").get(f"/cases/apply/{pw.item.code}/").content.decode()
    assert '<h2 id="prefill-h">共享数据预填</h2>' in html
    assert "自动填写申请表：户籍登记信息、企业登记信息。" in html
    assert "可免交（已共享）：户口簿。" in html
    assert ('<input type="checkbox" name="prefill" value="decline" id="prefill-decline" '
            'aria-describedby="prefill-basis">') in html
    assert "第四十四条至第四十六条" in html
    assert ExchangeLogEntry.objects.count() == 0  # showing the page asks nobody


def test_saving_the_draft_fills_it_and_the_page_shows_the_sources(pw: PrefillWorld) -> None:
    person = pw.w.p.citizen.person
    response = _save_draft(pw)
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/edit/"
    assert ExchangeLogEntry.objects.filter(case_number=f"DRAFT-{case.pk}").count() == 2
    html = pw.w.p.client("citizen").get(f"/cases/{case.pk}/edit/").content.decode()
    day = local(AS_OF)
    assert html.count(f"来源：户籍登记信息，截至 {day}") == 4
    assert (f'<p class="hint prefill-source" id="f-id_number-src">来源：户籍登记信息，截至 {day}</p>') in html
    assert f'name="id_number" value="{mask_id_number(person.id_number)}"' in html
    assert f'name="applicant_name" value="{mask_name(person.name)}"' in html
    assert 'aria-describedby="f-id_number-src"' in html
    assert person.id_number not in html and "共和新路1号" not in html  # personal values masked
    assert 'name="household_district" value="静安区"' in html
    assert f'<li data-outcome="filled">户籍登记信息：已预填，数据截至 {day}</li>' in html
    assert ('<li data-outcome="no_key">企业登记信息：未能预填（该数据按统一社会信用代码查询，仅适用于以单位名义申请）'
            "，请自行填写或上传材料。</li>") in html
    # 户口簿 needs no upload: no file input for it, the ID card still has one
    assert f'data-shared="{pw.person_resource.code}"><strong>无需上传（已共享）</strong>' in html
    card, book = (pw.item.current_version.materials.get(name=n).pk for n in ("居民身份证", "户口簿"))
    assert f'id="file-{card}"' in html and f'id="file-{book}"' not in html
    assert 'id="prefill-decline"' in html


def test_declining_on_the_apply_page_fetches_nothing(pw: PrefillWorld) -> None:
    _save_draft(pw, prefill="decline")
    case = Case.objects.get()
    assert CasePrefill.objects.get(case=case).declined
    html = pw.w.p.client("citizen").get(f"/cases/{case.pk}/edit/").content.decode()  # opening it fetches nothing
    assert ExchangeLogEntry.objects.count() == 0
    assert 'id="prefill-declined"' in html and 'id="prefill-consent"' in html
    assert "来源：" not in html and "无需上传（已共享）" not in html


def test_decline_and_consent_buttons(pw: PrefillWorld) -> None:
    client = pw.w.p.client("citizen")
    _save_draft(pw)
    case = Case.objects.get()
    response = client.post(f"/cases/{case.pk}/prefill/decline/")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/edit/"
    case.refresh_from_db()
    assert "id_number" not in case.form_values()
    assert not CaseMaterial.objects.filter(case=case, removed_at__isnull=True).exists()
    html = client.get(response["Location"]).content.decode()
    assert "已拒绝预填：从共享数据获取的内容已清除，请自行填写并上传材料。" in html
    assert 'name="id_number" value=""' in html
    logged = ExchangeLogEntry.objects.count()
    client.post(f"/cases/{case.pk}/prefill/consent/")
    assert ExchangeLogEntry.objects.count() == logged + 2
    case.refresh_from_db()
    assert case.form_values()["id_number"] == pw.w.p.citizen.person.id_number


def test_a_correction_on_the_page_shows_the_source_value(pw: PrefillWorld) -> None:
    client = pw.w.p.client("citizen")
    _save_draft(pw)
    case = Case.objects.get()
    page = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert 'name="household_district" value="静安区"' in page
    posted = {"applicant_name": mask_name(pw.w.p.citizen.person.name),
              "id_number": mask_id_number(pw.w.p.citizen.person.id_number), "household_district": "普陀区",
              "home_address": "上海市静安区******", "description": "迁入", "delivery_method": "window"}
    assert client.post(f"/cases/{case.pk}/edit/", posted).status_code == 302
    field = PrefilledField.objects.get(case=case, field_name="household_district")
    assert (field.source(), field.correction()) == ("静安区", "普陀区")
    for name in ("applicant_name", "id_number", "home_address"):  # masked values posted back unchanged
        assert not PrefilledField.objects.get(case=case, field_name=name).corrected
    html = client.get(f"/cases/{case.pk}/edit/").content.decode()
    assert '<span class="corrected">（您已更正；来源值：静安区）</span>' in html


def test_a_missing_grant_is_explained_and_the_draft_still_works(case_world: CaseWorld) -> None:
    pw = build_prefill_world(case_world, grants=False)
    make_grant(pw.entity_resource, case_world.p.department, purpose=Purpose.PREFILL)
    response = _save_draft(pw)
    assert response.status_code == 302
    case = Case.objects.get()
    html = case_world.p.client("citizen").get(f"/cases/{case.pk}/edit/").content.decode()
    assert ('<li data-outcome="no_grant">户籍登记信息：未能预填（承办部门尚未获得该数据的共享授权），'
            "请自行填写或上传材料。</li>") in html
    book = pw.item.current_version.materials.get(name="户口簿").pk
    assert f'id="file-{book}"' in html  # 户口簿 must be uploaded
    assert not PrefilledField.objects.exists()
    assert case.prefill_sources.get(resource_code=pw.person_resource.code).outcome == PrefillOutcome.NO_GRANT


def test_nobody_else_sees_the_prefilled_values(pw: PrefillWorld) -> None:
    p = pw.w.p
    _save_draft(pw)
    case = Case.objects.get()
    for who in ("another_citizen", "agent", "clerk", "clerk_other_department"):
        response = p.client(who).get(f"/cases/{case.pk}/edit/")
        assert response.status_code == 404, who
        assert "户籍登记信息" not in response.content.decode()
        assert p.client(who).post(f"/cases/{case.pk}/prefill/decline/").status_code == 404
        assert p.client(who).post(f"/cases/{case.pk}/prefill/consent/").status_code == 404
    assert p.client("anonymous").post(f"/cases/{case.pk}/prefill/decline/").status_code == 302  # to the login
    assert not CasePrefill.objects.get(case=case).declined


def test_staff_see_sources_and_corrections_and_the_shared_material(pw: PrefillWorld) -> None:
    p = pw.w.p
    _save_draft(pw, contact_phone="13800138000")
    case = Case.objects.get()
    services.case_update(by=p.citizen, case_id=case.pk, form_patch={"household_district": "普陀区",
                                                                     "contact_phone": "13800138000"})
    material = case.item_version.materials.get(name="居民身份证")
    services.case_attach(by=p.citizen, case_id=case.pk, name="身份证.pdf", content=PDF, material_id=material.pk)
    services.case_submit(by=p.citizen, case_id=case.pk)
    html = p.client("clerk").get(f"/cases/staff/{case.pk}/").content.decode()
    assert '<h2 id="prefill-h">共享数据预填</h2>' in html
    masked = mask_id_number(p.citizen.person.id_number)
    assert f'<tr data-field="id_number"><th scope="row">身份证号码</th>\n<td>{masked}</td>' in html
    assert '<tr data-field="household_district"><th scope="row">户籍所在区</th>\n<td>静安区</td>' in html
    assert "<td>普陀区</td>" in html  # the correction beside the source
    assert p.citizen.person.id_number not in html
    shared = CaseMaterial.objects.get(case=case, shared_resource=pw.person_resource.code)
    assert (f"户口簿 <small>无需上传（已共享）：数据资源 {pw.person_resource.code} · "
            f"交换编号 <code>{shared.exchange_id}</code>") in html
    assert f'/cases/{case.pk}/files/{shared.pk}/' not in html
    # the file of a shared row does not exist: its download is a 404, not an error
    assert p.client("citizen").get(f"/cases/{case.pk}/files/{shared.pk}/").status_code == 404
    detail = p.client("citizen").get(f"/cases/{case.pk}/").content.decode()
    assert ('<ul class="files" id="shared-files"><li>户口簿 <span class="meta">无需上传（已共享）</span></li></ul>'
            in detail)
    body = p.client("citizen").get(f"/api/v1/cases/{case.pk}").json()
    assert [(f["material_name"], f["shared_resource"], f["exchange_id"]) for f in body["files"]] == [
        ("户口簿", pw.person_resource.code, str(shared.exchange_id)), ("居民身份证", "", None)]
