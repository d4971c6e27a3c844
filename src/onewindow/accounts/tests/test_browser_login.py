"""In Debian's Chromium: a citizen logs in; a staff member is taken through TOTP enrolment."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connections
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.accounts.otp import otp_enrolment_grant
from onewindow.accounts.testing import PASSWORD, StaffRoleFactory, UserFactory
from onewindow.core.actors import system_actor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch, page) -> Iterator[None]:  # type: ignore[no-untyped-def]
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are still sync,
    # but run in the loop's context with their own connection, closed here before the loop ends.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    connections.close_all()


def test_citizen_logs_in_and_out(page) -> None:  # type: ignore[no-untyped-def]
    UserFactory.create(username="citizen1")
    page.goto("/accounts/login/")
    page.fill("#id_username", "citizen1")
    page.fill("#id_password", "wrong password")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator(".error[role=alert]").count() == 1
    page.fill("#id_username", "citizen1")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.inner_text(".who") == "citizen1"


def test_staff_enrol_a_totp_device_after_the_password(page, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = True
    clerk = UserFactory.create(username="clerk1")
    StaffRoleFactory.create(user=clerk)
    enrolment_code = otp_enrolment_grant(by=system_actor("test"), user=clerk)  # a system admin's grant (decision 0009)
    page.goto("/accounts/login/?next=/catalog/")
    page.fill("#id_username", "clerk1")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/enrol/**")
    assert page.locator(".otp-qr svg").count() == 1
    device = TOTPDevice.objects.get(user=clerk)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    page.fill("#id_enrolment_code", enrolment_code)
    page.fill("#id_token", f"{totp.token():06d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator(".recovery-codes li").count() == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    with page.expect_navigation():
        page.click("main a.button")
    assert page.url.endswith("/catalog/")
