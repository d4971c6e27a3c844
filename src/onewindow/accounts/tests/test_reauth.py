"""Re-authentication before sensitive operations (issue #9 point 5): fresh for a window, then stale."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone

from onewindow.accounts import reauth
from onewindow.accounts.testing import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _later(seconds: int) -> Any:
    moment = timezone.now() + datetime.timedelta(seconds=seconds)
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_login_is_fresh_then_stale_after_the_window_then_reauth_page_makes_it_fresh(client, settings):
    settings.ACCOUNTS_REAUTH_SECONDS = 600
    user = UserFactory()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.user = user
    request.session = client.session
    assert reauth.reauth_is_fresh(request) is True
    with _later(599):
        assert reauth.reauth_is_fresh(request) is True
    with _later(601):
        assert reauth.reauth_is_fresh(request) is False
        with pytest.raises(reauth.ReauthRequired) as caught:
            reauth.require_reauth(request)
        assert (caught.value.status, caught.value.code) == (403, "reauth_required")
        wrong = client.post("/accounts/reauth/", {"password": "nope", "next": "/cases/"})
        assert wrong.status_code == 400
        request.session = client.session
        assert reauth.reauth_is_fresh(request) is False
        response = client.post("/accounts/reauth/", {"password": PASSWORD, "next": "/cases/"})
        assert (response.status_code, response["Location"]) == (302, "/cases/")
        request.session = client.session
        assert reauth.reauth_is_fresh(request) is True


def test_decorator_redirects_to_reauth_with_a_safe_next(client):
    user = UserFactory()
    request = RequestFactory().get("/tax/export/?x=1")
    request.user = user
    request.session = {}
    view = reauth.reauth_required(lambda r: HttpResponse("ok"))
    response = view(request)
    assert (response.status_code, response["Location"]) == (
        302, "/accounts/reauth/?next=%2Ftax%2Fexport%2F%3Fx%3D1")
    reauth.mark_reauthenticated(request)
    assert view(request).content == b"ok"
    page = client.get("/accounts/reauth/?next=https://evil.example/")
    assert page.status_code == 302  # anonymous: to the login page first
    client.force_login(user)
    page = client.get("/accounts/reauth/?next=https://evil.example/")
    assert page.status_code == 200
    assert page.context["next"] == "/"


def test_wrong_passwords_on_the_reauth_page_lock_out_like_the_login(client):
    from axes.models import AccessAttempt

    user = UserFactory(username="reauth-lock")
    client.force_login(user)
    session = client.session
    session.pop(reauth.SESSION_KEY)
    session.save()
    statuses = [client.post("/accounts/reauth/", {"password": f"wrong-{i}"}).status_code for i in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    locked = client.post("/accounts/reauth/", {"password": PASSWORD, "next": "/cases/"})
    assert locked.status_code == 429
    assert reauth.SESSION_KEY not in client.session
    assert AccessAttempt.objects.get(username="reauth-lock").failures_since_start == 6
