"""Browser test (Playwright + Debian Chromium) of apply-with-pre-fill (减材料, issue #13 part 5): a
citizen opens the application, sees which registers will fill it, saves the draft; the form comes
back filled with each field's source and as-of date and 户口簿 marked 无需上传（已共享）; the citizen
corrects one field, uploads only the ID card and submits; the exchange log holds the pre-fill."""

from __future__ import annotations

from typing import Any

import pytest

from onewindow.accounts.testing import PASSWORD
from onewindow.cases.models import Case, PrefilledField
from onewindow.cases.testing import PDF, CaseWorld
from onewindow.core.masking import mask_id_number
from onewindow.core.testing import orm_beside_browser
from onewindow.sharing.choices import Purpose
from onewindow.sharing.models import ExchangeLogEntry

from .prefill_world import AS_OF, build_prefill_world, local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

_orm = orm_beside_browser


def test_citizen_applies_with_prefilled_fields_and_a_shared_material(case_world: CaseWorld, page: Any) -> None:
    pw = _orm(lambda: build_prefill_world(case_world))
    person = case_world.p.citizen.person
    day = local(AS_OF)

    page.set_viewport_size({"width": 360, "height": 740})  # a phone
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    page.goto(f"/accounts/login/?next=/cases/apply/{pw.item.code}/")
    page.get_by_label("用户名").fill("p_citizen")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("#prefill-h").inner_text() == "共享数据预填"
    assert "户籍登记信息" in page.locator("#prefill").inner_text()
    assert not page.get_by_label("不使用共享数据预填，我自行填写并上传材料").is_checked()
    page.get_by_label("申请事项说明").fill("投靠子女迁入")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert page.url.endswith("/edit/")

    # the form came back filled, each field with its source and date, personal values masked
    assert page.get_by_label("身份证号码").input_value() == mask_id_number(person.id_number)
    assert page.get_by_label("户籍所在区").input_value() == "静安区"
    assert page.locator("#f-household_district-src").inner_text() == f"来源：户籍登记信息，截至 {day}"
    assert page.locator(".field.prefilled").count() == 4
    assert page.locator("#material-{}".format(_material(pw, "户口簿"))).get_by_text("无需上传（已共享）").is_visible()
    assert page.locator(f"#file-{_material(pw, '户口簿')}").count() == 0
    assert page.evaluate(fits)

    page.get_by_label("户籍所在区").fill("普陀区")  # a correction: kept beside the source
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert "（您已更正；来源值：静安区）" in page.locator("#f-household_district-src").inner_text()

    page.get_by_label("选择文件：居民身份证").set_input_files(
        files=[{"name": "身份证.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    with page.expect_navigation():
        page.locator(".material", has_text="居民身份证").get_by_role("button", name="上传").click()
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    assert page.locator("#case-status").inner_text() == "已提交"
    assert page.locator("#shared-files").inner_text() == "户口簿 无需上传（已共享）"
    assert page.evaluate(fits)

    case = _orm(lambda: Case.objects.get(item=pw.item))
    assert case.number
    field = _orm(lambda: PrefilledField.objects.get(case=case, field_name="household_district"))
    assert (field.source(), field.correction()) == ("静安区", "普陀区")
    entries = _orm(lambda: list(ExchangeLogEntry.objects.filter(case_number=f"DRAFT-{case.pk}")
                                .values_list("purpose", "resource_code")))
    assert entries == [(Purpose.PREFILL, pw.person_resource.code)] * 2


def _material(pw: Any, name: str) -> int:
    return int(_orm(lambda: pw.item.current_version.materials.get(name=name).pk))
