"""The admin shows personal data masked; the unmask page is audited; role and token writes go
through the services."""

from __future__ import annotations

import re

from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, StaffRole, hash_token_secret
from onewindow.accounts.testing import Principals, UserFactory
from onewindow.cases.testing import CaseWorld
from onewindow.core.audit import PERSONAL_DATA_VIEW
from onewindow.core.models import AuditEntry


def test_person_changelist_and_detail_are_masked(principals: Principals) -> None:
    client = principals.client("admin")
    person = principals.citizen.person
    for url in ("/admin/accounts/person/", f"/admin/accounts/person/{person.ref}/change/",
                "/admin/accounts/user/", f"/admin/accounts/user/{principals.citizen.pk}/change/",
                "/admin/accounts/mandate/"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert person.id_number not in body and person.phone not in body, url
    assert person.id_number_masked in client.get("/admin/accounts/person/").content.decode()
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()


def test_person_search_is_by_exact_document_number(principals: Principals) -> None:
    client = principals.client("admin")
    person = principals.another_citizen.person
    found = client.get("/admin/accounts/person/", {"q": person.id_number}).content.decode()
    assert f"/admin/accounts/person/{person.ref}/change/" in found
    assert f"/admin/accounts/person/{principals.citizen.person.ref}/change/" not in found
    partial = client.get("/admin/accounts/person/", {"q": person.id_number[:10]}).content.decode()
    assert f"/admin/accounts/person/{person.ref}/change/" not in partial


def test_admin_unmask_page_is_scoped_and_audited(case_world: CaseWorld) -> None:
    from onewindow.accounts.reauth import SESSION_KEY

    p = case_world.p
    case = case_world.submitted()
    person = p.citizen.person
    url = f"/admin/accounts/person/{person.ref}/unmask/"
    # The system admin handles no case: masked only (decision 0007), one refusal entry.
    refused = p.client("admin").get(url)
    assert refused.status_code == 403 and person.id_number not in refused.content.decode()
    assert AuditEntry.objects.filter(action="personal_data.view_refused").count() == 1
    # A clerk of the receiving department (with admin access), after re-authenticating.
    type(p.clerk).objects.filter(pk=p.clerk.pk).update(is_staff=True)
    clerk = p.client("clerk")
    session = clerk.session
    session.pop(SESSION_KEY, None)
    session.save()
    assert clerk.get(url)["Location"].startswith("/accounts/reauth/?next=")
    assert not AuditEntry.objects.filter(action=PERSONAL_DATA_VIEW).exists()
    session = clerk.session
    session[SESSION_KEY] = {"user": str(p.clerk.pk), "at": timezone.now().timestamp()}
    session.save()
    response = clerk.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert person.id_number in body and case.number in body
    entry = AuditEntry.objects.get(action=PERSONAL_DATA_VIEW)
    assert (entry.actor_id, entry.target_id) == (str(p.clerk.pk), str(person.pk))
    assert entry.after["purpose"]["reference"] == case.number


def test_staff_role_added_in_admin_goes_through_the_service(principals: Principals) -> None:
    newcomer = UserFactory.create(username="admin-added")
    client = principals.client("admin")
    refused = client.post("/admin/accounts/staffrole/add/", {"user": newcomer.pk, "role": StaffRoleKind.REVIEWER})
    assert refused.status_code == 200
    assert "请指定角色的所属部门或管辖区划" in refused.content.decode()
    assert not StaffRole.objects.filter(user=newcomer).exists()
    ok = client.post("/admin/accounts/staffrole/add/", {"user": newcomer.pk, "role": StaffRoleKind.REVIEWER,
                                                         "department": principals.department.pk})
    assert ok.status_code == 302
    role = StaffRole.objects.get(user=newcomer)
    assert (role.role, role.department, role.granted_by) == (StaffRoleKind.REVIEWER, principals.department,
                                                             principals.admin)
    assert AuditEntry.objects.filter(action="staff_role.grant", target_id=str(role.pk)).count() == 1


def test_token_added_in_admin_is_shown_once(principals: Principals) -> None:
    client = principals.client("admin")
    before = ApiToken.objects.count()
    response = client.post("/admin/accounts/apitoken/add/",
                           {"name": "统计大屏", "scopes": "analytics:read, device", "system_name": "bigscreen"},
                           follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.exclude(pk=principals.device_token.pk).get()
    assert ApiToken.objects.count() == before + 1
    assert token.scopes == ["analytics:read", "device"]
    match = re.search(rf"ow_{token.prefix}_([A-Za-z0-9_-]{{20,}})", response.content.decode())
    assert match is not None
    assert hash_token_secret(match.group(1)) == token.secret_hash
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    assert match.group(1) not in listing


def test_the_admin_never_shows_a_second_factors_secret(principals: Principals) -> None:
    """A system admin who could read a clerk's TOTP key could clone the clerk's second factor:
    django-otp's config and QR views are refused (403, never a 500 for an unknown id), and the
    device's change page shows no key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=principals.clerk, name="authenticator", confirmed=True)
    client = principals.client("admin")
    for url in (f"/admin/otp_totp/totpdevice/{device.pk}/config/", f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
                "/admin/otp_totp/totpdevice/999999/config/", "/admin/otp_totp/totpdevice/999999/qrcode/"):
        assert client.get(url).status_code == 403, url
    for url in ("/admin/otp_totp/totpdevice/", f"/admin/otp_totp/totpdevice/{device.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert device.key not in response.content.decode(), url
