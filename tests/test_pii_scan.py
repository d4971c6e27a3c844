"""The whole-database personal-data invariant (issue #9 point 3; 个人信息保护法 art. 51, GB/T
22239-2019 数据保密性): after the demo (small profile), an application submitted through the
browser, its public query and the clerk's audited look at its form in clear, no text or JSON
column of any table holds a resident ID number with a valid GB 11643 check character or a
mainland mobile number in clear. Only masked values (``310***********1234``,
``138****5678``) may be found.

Columns that hold ciphertext or keyed hashes are skipped by their field class (the core field
crypto: ``EncryptedTextField``, ``KeyedHashField``); session data is decoded before it is scanned
(it is an encoding, not a cipher). Anything else found in clear fails the test, unless it is listed
in ``KNOWN_EXCEPTIONS`` with the reason it could not be fixed yet (reported in the issue notes).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from stdnum.cn import ric

from onewindow.accounts.testing import make_resident_id
from onewindow.core.fields import EncryptedTextField, KeyedHashField
from onewindow.core.testing import orm_beside_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: Field classes whose stored values are ciphertext (``kid$base64``) or keyed hashes (``kid$hex``).
PROTECTED_FIELD_CLASSES: tuple[type[models.Field[Any, Any]], ...] = (EncryptedTextField, KeyedHashField)
#: (model label, field name) -> why clear personal data may still be found there. Keep it empty.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}
TEXT_FIELD_CLASSES = (models.CharField, models.TextField, models.JSONField)

# Not surrounded by other digits or hex characters: a hash or a token is not a phone number.
RESIDENT_ID = re.compile(r"(?<![0-9A-Fa-f])\d{17}[\dXx](?![0-9A-Fa-f])")
MOBILE = re.compile(r"(?<![0-9A-Fa-f])1[3-9]\d{9}(?![0-9A-Fa-f])")
DEMO_PASSWORD = "citizen-demo-2017"  # the published demo account


def clear_personal_data(text: str) -> list[str]:
    """The resident ID numbers (valid check character) and mobile numbers found in ``text``."""
    found = [m for m in RESIDENT_ID.findall(text) if ric.is_valid(m)]
    return found + MOBILE.findall(text)


def _scanned_columns() -> Iterator[tuple[type[models.Model], models.Field[Any, Any]]]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, TEXT_FIELD_CLASSES) and not isinstance(field, PROTECTED_FIELD_CLASSES):
                yield model, field


def _as_text(model: type[models.Model], value: Any) -> str:
    if model._meta.label == "sessions.Session":
        from django.contrib.sessions.backends.db import SessionStore

        return json.dumps(SessionStore().decode(value), ensure_ascii=False, default=str)
    if isinstance(value, str):
        try:  # JSON text (SQLite) is scanned as the values it holds, not as \\u escapes
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            return value
    return json.dumps(value, ensure_ascii=False, default=str)


def scan_database() -> dict[tuple[str, str], list[str]]:
    """(model label, field) -> clear personal values found, over every row of every table."""
    quote = connection.ops.quote_name
    findings: dict[tuple[str, str], list[str]] = {}
    for model, field in _scanned_columns():
        sql = f"SELECT {quote(field.column)} FROM {quote(model._meta.db_table)}"  # noqa: S608 - names from _meta
        with connection.cursor() as cursor:
            cursor.execute(sql)
            for (value,) in cursor.fetchall():
                if value in (None, ""):
                    continue
                hits = clear_personal_data(_as_text(model, value))
                if hits:
                    findings.setdefault((model._meta.label, field.name), []).extend(hits)
    return findings


def test_the_scanner_finds_clear_values_and_ignores_masked_ones_and_hashes() -> None:
    id_number = make_resident_id("310106")
    assert clear_personal_data(f"身份证 {id_number}，电话13812345678。") == [id_number, "13812345678"]
    assert clear_personal_data("310***********1234 138****5678 12345678901 213812345678") == []
    assert clear_personal_data("a13812345678f 9f13812345678 x13812345678y") == ["13812345678"]
    assert not [f for _m, f in _scanned_columns() if isinstance(f, PROTECTED_FIELD_CLASSES)]


def _submission_item() -> tuple[str, str, list[str]]:
    """An online item with an ID-number field of the demo clerk's department (so the clerk may
    unmask the case), its required materials, and the demo citizen's ID number."""
    from onewindow.accounts.models import StaffRole, User
    from onewindow.catalog.models import ServiceItem

    role = StaffRole.objects.filter(user__username="clerk", valid=True, department__isnull=False).first()
    assert role is not None
    item = (ServiceItem.objects.filter(status="active", department_id=role.department_id,
                                       current_version__channels__contains="online",
                                       current_version__form_schema__properties__has_key="id_number")
            .select_related("current_version").order_by("code").first())
    assert item is not None and item.current_version is not None
    materials = list(item.current_version.materials.filter(required=True).order_by("sort", "id")
                     .values_list("name", flat=True))
    person = User.objects.select_related("person").get(username="citizen").person
    assert person is not None
    return item.code, person.id_number, materials


def test_no_table_holds_clear_id_numbers_or_mobiles_after_the_demo_and_a_browser_submission(page: Any) -> None:
    orm_beside_browser(lambda: call_command("demo_data", "--size", "small", "--quiet", stdout=io.StringIO()))
    item_code, id_number, materials = orm_beside_browser(_submission_item)

    page.goto(f"/accounts/login/?next=/cases/apply/{item_code}/")
    page.get_by_label("用户名").fill("citizen")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("申请事项说明").fill("个人信息扫描测试")
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    assert page.url.endswith("/edit/"), page.content()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for name in materials:
        page.get_by_label(f"选择文件：{name}").set_input_files(
            files=[{"name": "材料.pdf", "mimeType": "application/pdf", "buffer": pdf}])
        with page.expect_navigation():
            page.locator(".material", has_text=name).get_by_role("button", name="上传").click()
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    assert page.locator("#case-status").inner_text() == "已提交"
    query_code = page.locator("#query-code").inner_text()

    def submitted_case() -> tuple[int, str, dict[str, Any]]:
        from onewindow.cases.models import Case

        case = Case.objects.get(query_code=query_code)
        return case.pk, case.phone_tail, case.form_values()

    case_id, phone_tail, _values = orm_beside_browser(submitted_case)
    # The public query (by POST), and the clerk's audited look at the form in clear.
    page.context.clear_cookies()
    page.goto("/cases/query/")
    page.get_by_label("查询码").fill(query_code)
    page.get_by_label("手机号后四位").fill(phone_tail)
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.locator("#result-status").inner_text() == "已提交"
    page.goto(f"/accounts/login/?next=/cases/staff/{case_id}/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("clerk-demo-2017")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert id_number not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="查看完整申请表").click()
    assert id_number in page.locator("#form-data-unmasked").inner_text()

    def submitted_form() -> dict[str, Any]:
        return submitted_case()[2]

    findings = orm_beside_browser(scan_database)
    unexpected = {k: sorted(set(v))[:3] for k, v in findings.items() if k not in KNOWN_EXCEPTIONS}
    assert unexpected == {}
    assert orm_beside_browser(submitted_form)["id_number"] == id_number  # stored, and readable by key
