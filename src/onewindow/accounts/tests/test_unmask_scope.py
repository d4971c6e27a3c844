"""Issue #9 point 1: unmasking is scoped to the records the viewer's department or center handles.

Before the fix any window clerk read the whole person registry unmasked through
``GET /api/v1/accounts/persons/{id}?unmask=true``, with sequential ids and no rate limit.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from onewindow.accounts.models import Person
from onewindow.accounts.testing import Principals, make_api_token, make_resident_id
from onewindow.accounts.testing import fresh_reauth as fresh
from onewindow.cases.testing import CaseWorld
from onewindow.core.audit import PERSONAL_DATA_VIEW
from onewindow.core.models import AuditEntry

BASE = "/api/v1/accounts"
REFUSED = "personal_data.view_refused"
ISSUE = "issue #9: unmasking not scoped to the viewer's cases"


def staff(p: Principals, who: str) -> Client:
    return fresh(p.client(who), p.users[who])


def access_rows() -> int:
    from onewindow.accounts.models import PersonAccess

    return PersonAccess.objects.count()


def unmask(client: Client, person: Person) -> Any:
    return client.get(f"{BASE}/persons/{person.ref}?unmask=true")


def test_reproduction_clerk_without_relation_gets_403_and_a_masked_record(principals: Principals) -> None:
    person = principals.another_citizen.person  # no case, ticket, appointment or tax record anywhere
    client = staff(principals, "clerk")
    entries = AuditEntry.objects.count()
    response = unmask(client, person)
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")
    body = response.content.decode()
    assert person.id_number not in body and person.phone not in body and person.name not in body
    # Exactly one entry: the refusal itself (who tried, on whom, with which code); no access row.
    assert AuditEntry.objects.count() == entries + 1
    refusal = AuditEntry.objects.get(action=REFUSED)
    assert (refusal.actor_id, refusal.target_id, refusal.after) == (
        str(principals.clerk.pk), str(person.pk), {"code": "unmask_out_of_scope"})
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists() and access_rows() == 0
    read = client.get(f"{BASE}/persons/{person.ref}")
    assert read.status_code == 200
    assert read.json()["unmasked"] is False and read.json()["id_number"] == person.id_number_masked


def test_person_references_are_random_and_ids_do_not_resolve(principals: Principals) -> None:
    persons = list(Person.objects.order_by("pk"))
    refs = [p.ref for p in persons]
    assert all(re.fullmatch(r"[a-z2-7]{16}", ref) for ref in refs)
    assert len(set(refs)) == len(refs)
    client = staff(principals, "clerk")
    for person in persons[:3]:
        assert client.get(f"{BASE}/persons/{person.pk}").status_code == 404
        assert client.get(f"{BASE}/persons/{person.pk}?unmask=true").status_code == 404
    data = client.get(f"{BASE}/persons/{persons[0].ref}").json()
    assert "id" not in data and data["ref"] == persons[0].ref
    assert not AuditEntry.objects.filter(action__startswith="personal_data.").exists()


def test_case_party_unmasks_with_the_case_as_purpose(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()  # the citizen's online case, received by p.department
    person = p.citizen.person
    response = unmask(staff(p, "clerk"), person)
    assert response.status_code == 200
    data = response.json()
    assert (data["id_number"], data["phone"], data["name"], data["unmasked"]) == (
        person.id_number, person.phone, person.name, True)
    assert (data["purpose_kind"], data["purpose_reference"]) == ("case", case.number)
    entry = AuditEntry.objects.get(action=PERSONAL_DATA_VIEW)
    assert entry.after == {"fields": ["birth_date", "id_number", "name", "phone"],
                           "purpose": {"kind": "case", "reference": case.number,
                                       "department_id": p.department.pk, "record_id": case.pk}}
    other = unmask(staff(p, "clerk_other_department"), person)
    assert (other.status_code, other.json()["code"]) == (403, "unmask_out_of_scope")


@override_settings(ACCOUNTS_UNMASK_SCOPE_DAYS=90)
def test_case_concluded_longer_ago_than_the_period_is_out_of_scope(case_world: CaseWorld) -> None:
    from onewindow.cases.models import Case

    p = case_world.p
    case = case_world.in_status("not_accepted")  # concluded: closed_at set
    person = p.citizen.person
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=89))
    assert unmask(staff(p, "clerk"), person).status_code == 200
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - datetime.timedelta(days=91))
    response = unmask(staff(p, "clerk"), person)
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")
    assert access_rows() == 1


def test_online_draft_does_not_put_the_applicant_in_scope(case_world: CaseWorld) -> None:
    case_world.draft()  # the applicant's own until submitted
    response = unmask(staff(case_world.p, "clerk"), case_world.p.citizen.person)
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")


def test_registration_at_a_window_counts_for_the_department(principals: Principals) -> None:
    from onewindow.accounts import services

    person = services.person_register(by=principals.clerk, name="孙立新", id_number=make_resident_id("310106"),
                                      phone="13912345678")
    for who in ("clerk", "reviewer"):  # the registering clerk and a colleague of the department
        response = unmask(staff(principals, who), person)
        assert response.status_code == 200, who
        assert (response.json()["purpose_kind"], response.json()["purpose_reference"]) == ("registration", "")
    response = unmask(staff(principals, "clerk_other_department"), person)
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")
    with override_settings(ACCOUNTS_UNMASK_SCOPE_DAYS=90):
        Person.objects.filter(pk=person.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))
        assert unmask(staff(principals, "clerk"), person).status_code == 403


def test_ticket_and_appointment_holders_are_in_the_center_staffs_scope(center_world: Any) -> None:
    from onewindow.centers import services as center_services
    from onewindow.centers.models import Ticket

    p = center_world.cw.p
    person = p.another_citizen.person
    ticket = center_services.ticket_take(by=center_world.clerk, center_id=center_world.center.pk,
                                         category_id=center_world.a.pk, now=center_world.at())
    Ticket.objects.filter(pk=ticket.pk).update(person=person, date=timezone.localdate())
    client = Client()
    client.force_login(center_world.clerk)
    client = fresh(client, center_world.clerk)
    response = unmask(client, person)
    assert response.status_code == 200
    assert response.json()["purpose_kind"] == "ticket"
    assert response.json()["purpose_reference"].endswith(ticket.display)
    response = unmask(staff(p, "clerk_other_department"), person)
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")


def test_tokens_and_device_bound_browsers_never_unmask(case_world: CaseWorld) -> None:
    from django.test import RequestFactory

    from onewindow.accounts.unmask import is_machine_request

    p = case_world.p
    case_world.submitted()
    person = p.citizen.person
    _token, bearer = make_api_token(name="clerk's script", scopes=["accounts:read"], owner=p.clerk)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get(f"{BASE}/persons/{person.ref}?unmask=true")
    assert (response.status_code, response.json()["code"]) == (403, "unmask_machine_forbidden")
    assert person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists() and access_rows() == 0
    request = RequestFactory().get("/")
    assert is_machine_request(request) is False
    request.bound_device = object()  # set by the centers middleware on an enrolled kiosk/display browser
    assert is_machine_request(request) is True


def test_unmask_needs_a_recent_reauthentication(case_world: CaseWorld) -> None:
    case_world.submitted()
    person = case_world.p.citizen.person
    from onewindow.accounts.reauth import SESSION_KEY

    client = case_world.p.client("clerk")
    session = client.session
    session[SESSION_KEY] = {"user": str(case_world.p.clerk.pk),
                            "at": (timezone.now() - datetime.timedelta(minutes=11)).timestamp()}
    session.save()
    response = unmask(client, person)  # logged in 11 minutes ago, no re-entry since
    assert (response.status_code, response.json()["code"]) == (403, "reauth_required")
    assert not AuditEntry.objects.filter(action__startswith="personal_data.").exists() and access_rows() == 0


@override_settings(ACCOUNTS_UNMASK_SOFT_LIMIT=2, ACCOUNTS_UNMASK_HARD_LIMIT=4)
def test_soft_limit_alerts_once_and_hard_limit_refuses(case_world: CaseWorld, caplog: pytest.LogCaptureFixture,
                                                       django_capture_on_commit_callbacks: Any) -> None:
    from onewindow.accounts.unmask import RateAlert, register_unmask_alert

    p = case_world.p
    case_world.submitted()
    person = p.citizen.person
    alerts: list[RateAlert] = []
    register_unmask_alert("test", alerts.append)
    client = staff(p, "clerk")
    try:
        with caplog.at_level(logging.WARNING, logger="onewindow.security"):
            for n in range(1, 5):
                with django_capture_on_commit_callbacks(execute=True):
                    assert unmask(client, person).status_code == 200, n
                assert AuditEntry.objects.filter(action="personal_data.view_rate_alert").count() == (1 if n >= 3 else 0)
        assert [(a.user, a.count, a.limit) for a in alerts] == [(p.clerk, 3, 2)]
        warnings = [r for r in caplog.records if r.name == "onewindow.security"]
        assert len(warnings) == 1 and "soft limit" in warnings[0].getMessage()
        entries = AuditEntry.objects.count()
        refused = unmask(client, person)
        assert (refused.status_code, refused.json()["code"]) == (429, "unmask_rate_limited")
        assert person.id_number not in refused.content.decode()
        assert access_rows() == 4
        assert AuditEntry.objects.count() == entries + 1
        assert AuditEntry.objects.latest("id").after == {"code": "unmask_rate_limited"}
        # The count is per user: a colleague is not limited by the clerk's views.
        assert unmask(staff(p, "reviewer"), person).status_code == 200
    finally:
        from onewindow.accounts import unmask as module

        module._ALERT_HOOKS.pop("test", None)


@override_settings(ACCOUNTS_UNMASK_SOFT_LIMIT=50, ACCOUNTS_UNMASK_HARD_LIMIT=1)
def test_hard_limit_counts_the_last_hour_only(case_world: CaseWorld) -> None:
    from onewindow.accounts.models import PersonAccess

    p = case_world.p
    case_world.submitted()
    person = p.citizen.person
    client = staff(p, "clerk")
    assert unmask(client, person).status_code == 200
    assert unmask(client, person).status_code == 429
    PersonAccess.objects.filter(viewer=p.clerk).update(at=timezone.now() - datetime.timedelta(minutes=61))
    assert unmask(client, person).status_code == 200


def test_lookup_by_id_number_goes_by_post(principals: Principals) -> None:
    person = principals.another_citizen.person
    client = principals.client("clerk")
    found = client.post(f"{BASE}/persons/lookup", {"id_number": person.id_number.lower()},
                        content_type="application/json")
    assert found.status_code == 200
    assert [p["ref"] for p in found.json()["items"]] == [person.ref]
    assert person.id_number not in found.content.decode()
    # The old query parameter is gone: a GET lists (own persons only) and ignores it.
    listed = client.get(f"{BASE}/persons?id_number={person.id_number}").json()["items"]
    assert [p["ref"] for p in listed] == [principals.clerk.person.ref]
    assert client.get(f"{BASE}/persons/lookup").status_code == 405


def test_unmask_query_count_is_pinned(case_world: CaseWorld, django_assert_num_queries: Any) -> None:
    from onewindow.accounts import selectors

    p = case_world.p
    case_world.submitted()
    ref = p.citizen.person.ref
    clerk = type(p.clerk).objects.get(pk=p.clerk.pk)
    # roles, person, the case provider (first match), user lock, count, access row, audit entry,
    # and the savepoint pair of the transaction.
    with django_assert_num_queries(9):
        view = selectors.person_detail_for(clerk, ref, unmask=True)
    assert view.unmasked and view.purpose_kind == "case"


def test_appointment_holder_is_in_scope_with_date_and_category_not_the_booking_code(center_world: Any) -> None:
    from onewindow.centers import services as center_services
    from onewindow.centers.models import Appointment, AppointmentSlot

    p = center_world.cw.p
    day = timezone.localdate() + datetime.timedelta(days=3)
    slot = AppointmentSlot.objects.create(center=center_world.center, category=center_world.b, date=day,
                                          starts=datetime.time(9, 0), ends=datetime.time(10, 0), capacity=5)
    booking = center_services.appointment_book(by=p.citizen, slot_id=slot.pk)
    assert Appointment.objects.get(pk=booking.pk).person == p.citizen.person
    client = Client()
    client.force_login(center_world.clerk)
    response = unmask(fresh(client, center_world.clerk), p.citizen.person)
    assert response.status_code == 200
    data = response.json()
    assert (data["purpose_kind"], data["purpose_reference"]) == ("appointment", f"{day:%Y-%m-%d} 社保医保")
    assert booking.code not in response.content.decode()
    refused = unmask(staff(p, "clerk_other_department"), p.citizen.person)
    assert (refused.status_code, refused.json()["code"]) == (403, "unmask_out_of_scope")
