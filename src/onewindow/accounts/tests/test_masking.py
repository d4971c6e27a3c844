"""Personal data stays masked in every accounts API response, unless authorized staff unmask a
detail view — and every unmasked view is audited (ARCHITECTURE rule 6)."""

from __future__ import annotations

import pytest

from onewindow.accounts.models import Person
from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals
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
    urls = [f"{BASE}/me", f"{BASE}/persons", f"{BASE}/persons?id_number={citizen.id_number}",
            f"{BASE}/persons/{citizen.pk}", f"{BASE}/persons/{principals.agent.person_id}", f"{BASE}/mandates",
            f"{BASE}/organizations/{principals.organization.credit_code}", f"{BASE}/tokens"]
    secrets = clear_values()
    for url in urls:
        body = client.get(url).content.decode()
        for secret in secrets:
            assert secret not in body, (url, secret)
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()


def test_masked_forms_are_the_agreed_ones(principals: Principals) -> None:
    person = principals.citizen.person
    data = principals.client("citizen").get(f"{BASE}/persons/{person.pk}").json()
    assert data["id_number"] == person.id_number[:3] + "*" * 11 + person.id_number[-4:]
    assert data["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert data["name"] == person.name[0] + "*" * (len(person.name) - 1)
    assert (data["unmasked"], data["birth_date"]) == (False, None)


@pytest.mark.parametrize("who", ["clerk", "clerk_other_department", "reviewer", "admin"])
def test_unmasked_detail_for_authorized_staff_is_audited(principals: Principals, who: str) -> None:
    person = principals.citizen.person
    response = principals.client(who).get(f"{BASE}/persons/{person.pk}?unmask=true")
    assert response.status_code == 200
    data = response.json()
    assert (data["id_number"], data["phone"], data["name"], data["unmasked"]) == (
        person.id_number, person.phone, person.name, True)
    entry = AuditEntry.objects.get(action=PERSONAL_DATA_VIEW)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        str(principals.users[who].pk), "accounts.person", str(person.pk))
    assert entry.after == {"fields": ["birth_date", "id_number", "name", "phone"]}
    assert person.id_number not in entry.target_label


def test_refused_unmask_writes_no_audit_and_shows_nothing(principals: Principals) -> None:
    person = principals.citizen.person
    response = principals.client("manager").get(f"{BASE}/persons/{person.pk}?unmask=true")
    assert (response.status_code, response.json()["code"]) == (403, "unmask_forbidden")
    assert person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()


def test_lookup_by_id_number_finds_exactly_that_person(principals: Principals) -> None:
    person = principals.another_citizen.person
    found = principals.client("clerk").get(f"{BASE}/persons?id_number={person.id_number.lower()}").json()
    assert [p["id"] for p in found] == [person.pk]
    checksum_wrong = person.id_number[:17] + ("0" if person.id_number[17] != "0" else "1")
    bad = principals.client("clerk").get(f"{BASE}/persons?id_number={checksum_wrong}")
    assert (bad.status_code, bad.json()["code"]) == (400, "id_number_checksum")
    assert bad.json()["fields"] == {"id_number": ["身份证号码校验位错误，请核对后重新输入"]}


def test_person_list_scope(principals: Principals) -> None:
    from onewindow.accounts import services

    # A citizen acting for another person sees that principal while the mandate is in force.
    mandate = services.mandate_grant(by=principals.another_citizen, agent=principals.citizen.person,
                                     principal_person=principals.another_citizen.person)
    ids = [p["id"] for p in principals.client("citizen").get(f"{BASE}/persons").json()]
    assert ids == sorted([principals.citizen.person_id, principals.another_citizen.person_id])
    services.mandate_revoke(by=principals.another_citizen, mandate=mandate, reason="办完了")
    ids = [p["id"] for p in principals.client("citizen").get(f"{BASE}/persons").json()]
    assert ids == [principals.citizen.person_id]
    # Staff do not browse: their list holds only their own person.
    ids = [p["id"] for p in principals.client("clerk").get(f"{BASE}/persons").json()]
    assert ids == [principals.clerk.person_id]
    assert len(principals.client("admin").get(f"{BASE}/persons").json()) == Person.objects.count()
