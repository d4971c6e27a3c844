"""Staff TOTP enrolment confirmed by a system admin, and single-use recovery codes (issue #9 point 8).

Before: whoever first had a staff password bound their own authenticator (trust on first use).
After: the enrol page binds nothing until a system admin has granted an enrolment, whose one-time
code reaches the user out of band; binding yields 10 recovery codes, stored only as keyed hashes.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.accounts.testing import PASSWORD, Principals
from onewindow.accounts.tests.test_login import totp_code
from onewindow.core.errors import PermissionDenied
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
ENROL = "/accounts/2fa/enrol/"


@pytest.fixture(autouse=True)
def _two_factor(settings: Any) -> None:
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no clock in these tests
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _grant(admin: Any, user: Any) -> str:
    from onewindow.accounts import otp

    return otp.otp_enrolment_grant(by=admin, user=user)


def _enrol(principals: Principals, name: str = "clerk") -> tuple[Client, TOTPDevice, list[str]]:
    code = _grant(principals.admin, principals.user(name))
    client = principals.client(name)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=principals.user(name))
    response = client.post(ENROL, {"enrolment_code": code, "token": totp_code(device), "next": "/catalog/"})
    assert response.status_code == 200
    return client, device, list(response.context["codes"])


def test_staff_cannot_bind_an_authenticator_without_an_admin_grant(principals: Principals) -> None:
    client = principals.client("clerk")
    audit_before = AuditEntry.objects.count()
    page = client.get(ENROL)
    assert page.status_code == 403
    assert b'data-code="otp_enrolment_not_granted"' in page.content
    assert b"<svg" not in page.content
    posted = client.post(ENROL, {"token": "123456", "enrolment_code": "abcde-fghij"})
    assert posted.status_code == 403
    assert not TOTPDevice.objects.filter(user=principals.clerk).exists()
    assert AuditEntry.objects.count() == audit_before
    assert client.get("/catalog/")["Location"] == "/accounts/2fa/enrol/?next=%2Fcatalog%2F"


def test_only_a_system_admin_grants_an_enrolment(principals: Principals) -> None:
    from onewindow.accounts import otp

    audit_before = AuditEntry.objects.count()
    for name in ("clerk", "manager", "reviewer"):
        with pytest.raises(PermissionDenied):
            otp.otp_enrolment_grant(by=principals.user(name), user=principals.clerk)
    assert AuditEntry.objects.count() == audit_before
    assert principals.client("manager").get("/accounts/2fa/grant/").status_code == 403


def test_granted_enrolment_needs_the_code_then_binds_and_shows_ten_recovery_codes(principals: Principals) -> None:
    code = _grant(principals.admin, principals.clerk)
    grant_audit = AuditEntry.objects.get(action="otp.enrolment.grant")
    assert grant_audit.actor_id == str(principals.admin.pk)
    assert code not in str(grant_audit.after)
    client = principals.client("clerk")
    page = client.get(ENROL)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=principals.clerk)
    wrong = client.post(ENROL, {"enrolment_code": "zzzzz-zzzzz", "token": totp_code(device)})
    assert wrong.status_code == 400
    assert b'data-code="otp_enrolment_code_invalid"' in wrong.content
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is False
    assert not AuditEntry.objects.filter(action="otp.enrol").exists()
    ok = client.post(ENROL, {"enrolment_code": code.upper(), "token": totp_code(device), "next": "/catalog/"})
    assert ok.status_code == 200
    codes = ok.context["codes"]
    assert len(codes) == len(set(codes)) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    stored = set(StaticToken.objects.filter(device__user=principals.clerk).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in codes} and not stored & set(codes)
    assert AuditEntry.objects.filter(action="otp.enrol", actor_id=str(principals.clerk.pk)).count() == 1
    assert client.get("/catalog/").status_code == 200
    # The grant was used: a second binding with the same code is refused.
    other = principals.client("clerk")
    assert other.get(ENROL).status_code == 302  # has a device now: to the verify step


def test_a_recovery_code_logs_in_once(principals: Principals) -> None:
    _client, _device, codes = _enrol(principals)
    fresh = Client()
    assert fresh.post(LOGIN, {"username": "p_clerk", "password": PASSWORD}).status_code == 302
    used = fresh.post("/accounts/2fa/verify/", {"recovery_code": codes[3], "next": "/catalog/"})
    assert (used.status_code, used["Location"]) == (302, "/catalog/")
    assert fresh.get("/catalog/").status_code == 200
    entry = AuditEntry.objects.get(action="otp.recovery_code.use")
    assert (entry.actor_id, entry.after) == (str(principals.clerk.pk), {"remaining": 9})
    again = Client()
    again.post(LOGIN, {"username": "p_clerk", "password": PASSWORD})
    refused = again.post("/accounts/2fa/verify/", {"recovery_code": codes[3], "next": "/catalog/"})
    assert refused.status_code == 400
    assert b'data-code="recovery_code_invalid"' in refused.content
    assert again.get("/catalog/")["Location"] == "/accounts/2fa/verify/?next=%2Fcatalog%2F"
    assert AuditEntry.objects.filter(action="otp.recovery_code.use").count() == 1
    assert StaticToken.objects.filter(device__user=principals.clerk).count() == 9


def test_recovery_codes_are_regenerated_only_after_reauthentication(principals: Principals) -> None:
    from onewindow.accounts import reauth

    client, device, codes = _enrol(principals)
    session = client.session
    session.pop(reauth.SESSION_KEY)
    session.save()
    stale = client.post("/accounts/2fa/recovery/")
    assert (stale.status_code, stale["Location"]) == (302, "/accounts/reauth/?next=%2F")
    assert set(StaticToken.objects.filter(device__user=principals.clerk).values_list("token", flat=True))
    assert not AuditEntry.objects.filter(action="otp.recovery_codes.generate", after__reason="regenerate").exists()
    client.post("/accounts/reauth/", {"password": PASSWORD, "token": totp_code(device, steps_ahead=1)})
    fresh = client.post("/accounts/2fa/recovery/")
    assert fresh.status_code == 200
    new_codes = fresh.context["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert StaticToken.objects.filter(device__user=principals.clerk).count() == 10
    assert AuditEntry.objects.filter(action="otp.recovery_codes.generate").count() == 2
    login = Client()
    login.post(LOGIN, {"username": "p_clerk", "password": PASSWORD})
    assert login.post("/accounts/2fa/verify/", {"recovery_code": codes[0]}).status_code == 400


def test_the_first_admin_is_granted_by_a_command_on_the_server(principals: Principals, capsys: Any) -> None:
    call_command("otp_enrolment_grant", "p_admin")
    code = capsys.readouterr().out.strip().splitlines()[-1]
    client = principals.client("admin")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=principals.admin)
    ok = client.post(ENROL, {"enrolment_code": code, "token": totp_code(device)})
    assert ok.status_code == 200
    assert AuditEntry.objects.get(action="otp.enrolment.grant").actor_id == ""
