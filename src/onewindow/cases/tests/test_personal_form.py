"""Personal data in the application form (issue #9 point 3, 申请表个人信息): the fields a form's JSON
Schema marks personal (``format: cn-resident-id`` / ``cn-mobile``, ``x-personal``) are validated,
stored encrypted (``Case.form_personal``), masked in every output, unmasked only on the staff
detail view in scope (audited, after re-authentication); a data migration encrypts old rows; and
the public query (一码查询) goes by POST so the phone tail never enters a URL (point 8)."""

from __future__ import annotations

import datetime
import importlib
import json
import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone, translation

from onewindow.accounts.models import PersonAccess
from onewindow.accounts.reauth import SESSION_KEY
from onewindow.accounts.testing import fresh_reauth, make_resident_id
from onewindow.cases import services
from onewindow.cases.models import Case
from onewindow.cases.testing import FORM, PDF, CaseWorld
from onewindow.core.errors import DomainError
from onewindow.core.masking import mask_id_number, mask_name, mask_phone
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ID_NUMBER = make_resident_id("310106")
PERSONAL_FORM = {**FORM, "id_number": ID_NUMBER}
MASKED_FORM = {"applicant_name": mask_name(FORM["applicant_name"]), "id_number": mask_id_number(ID_NUMBER),
               "contact_phone": mask_phone(FORM["contact_phone"]), "description": FORM["description"]}


