"""Messages go out in the recipient's language (issue #10 part 6): the preferred language stored on
the user and the person (set by the language switch, default zh-Hans) picks the template, unless
the caller forces one; a bare phone number without a person gets zh-Hans."""

from __future__ import annotations

import pytest
from django.db import transaction

from onewindow.accounts.models import Person, User
from onewindow.accounts.testing import OrganizationFactory, PersonFactory
from onewindow.cases import services as case_services
from onewindow.cases.models import Case
from onewindow.cases.testing import FORM, CaseWorld
from onewindow.notifications.defaults import DEFAULTS_V1
from onewindow.notifications.models import Message
from onewindow.notifications.rendering import render_text, truncate_sms
from onewindow.notifications.services import message_enqueue

pytestmark = pytest.mark.django_db


def _prefer(language: str, *, user: User | None = None, person: Person | None = None) -> None:
    if user is not None:
        User.objects.filter(pk=user.pk).update(preferred_language=language)
        user.refresh_from_db()
    if person is not None:
        Person.objects.filter(pk=person.pk).update(preferred_language=language)
        person.refresh_from_db()


def _sms(case: Case, event: str) -> Message:
    return Message.objects.get(subject_type="case", subject_id=str(case.pk), event=event, channel="sms")


def _expected_sms(event: str, language: str, case: Case) -> str:
    context = {"number": case.number or "", "item": case.title, "query_code": case.query_code}
    return truncate_sms(render_text(DEFAULTS_V1[event][language][0], context))


def test_an_english_preferring_citizen_gets_the_case_sms_and_inapp_message_in_english(case_world: CaseWorld) -> None:
    citizen = case_world.p.citizen
    _prefer("en", user=citizen, person=citizen.person)
    case = case_world.submitted()
    sms = _sms(case, "case_submitted")
    assert (sms.language, sms.text) == ("en", _expected_sms("case_submitted", "en", case))
    assert sms.text.startswith("Your application for ")
    inapp = Message.objects.get(subject_id=str(case.pk), event="case_submitted", channel="inapp")
    assert (inapp.user, inapp.language, inapp.title) == (citizen, "en", "Application submitted")


def test_a_person_without_a_login_who_prefers_english_gets_english_from_the_window(case_world: CaseWorld) -> None:
    person = PersonFactory.create()
    _prefer("en", person=person)
    clerk = case_world.p.clerk
    with transaction.atomic():
        case = case_services.case_create(by=clerk, item_code=case_world.item.code, channel="window",
                                         form_data=dict(FORM), applicant_person=person,
                                         receiving_department=case_world.p.department)
    case = case_services.case_submit(by=clerk, case_id=case.pk)
    assert case.owner is None
    sms = _sms(case, "case_submitted")
    assert (sms.language, sms.text) == ("en", _expected_sms("case_submitted", "en", case))


def test_a_walk_in_without_a_person_gets_zh_hans_whatever_the_clerk_prefers(case_world: CaseWorld) -> None:
    clerk = case_world.p.clerk
    _prefer("en", user=clerk, person=clerk.person)  # the clerk's own language never leaks to the applicant
    organization = OrganizationFactory.create()
    with transaction.atomic():
        case = case_services.case_create(by=clerk, item_code=case_world.item.code, channel="window",
                                         form_data=dict(FORM), applicant_organization=organization,
                                         contact_phone="13912345678",
                                         receiving_department=case_world.p.department)
    case = case_services.case_submit(by=clerk, case_id=case.pk)
    assert (case.applicant_person, case.owner) == (None, None)
    sms = _sms(case, "case_submitted")
    assert (sms.language, sms.text) == ("zh-hans", _expected_sms("case_submitted", "zh-hans", case))
    assert Message.objects.filter(subject_id=str(case.pk)).count() == 1  # the SMS only: nobody logged in


def test_the_recipient_decides_unless_the_caller_forces_a_language() -> None:
    person = PersonFactory.create()
    _prefer("en", person=person)
    context = {"number": "310106-2026-0000001", "item": "食品经营许可", "query_code": "Q7K2M9"}
    with transaction.atomic():
        bare = message_enqueue(event="case_submitted", context=context, phone="13812345678")
        of_person = message_enqueue(event="case_submitted", context=context, phone=person.phone, person=person)
        forced = message_enqueue(event="case_submitted", context=context, phone=person.phone, person=person,
                                 language="zh-hans")
    assert [m.language for m in (*bare, *of_person, *forced)] == ["zh-hans", "en", "zh-hans"]
    assert of_person[0].text == truncate_sms(render_text(DEFAULTS_V1["case_submitted"]["en"][0], context))
