"""Personal data stays masked in every accounts API response, unless staff in scope unmask a
detail view — and every unmasked view is audited with its purpose (ARCHITECTURE rule 6, issue #9)."""

from __future__ import annotations

import pytest

from onewindow.accounts.models import Person
from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals
from onewindow.cases.testing import CaseWorld
from onewindow.core.audit import PERSONAL_DATA_VIEW
from onewindow.core.models import AuditEntry

BASE = "/api/v1/accounts"


def clear_values() -> list[str]:
    values = []
    for person in Person.objects.all():
        values += [person.id_number, person.phone]
        if len(person.name) > 1:
            values.append(person.name)
    return values


@pytest.mark.parametrize("who", PRINCIPAL_NAMES)
def test_no_clear_personal_data_in_any_masked_response(principals: Principals, who: str) -> None:
    client = principals.client(who)
    citizen = principals.citizen.person
    urls = [f"{BASE}/me", f"{BASE}/persons", f"{BASE}/persons/{citizen.ref}",
            f"{BASE}/persons/{principals.agent.person.ref}", f"{BASE}/mandates",
            f"{BASE}/organizations/{principals.organization.credit_code}", f"{BASE}/tokens", f"{BASE}/me/access-log"]
    secrets = clear_values()
    bodies = [client.get(url).content.decode() for url in urls]
    bodies.append(client.post(f"{BASE}/persons/lookup", {"id_number": citizen.id_number},
                              content_type="application/json").content.decode())
    for url, body in zip([*urls, "lookup"], bodies, strict=True):
        for secret in secrets:
            assert secret not in body, (url, secret)
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()


def test_masked_forms_are_the_agreed_ones(principals: Principals) -> None:
    person = principals.citizen.person
    data = principals.client("citizen").get(f"{BASE}/persons/{person.ref}").json()
    assert data["id_number"] == person.id_number[:3] + "*" * 11 + person.id_number[-4:]
    assert data["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert data["name"] == person.name[0] + "*" * (len(person.name) - 1)
    assert (data["unmasked"], data["birth_date"]) == (False, None)


@pytest.mark.parametrize("who", ["clerk", "reviewer", "manager"])
def test_unmasked_detail_for_staff_in_scope_is_audited(case_world: CaseWorld, who: str) -> None:
    principals = case_world.p
    case = case_world.submitted()  # received by the department of clerk, reviewer and manager
    person = principals.citizen.person
    response = principals.client(who).get(f"{BASE}/persons/{person.ref}?unmask=true")
    assert response.status_code == 200
    data = response.json()
    assert (data["id_number"], data["phone"], data["name"], data["unmasked"]) == (
        person.id_number, person.phone, person.name, True)
    entry = AuditEntry.objects.get(action=PERSONAL_DATA_VIEW)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        str(principals.users[who].pk), "accounts.person", str(person.pk))
    assert entry.after == {"fields": ["birth_date", "id_number", "name", "phone"],
                           "purpose": {"kind": "case", "reference": case.number,
                                       "department_id": principals.department.pk, "record_id": case.pk}}
    assert person.id_number not in entry.target_label


@pytest.mark.parametrize("who", ["clerk_other_department", "admin"])
def test_staff_out_of_scope_get_403_and_one_refusal_entry(case_world: CaseWorld, who: str) -> None:
    principals = case_world.p
    case_world.submitted()
    person = principals.citizen.person
    response = principals.client(who).get(f"{BASE}/persons/{person.ref}?unmask=true")
    assert (response.status_code, response.json()["code"]) == (403, "unmask_out_of_scope")
    assert person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()
    assert AuditEntry.objects.filter(action="personal_data.view_refused").count() == 1


def test_refused_unmask_by_a_citizen_shows_nothing(principals: Principals) -> None:
    person = principals.citizen.person
    response = principals.client("citizen").get(f"{BASE}/persons/{person.ref}?unmask=true")
    assert (response.status_code, response.json()["code"]) == (403, "unmask_forbidden")
    assert person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()


def test_lookup_by_id_number_finds_exactly_that_person(principals: Principals) -> None:
    person = principals.another_citizen.person
    clerk = principals.client("clerk")
    found = clerk.post(f"{BASE}/persons/lookup", {"id_number": person.id_number.lower()},
                       content_type="application/json").json()["items"]
    assert [p["ref"] for p in found] == [person.ref]
    checksum_wrong = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    bad = clerk.post(f"{BASE}/persons/lookup", {"id_number": checksum_wrong}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (400, "id_number_checksum")
    assert bad.json()["fields"] == {"id_number": ["身份证号码校验位错误，请核对后重新输入"]}


def test_person_list_scope(principals: Principals) -> None:
    from onewindow.accounts import services

    # A citizen acting for another person sees that principal while the mandate is in force.
    mandate = services.mandate_grant(by=principals.another_citizen, agent=principals.citizen.person,
                                     principal_person=principals.another_citizen.person)
    refs = [p["ref"] for p in principals.client("citizen").get(f"{BASE}/persons").json()["items"]]
    assert refs == [principals.citizen.person.ref, principals.another_citizen.person.ref]
    services.mandate_revoke(by=principals.another_citizen, mandate=mandate, reason="办完了")
    refs = [p["ref"] for p in principals.client("citizen").get(f"{BASE}/persons").json()["items"]]
    assert refs == [principals.citizen.person.ref]
    # Staff do not browse: their list holds only their own person.
    refs = [p["ref"] for p in principals.client("clerk").get(f"{BASE}/persons").json()["items"]]
    assert refs == [principals.clerk.person.ref]
    assert len(principals.client("admin").get(f"{BASE}/persons").json()["items"]) == Person.objects.count()
