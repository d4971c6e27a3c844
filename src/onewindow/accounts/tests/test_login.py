"""Login throttling (django-axes) and TOTP two-factor for staff."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.accounts.models import User
from onewindow.accounts.otp import otp_enrolment_grant
from onewindow.accounts.testing import PASSWORD, Principals, UserFactory
from onewindow.core.models import AuditEntry

LOGIN = "/accounts/login/"


def totp_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.django_db
def test_sixth_login_with_the_right_password_is_refused_after_five_failures() -> None:
    user = UserFactory.create(username="wang")
    client = Client()
    statuses = [client.post(LOGIN, {"username": "wang", "password": f"wrong-{i}"}).status_code
                for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    response = client.post(LOGIN, {"username": "wang", "password": PASSWORD})
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert b'data-code="login_locked"' in response.content
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=user.pk).last_login is None
    # The refused attempt is itself recorded as a failure by axes (it extends nothing: cool-off is fixed).
    assert AccessAttempt.objects.get(username="wang").failures_since_start == 6


@pytest.mark.django_db
def test_other_users_and_addresses_are_not_locked_out_by_someone_elses_failures() -> None:
    UserFactory.create(username="li")
    UserFactory.create(username="zhao")
    client = Client()
    for i in range(5):
        client.post(LOGIN, {"username": "li", "password": f"wrong-{i}"})
    response = client.post(LOGIN, {"username": "zhao", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="zhao").pk)


@pytest.mark.django_db
def test_a_successful_login_before_the_limit_resets_the_counter() -> None:
    UserFactory.create(username="chen")
    client = Client()
    for i in range(4):
        client.post(LOGIN, {"username": "chen", "password": f"wrong-{i}"})
    assert client.post(LOGIN, {"username": "chen", "password": PASSWORD}).status_code == 302
    assert not AccessAttempt.objects.filter(username="chen", failures_since_start__gt=0).exists()


def test_staff_are_sent_to_enrol_then_verify_when_2fa_is_required(principals: Principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp delays retries after a wrong code; no clock here
    enrolment_code = otp_enrolment_grant(by=principals.admin, user=principals.clerk)  # decision 0009
    client = principals.client("clerk")
    first = client.get("/catalog/")
    assert first.status_code == 302
    assert first["Location"] == "/accounts/2fa/enrol/?next=%2Fcatalog%2F"

    page = client.get(first["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "otpauth" not in body.split("<svg")[0]
    assert "http://" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")
    device = TOTPDevice.objects.get(user=principals.clerk)
    assert device.confirmed is False

    wrong = client.post("/accounts/2fa/enrol/", {"token": "000000" if totp_code(device) != "000000" else "111111",
                                                 "enrolment_code": enrolment_code, "next": "/catalog/"})
    assert wrong.status_code == 400
    assert b'data-code="otp_invalid"' in wrong.content
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is False
    assert not AuditEntry.objects.filter(action="otp.enrol").exists()

    ok = client.post("/accounts/2fa/enrol/", {"token": totp_code(device), "enrolment_code": enrolment_code,
                                              "next": "/catalog/"})
    assert (ok.status_code, ok.context["next"]) == (200, "/catalog/")  # the recovery codes, shown once
    assert len(ok.context["codes"]) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    assert AuditEntry.objects.filter(action="otp.enrol", actor_id=str(principals.clerk.pk)).count() == 1
    assert client.get("/catalog/").status_code != 302
    assert client.get("/api/v1/accounts/me").status_code == 200

    # A new session (password only) must pass the verify step.
    fresh = Client()
    assert fresh.post(LOGIN, {"username": "p_clerk", "password": PASSWORD}).status_code == 302
    blocked = fresh.get("/catalog/")
    assert blocked["Location"] == "/accounts/2fa/verify/?next=%2Fcatalog%2F"
    assert fresh.get("/api/v1/accounts/me").json()["code"] == "otp_required"
    bad = fresh.post("/accounts/2fa/verify/", {"token": "12345x", "next": "/catalog/"})
    assert bad.status_code == 400
    good = fresh.post("/accounts/2fa/verify/", {"token": totp_code(device, steps_ahead=1), "next": "/catalog/"})
    assert (good.status_code, good["Location"]) == (302, "/catalog/")
    assert fresh.get("/catalog/").status_code != 302


def test_citizens_are_not_asked_for_2fa(principals: Principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = True
    assert principals.client("citizen").get("/").status_code == 200


def test_staff_are_not_stopped_when_2fa_is_off(principals: Principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = False
    assert principals.client("clerk").get("/").status_code == 200


def test_verify_step_redirects_to_enrol_without_a_device(principals: Principals) -> None:
    response = principals.client("reviewer").get("/accounts/2fa/verify/?next=/x")
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/enrol/?next=%2Fx")


def test_offsite_next_is_ignored(principals: Principals) -> None:
    enrolment_code = otp_enrolment_grant(by=principals.admin, user=principals.reviewer)
    client = principals.client("reviewer")
    client.get("/accounts/2fa/enrol/")
    device = TOTPDevice.objects.get(user=principals.reviewer)
    response = client.post("/accounts/2fa/enrol/", {"token": totp_code(device), "enrolment_code": enrolment_code,
                                                    "next": "https://evil.example/"})
    assert (response.status_code, response.context["next"]) == (200, "/")
