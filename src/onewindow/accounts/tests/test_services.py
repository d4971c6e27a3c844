"""Services of the accounts app: validation, dedupe, guards, audit, and nothing half-written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from onewindow.accounts import services
from onewindow.accounts.choices import Gender, IdType, MandateScope, StaffRoleKind
from onewindow.accounts.models import ApiToken, Mandate, Organization, Person, StaffRole, User
from onewindow.accounts.testing import (
    MandateFactory,
    PersonFactory,
    Principals,
    UserFactory,
    make_credit_code,
    make_resident_id,
)
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry


def counts() -> tuple[int, ...]:
    return (Person.objects.count(), Organization.objects.count(), Mandate.objects.count(),
            Mandate.objects.filter(revoked_at__isnull=False).count(), StaffRole.objects.filter(valid=True).count(),
            ApiToken.objects.count(), ApiToken.objects.filter(revoked_at__isnull=False).count(),
            AuditEntry.objects.count(), User.objects.filter(person__isnull=False).count())


def refused(code: str, fn: Any, **kwargs: Any) -> DomainError:
    before = counts()
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert info.value.code == code
    assert counts() == before
    return info.value


def test_clerk_registers_a_verified_person_stored_encrypted(principals: Principals) -> None:
    number = make_resident_id("310106", datetime.date(1990, 3, 7), 12, female=True)
    person = services.person_register(by=principals.clerk, name=" 李  娜 ", id_number=number.lower(),
                                      phone="+86 139-0000-1234")
    person.refresh_from_db()
    assert (person.name, person.id_number, person.phone) == ("李 娜", number, "13900001234")
    assert (person.birth_date, person.gender) == (datetime.date(1990, 3, 7), Gender.FEMALE)
    assert person.real_name_verified is True and person.real_name_verified_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM accounts_person WHERE id = %s", [person.pk])
        raw = cursor.fetchone()
    assert number not in " ".join(raw) and "13900001234" not in " ".join(raw)
    entry = AuditEntry.objects.get(action="person.register", target_id=str(person.pk))
    assert entry.actor_id == str(principals.clerk.pk) and entry.role == StaffRoleKind.WINDOW_CLERK
    assert entry.after["id_number"] == number[:3] + "*" * 11 + number[-4:]
    assert number not in str(entry.after) and "13900001234" not in str(entry.after)


def test_self_registration_links_the_login_and_is_not_yet_verified(db: None) -> None:
    user = UserFactory.create(username="newcomer", person=None)
    person = services.person_register(by=user, name="赵敏", id_number=make_resident_id(), phone="13700000000")
    assert User.objects.get(pk=user.pk).person_id == person.pk
    assert person.real_name_verified is False


@pytest.mark.parametrize(("number", "phone", "code"), [
    ("310106199001011235", "13900001111", "id_number_checksum"),
    ("31010619900101123", "13900001111", "id_number_format"),
    ("31010619900101123Z", "13900001111", "id_number_format"),
    ("FUTURE", "13900001111", "id_number_birth_date"),
    ("VALID", "12345", "mobile_format"),
])
def test_invalid_documents_and_phones_are_refused(principals: Principals, number: str, phone: str,
                                                  code: str) -> None:
    if number == "VALID":
        number = make_resident_id()
    if number == "FUTURE":
        number = make_resident_id(birth=timezone.localdate() + datetime.timedelta(days=30))
    err = refused(code, services.person_register, by=principals.clerk, name="张三", id_number=number, phone=phone)
    assert list(err.fields) == ["phone" if code == "mobile_format" else "id_number"]


def test_a_document_is_registered_once(principals: Principals) -> None:
    number = principals.citizen.person.id_number
    err = refused("person_exists", services.person_register, by=principals.clerk, name="重复", id_number=number,
                  phone="13900002222")
    assert err.status == 409


def test_the_same_number_under_another_document_type_is_another_person(principals: Principals) -> None:
    services.person_register(by=principals.clerk, name="John Smith", id_type=IdType.PASSPORT,
                             id_number="E12345678", phone="13900003333")
    refused("person_exists", services.person_register, by=principals.clerk, name="John", id_type=IdType.PASSPORT,
            id_number="e12345678", phone="13900003333")


def test_citizen_cannot_register_twice_or_for_others(principals: Principals) -> None:
    refused("already_registered", services.person_register, by=principals.citizen, name="某人",
            id_number=make_resident_id(), phone="13900004444")
    refused("forbidden", services.person_register, by=principals.citizen, name="某人",
            id_number=make_resident_id(), phone="13900004444", link_to_self=False)


def test_person_update_masks_the_audit_and_clears_verification_on_self_rename(principals: Principals) -> None:
    person = principals.citizen.person
    services.person_update(by=principals.citizen, person=person, name="张伟伟", phone="13812345678")
    person.refresh_from_db()
    assert (person.name, person.phone, person.real_name_verified) == ("张伟伟", "13812345678", False)
    entry = AuditEntry.objects.get(action="person.update")
    assert entry.after["phone"] == "138****5678" and "13812345678" not in str(entry.before) + str(entry.after)
    refused("forbidden", services.person_update, by=principals.another_citizen, person=person, name="X")
    refused("mobile_format", services.person_update, by=principals.clerk, person=person, phone="999")


def test_organization_register_validates_and_derives_kind_and_region(principals: Principals) -> None:
    code = make_credit_code("310106", "92")
    org = services.organization_register(by=principals.clerk, credit_code=code.lower(), name="静安小吃店")
    assert (org.credit_code, org.kind, org.region) == (code, "individual_business", principals.district)
    refused("organization_exists", services.organization_register, by=principals.clerk, credit_code=code, name="X")
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    refused("credit_code_checksum", services.organization_register, by=principals.clerk, credit_code=bad, name="X")
    refused("forbidden", services.organization_register, by=principals.citizen, credit_code=make_credit_code(),
            name="X")


def test_mandate_rules(principals: Principals) -> None:
    me, other = principals.citizen.person, principals.another_citizen.person
    today = timezone.localdate()
    refused("mandate_self", services.mandate_grant, by=principals.citizen, agent=me, principal_person=me)
    refused("period_invalid", services.mandate_grant, by=principals.citizen, agent=other, principal_person=me,
            valid_from=today, valid_to=today - datetime.timedelta(days=1))
    refused("valid_from_past", services.mandate_grant, by=principals.citizen, agent=other, principal_person=me,
            valid_from=today - datetime.timedelta(days=1))
    refused("item_codes_required", services.mandate_grant, by=principals.citizen, agent=other,
            principal_person=me, scope=MandateScope.ITEMS)
    refused("forbidden", services.mandate_grant, by=principals.another_citizen, agent=other, principal_person=me)
    refused("forbidden", services.mandate_grant, by=principals.citizen, agent=me,
            principal_organization=principals.organization)
    mandate = services.mandate_grant(by=principals.citizen, agent=other, principal_person=me,
                                     scope=MandateScope.ITEMS, item_codes=["310106-XK-001", " 310106-XK-001 "])
    assert (mandate.item_codes, mandate.covers("310106-XK-001"), mandate.covers("X")) == (
        ["310106-XK-001"], True, False)
    refused("mandate_exists", services.mandate_grant, by=principals.citizen, agent=other, principal_person=me)
    later = today + datetime.timedelta(days=30)
    refused("mandate_exists", services.mandate_grant, by=principals.citizen, agent=other, principal_person=me,
            valid_from=later, valid_to=later)
    refused("reason_required", services.mandate_revoke, by=principals.citizen, mandate=mandate, reason="  ")
    services.mandate_revoke(by=principals.citizen, mandate=mandate, reason="已办结")
    refused("mandate_revoked", services.mandate_revoke, by=principals.citizen, mandate=mandate, reason="再撤")
    assert [a.action for a in AuditEntry.objects.filter(action__startswith="mandate.").order_by("id")] == [
        "mandate.grant", "mandate.revoke"]


def test_consecutive_mandates_do_not_overlap(principals: Principals) -> None:
    me, other = principals.citizen.person, principals.another_citizen.person
    today = timezone.localdate()
    first = services.mandate_grant(by=principals.citizen, agent=other, principal_person=me, valid_from=today,
                                   valid_to=today + datetime.timedelta(days=9))
    second = services.mandate_grant(by=principals.citizen, agent=other, principal_person=me,
                                    valid_from=today + datetime.timedelta(days=10))
    assert (first.is_valid_on(today), second.is_valid_on(today)) == (True, False)
    refused("mandate_exists", services.mandate_grant, by=principals.citizen, agent=other, principal_person=me,
            valid_from=today + datetime.timedelta(days=5), valid_to=today + datetime.timedelta(days=12))


def test_a_mandate_has_exactly_one_principal_in_the_database(principals: Principals) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory.create(agent=principals.citizen.person, principal_person=principals.another_citizen.person,
                              principal_organization=principals.organization)
    with pytest.raises(IntegrityError), transaction.atomic():
        MandateFactory.create(agent=principals.citizen.person, principal_organization=None)


def test_agent_with_an_all_items_mandate_may_grant_for_the_organization(principals: Principals) -> None:
    mandate = services.mandate_grant(by=principals.agent, agent=principals.citizen.person,
                                     principal_organization=principals.organization)
    assert mandate.principal_organization == principals.organization
    # The agent's own mandate is then revoked: they can no longer act for the organization.
    services.mandate_revoke(by=principals.clerk, mandate=principals.mandate, reason="离职")
    refused("forbidden", services.mandate_grant, by=principals.agent, agent=principals.another_citizen.person,
            principal_organization=principals.organization)


def test_staff_role_grant_and_revoke(principals: Principals) -> None:
    newcomer = UserFactory.create(username="newclerk")
    refused("forbidden", services.staff_role_grant, by=principals.clerk, user=newcomer,
            role=StaffRoleKind.WINDOW_CLERK, department=principals.department)
    refused("forbidden", services.staff_role_grant, by=principals.manager, user=newcomer,
            role=StaffRoleKind.WINDOW_CLERK, department=principals.other_department)
    refused("forbidden", services.staff_role_grant, by=principals.manager, user=newcomer,
            role=StaffRoleKind.SYSTEM_ADMIN)
    refused("scope_required", services.staff_role_grant, by=principals.admin, user=newcomer,
            role=StaffRoleKind.REVIEWER)
    role = services.staff_role_grant(by=principals.manager, user=newcomer, role=StaffRoleKind.WINDOW_CLERK,
                                     department=principals.department)
    refused("role_exists", services.staff_role_grant, by=principals.admin, user=newcomer,
            role=StaffRoleKind.WINDOW_CLERK, department=principals.department)
    services.staff_role_revoke(by=principals.manager, staff_role=role, reason="调岗")
    role.refresh_from_db()
    assert (role.valid, role.revoked_reason, role.revoked_by) == (False, "调岗", principals.manager)
    refused("role_revoked", services.staff_role_revoke, by=principals.admin, staff_role=role, reason="again")


def test_token_issue_guards(principals: Principals) -> None:
    refused("forbidden", services.api_token_issue, by=principals.manager, name="x", scopes=["device"],
            system_name="s")
    refused("scopes_invalid", services.api_token_issue, by=principals.admin, name="x", scopes=[], system_name="s")
    refused("scopes_invalid", services.api_token_issue, by=principals.admin, name="x", scopes=["Bad Scope"],
            system_name="s")
    refused("owner_required", services.api_token_issue, by=principals.admin, name="x", scopes=["device"])
    refused("expires_in_past", services.api_token_issue, by=principals.admin, name="x", scopes=["device"],
            system_name="s", expires_at=timezone.now() - datetime.timedelta(minutes=1))
    token, bearer = services.api_token_issue(by=principals.admin, name="叫号屏", scopes=["device", "device"],
                                             system_name="screen")
    assert token.scopes == ["device"] and bearer.startswith(f"ow_{token.prefix}_")
    assert services.api_token_authenticate(bearer=bearer).pk == token.pk
    entry = AuditEntry.objects.get(action="api_token.issue")
    assert bearer.split("_", 2)[2] not in str(entry.after)


def test_person_factory_defaults_are_valid(db: None) -> None:
    person = PersonFactory.create()
    assert person.birth_date is not None and person.real_name_verified is True