def _raw_row(case_id: int) -> str:
    """Every column of the stored row as the database holds it (no field decryption)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_case WHERE id = %s", [case_id])
        row = cursor.fetchone()
    return " ".join("" if v is None else str(v) for v in row)


def _submitted(w: CaseWorld, form: dict[str, Any]) -> Case:
    with transaction.atomic():
        case = services.case_create(by=w.p.citizen, item_code=w.item.code, channel="online", form_data=form)
    material = case.item_version.materials.get(required=True)
    services.case_attach(by=w.p.citizen, case_id=case.pk, name="身份证.pdf", content=PDF, material_id=material.pk)
    return services.case_submit(by=w.p.citizen, case_id=case.pk)


def _stale_reauth(client: Client, user: Any) -> None:
    """The password was entered longer ago than ACCOUNTS_REAUTH_SECONDS."""
    session = client.session
    session[SESSION_KEY] = {"user": str(user.pk), "at": timezone.now().timestamp() - 3600}
    session.save()


def test_a_submitted_case_row_holds_no_clear_id_number_phone_or_name(case_world: CaseWorld) -> None:
    case = _submitted(case_world, PERSONAL_FORM)
    raw = _raw_row(case.pk)
    for clear in (ID_NUMBER, FORM["contact_phone"], FORM["applicant_name"]):
        assert clear not in raw
    stored = Case.objects.get(pk=case.pk)
    assert stored.form_data == MASKED_FORM  # the shown copy: masked
    with connection.cursor() as cursor:
        cursor.execute("SELECT form_personal FROM cases_case WHERE id = %s", [case.pk])
        token = cursor.fetchone()[0]
    assert token.startswith("test2$")  # the current key's id, then the ciphertext
    assert stored.form_values() == PERSONAL_FORM  # decrypted only on request


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_nothing_is_stored(case_world: CaseWorld) -> None:
    last = ID_NUMBER[-1]
    wrong = ID_NUMBER[:-1] + ("0" if last != "0" else "1")
    cases, audit = Case.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused, transaction.atomic():
        services.case_create(by=case_world.p.citizen, item_code=case_world.item.code, channel="online",
                             form_data={**FORM, "id_number": wrong, "contact_phone": "12345"})
    assert (refused.value.code, refused.value.status) == ("form_invalid", 422)
    with translation.override("zh-hans"):  # the messages are lazy: rendered in the request's language
        messages = {k: [str(m) for m in v] for k, v in refused.value.fields.items()}
    assert messages == {
        "id_number": ["身份证号码校验位错误，请核对后重新输入"], "contact_phone": ["手机号码应为以1开头的11位数字"]}
    response = case_world.p.client("citizen").post(
        "/api/v1/cases/", data=json.dumps({"item_code": case_world.item.code, "channel": "online",
                                           "form_data": {**FORM, "id_number": wrong}}),
        content_type="application/json", headers={"Idempotency-Key": "bad-id-1"})
    assert (response.status_code, response.json()["code"]) == (422, "form_invalid")
    assert response.json()["fields"] == {"id_number": ["身份证号码校验位错误，请核对后重新输入"]}
    assert (Case.objects.count(), AuditEntry.objects.count()) == (cases, audit)


def test_personal_fields_are_masked_in_the_api_and_on_the_pages(case_world: CaseWorld) -> None:
    w = case_world
    with transaction.atomic():
        draft = services.case_create(by=w.p.citizen, item_code=w.item.code, channel="online",
                                     form_data=PERSONAL_FORM)
    citizen = w.p.client("citizen")
    api = citizen.get(f"/api/v1/cases/{draft.pk}")
    assert api.status_code == 200 and api.json()["form_data"] == MASKED_FORM
    page = citizen.get(f"/cases/{draft.pk}/edit/").content.decode()
    assert f'value="{mask_id_number(ID_NUMBER)}"' in page and f'value="{mask_phone(FORM["contact_phone"])}"' in page
    for clear in (ID_NUMBER, FORM["contact_phone"]):
        assert clear not in page and clear not in api.content.decode()
    # Saving the page unchanged keeps the stored values (the masked echo is not a new value) ...
    post = {**MASKED_FORM, "description": "改为变更", "delivery_method": "window"}
    assert citizen.post(f"/cases/{draft.pk}/edit/", post).status_code == 302
    assert Case.objects.get(pk=draft.pk).form_values() == {**PERSONAL_FORM, "description": "改为变更"}
    # ... and so does an API merge patch of another field.
    patched = citizen.patch(f"/api/v1/cases/{draft.pk}", data=json.dumps({"form_data": {"description": "再改"}}),
                            content_type="application/json")
    assert patched.status_code == 200 and patched.json()["form_data"]["id_number"] == mask_id_number(ID_NUMBER)
    assert Case.objects.get(pk=draft.pk).form_values() == {**PERSONAL_FORM, "description": "再改"}


def test_staff_unmask_the_form_in_scope_only_after_reauthentication_and_audited(case_world: CaseWorld) -> None:
    w = case_world
    case = _submitted(w, PERSONAL_FORM)
    url = f"/cases/staff/{case.pk}/form/unmask/"
    clerk = w.p.client("clerk")
    detail = clerk.get(f"/cases/staff/{case.pk}/").content.decode()
    assert mask_id_number(ID_NUMBER) in detail and ID_NUMBER not in detail
    views = AuditEntry.objects.filter(action="personal_data.view", target_type="cases.case")
    assert views.count() == 0

    _stale_reauth(clerk, w.p.clerk)
    stale = clerk.post(url)  # no recent password entry: to the re-authentication page, nothing shown
    assert stale.status_code == 302 and stale["Location"].startswith("/accounts/reauth/")
    other = w.p.client("clerk_other_department")
    fresh_reauth(other, w.p.users["clerk_other_department"])
    assert other.post(url).status_code == 404  # out of scope: the case is not found at all
    assert views.count() == 0

    admin = w.p.client("admin")  # sees every case, works on none: no unmasking (minimum necessary)
    fresh_reauth(admin, w.p.users["admin"])
    refused = admin.post(url)
    assert refused.status_code == 403 and 'data-code="unmask_forbidden"' in refused.content.decode()
    assert ID_NUMBER not in refused.content.decode() and views.count() == 0
    assert AuditEntry.objects.get(action="personal_data.view_refused").after == {"code": "unmask_forbidden"}

    fresh_reauth(clerk, w.p.clerk)
    shown = clerk.post(url)
    assert shown.status_code == 200
    page = shown.content.decode()
    assert ID_NUMBER in page and FORM["contact_phone"] in page
    entry = views.get()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (str(w.p.clerk.pk), "cases.case", str(case.pk))
    assert entry.after == {"fields": ["applicant_name", "contact_phone", "id_number"],
                           "purpose": {"kind": "case", "reference": case.number, "department_id": w.p.department.pk,
                                       "record_id": case.pk}}
    assert ID_NUMBER not in json.dumps(entry.after) and not re.search(r"1[3-9]\d{9}", json.dumps(entry.after))
    # It counts as an unmasked view of the applicant: in their "who viewed my data", within the limits.
    access = PersonAccess.objects.get(person=w.p.citizen.person)
    assert (access.viewer_id, access.purpose_kind, access.purpose_reference) == (w.p.clerk.pk, "case", case.number)
    assert AuditEntry.objects.filter(action="personal_data.view", target_type="accounts.person").count() == 1

    # Concluded longer ago than the scope period (ACCOUNTS_UNMASK_SCOPE_DAYS): no more unmasking.
    Case.objects.filter(pk=case.pk).update(status="delivered", closed_at=timezone.now() - datetime.timedelta(days=91))
    old = clerk.post(url)
    assert old.status_code == 403 and 'data-code="unmask_out_of_scope"' in old.content.decode()
    assert (views.count(), PersonAccess.objects.count()) == (1, 1)


def test_the_data_migration_encrypts_a_clear_row(case_world: CaseWorld) -> None:
    case = _submitted(case_world, PERSONAL_FORM)
    with connection.cursor() as cursor:  # the row as the code before the fix stored it
        cursor.execute("UPDATE cases_case SET form_data = %s, form_personal = '' WHERE id = %s",
                       [json.dumps(PERSONAL_FORM, ensure_ascii=False), case.pk])
    assert ID_NUMBER in _raw_row(case.pk)
    migration = importlib.import_module("onewindow.cases.migrations.0002_case_form_personal")
    from django.apps import apps

    migration.encrypt_personal_fields(apps, None)
    raw = _raw_row(case.pk)
    for clear in (ID_NUMBER, FORM["contact_phone"], FORM["applicant_name"]):
        assert clear not in raw
    stored = Case.objects.get(pk=case.pk)
    assert stored.form_data == MASKED_FORM and stored.form_values() == PERSONAL_FORM
    migration.encrypt_personal_fields(apps, None)  # a second run changes nothing
    assert Case.objects.get(pk=case.pk).form_values() == PERSONAL_FORM


def test_the_public_query_goes_by_post_and_a_get_carries_no_phone_tail(case_world: CaseWorld) -> None:
    case = _submitted(case_world, PERSONAL_FORM)
    anonymous = Client()
    page = anonymous.get("/cases/query/", {"code": case.query_code, "tail": case.phone_tail})
    assert page.status_code == 200 and "result-status" not in page.content.decode()
    assert f'value="{case.phone_tail}"' not in page.content.decode()
    assert anonymous.get("/api/v1/cases/query", {"code": case.query_code,
                                                 "phone_tail": case.phone_tail}).status_code == 405
    found = anonymous.post("/api/v1/cases/query", data=json.dumps({"code": case.query_code,
                                                                   "phone_tail": case.phone_tail}),
                           content_type="application/json")
    assert (found.status_code, found.json()["number"]) == (200, case.number)
    assert anonymous.post("/cases/query/", {"code": case.query_code, "tail": case.phone_tail}).status_code == 200


def test_key_rotation_re_encrypts_the_personal_form(case_world: CaseWorld, settings: Any) -> None:
    from onewindow.core import crypto
    from onewindow.core.keys import rotate_field_keys

    case = _submitted(case_world, PERSONAL_FORM)
    settings.ONEWINDOW_FIELD_KEYS = f"{crypto.new_key_spec('test3')},{settings.ONEWINDOW_FIELD_KEYS}"
    [count] = rotate_field_keys(models_to_rotate=[Case])
    assert (count.model, count.rotated) == ("cases.Case", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT form_personal FROM cases_case WHERE id = %s", [case.pk])
        assert cursor.fetchone()[0].startswith("test3$")
    assert Case.objects.get(pk=case.pk).form_values() == PERSONAL_FORM


def test_the_window_clerk_checks_a_kiosk_draft_without_seeing_it_in_clear(case_world: CaseWorld) -> None:
    w = case_world
    with transaction.atomic():
        draft = services.case_create(by=w.p.citizen, item_code=w.item.code, channel="kiosk",
                                     form_data=PERSONAL_FORM, receiving_department=w.p.department)
    clerk = w.p.client("clerk")
    page = clerk.get(f"/cases/staff/{draft.pk}/").content.decode()
    assert 'id="edit-form"' in page and f'name="f_id_number" value="{mask_id_number(ID_NUMBER)}"' in page
    assert ID_NUMBER not in page and FORM["contact_phone"] not in page
    # The masked values posted back unchanged keep the stored ones; a retyped phone replaces its value.
    posted = {f"f_{k}": v for k, v in {**MASKED_FORM, "contact_phone": "13912345678"}.items()}
    assert clerk.post(f"/cases/staff/{draft.pk}/update/", posted).status_code == 302
    assert Case.objects.get(pk=draft.pk).form_values() == {**PERSONAL_FORM, "contact_phone": "13912345678"}
    # A masked value that matches nothing stored is no ID number: refused on its field, nothing changed.
    other = {**posted, "f_id_number": "110***********0000"}
    refused = clerk.post(f"/cases/staff/{draft.pk}/update/", other)
    assert refused.status_code == 422 and "身份证号码应为18位" in refused.content.decode()
    assert Case.objects.get(pk=draft.pk).form_values() == {**PERSONAL_FORM, "contact_phone": "13912345678"}


def test_the_kiosk_asks_for_the_id_number_once(case_world: CaseWorld, kiosk_client: Client) -> None:
    page = kiosk_client.get(f"/cases/kiosk/apply/{case_world.item.code}/").content.decode()
    assert page.count('name="id_number"') == 1 and 'id="k-id-number"' in page


def test_form_unmasking_counts_against_the_hourly_limit(case_world: CaseWorld, settings: Any) -> None:
    settings.ACCOUNTS_UNMASK_HARD_LIMIT = 1
    case = _submitted(case_world, PERSONAL_FORM)
    clerk = case_world.p.client("clerk")
    fresh_reauth(clerk, case_world.p.clerk)
    url = f"/cases/staff/{case.pk}/form/unmask/"
    assert clerk.post(url).status_code == 200
    limited = clerk.post(url)
    assert limited.status_code == 429 and ID_NUMBER not in limited.content.decode()
    assert PersonAccess.objects.count() == 1
    assert AuditEntry.objects.filter(action="personal_data.view", target_type="cases.case").count() == 1
