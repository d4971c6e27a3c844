"""Session idle timeout and absolute lifetime (issue #9 point 5; 等保2.0 三级 登录连接超时自动退出).

Time moves by patching ``django.utils.timezone.now`` with a clock the test advances; nothing sleeps.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import Client, RequestFactory
from django.urls import resolve
from django.utils import timezone

from onewindow.accounts.testing import Principals, UserFactory
from onewindow.core.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.urls("onewindow.accounts.tests.timeout_urls")]


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def advance(self, **delta: float) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: c.now):
        yield c


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_idle_staff_session_expires_after_15_minutes_and_a_background_poll_does_not_extend_it(
        principals: Principals, clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_STAFF_IDLE_SECONDS = 15 * 60
    client = principals.client("clerk")
    clock.advance(minutes=10)
    assert client.get("/t/page/").status_code == 200  # activity at +10
    clock.advance(minutes=10)
    assert client.get("/t/poll/").status_code == 200  # +20: within the limit, not activity
    clock.advance(minutes=4)
    assert client.get("/t/poll/").status_code == 200  # +24: 14 min after the last activity
    clock.advance(minutes=2)
    audit_before = AuditEntry.objects.count()
    poll = client.get("/t/poll/")  # +26: 16 min idle although polled at +20 and +24
    assert poll.status_code == 401
    assert poll["HX-Redirect"] == "/accounts/login/?next=%2Ft%2Fpoll%2F&timeout=idle"
    assert not _logged_in(client)
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.after) == ("session.timeout", {"reason": "idle"})
    page = client.get("/t/page/")
    assert (page.status_code, page["Location"]) == (302, "/accounts/login/?next=/t/page/")


def test_idle_page_request_redirects_to_login_with_a_clear_message(principals: Principals, clock: Clock,
                                                                     settings: Any) -> None:
    settings.ACCOUNTS_STAFF_IDLE_SECONDS = 15 * 60
    client = principals.client("reviewer")
    clock.advance(minutes=15, seconds=1)
    response = client.get("/t/page/?a=1")
    assert (response.status_code, response["Location"]) == (
        302, "/accounts/login/?next=%2Ft%2Fpage%2F%3Fa%3D1&timeout=idle")
    assert not _logged_in(client)
    login = client.get(response["Location"])
    assert login.status_code == 200
    assert "由于长时间未操作，您已自动退出登录" in login.content.decode()
    api = principals.client("reviewer")
    clock.advance(minutes=16)
    answer = api.get("/api/v1/accounts/me")
    assert answer.status_code == 401
    assert answer.json()["code"] == "session_expired"


def test_citizen_idle_limit_is_30_minutes(principals: Principals, clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_CITIZEN_IDLE_SECONDS = 30 * 60
    settings.ACCOUNTS_STAFF_IDLE_SECONDS = 15 * 60
    client = principals.client("citizen")
    clock.advance(minutes=29)
    assert client.get("/t/page/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/t/page/").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/t/page/").status_code == 302
    assert not _logged_in(client)


def test_staff_session_ends_after_its_absolute_lifetime_however_active(principals: Principals, clock: Clock,
                                                                        settings: Any) -> None:
    settings.ACCOUNTS_STAFF_IDLE_SECONDS = 15 * 60
    settings.ACCOUNTS_STAFF_SESSION_MAX_SECONDS = 12 * 3600
    client = principals.client("manager")
    for _ in range(12 * 6 - 1):  # a request every 10 minutes up to 11 h 50 min
        clock.advance(minutes=10)
        assert client.get("/t/page/").status_code == 200
    clock.advance(minutes=10, seconds=1)
    response = client.get("/t/page/")
    assert (response.status_code, response["Location"]) == (
        302, "/accounts/login/?next=%2Ft%2Fpage%2F&timeout=absolute")
    assert not _logged_in(client)
    login = client.get(response["Location"])
    assert "登录已超过最长有效时间，请重新登录" in login.content.decode()


def test_a_staff_login_on_a_device_bound_browser_times_out_like_anywhere(clock: Clock, settings: Any) -> None:
    """The device binding is the kiosk's own credential (a cookie of its own, not the session):
    a person who logs in on a kiosk or display (a guide-desk clerk granting the elderly lane) and
    walks away is logged out after the staff idle limit like on any browser."""
    from onewindow.accounts.middleware import SessionTimeoutMiddleware

    settings.ACCOUNTS_STAFF_IDLE_SECONDS = 15 * 60
    user = UserFactory(is_staff=True)
    client = Client()
    client.force_login(user)
    clock.advance(minutes=20)
    request = RequestFactory().get("/t/page/")
    request.session = client.session
    request.user = user
    request.bound_device = object()  # type: ignore[attr-defined]
    request.COOKIES["ow_device"] = "binding"
    middleware = SessionTimeoutMiddleware(lambda r: __import__("django.http").http.HttpResponse("ok"))
    response = middleware.process_view(request, lambda r: None, (), {})
    assert response is not None and response.status_code == 302
    assert "timeout=idle" in response["Location"]
    assert "_auth_user_id" not in request.session
    assert request.COOKIES["ow_device"] == "binding"


def test_the_polling_views_of_centers_are_marked_as_background() -> None:
    from onewindow.accounts.session_timeout import is_background_poll

    for path in ("/centers/t/ABC123/live/", "/centers/3101060001/board/", "/centers/3101060001/display/",
                 "/centers/7/manage/live/"):
        assert is_background_poll(resolve(path).func), path
    assert not is_background_poll(resolve("/centers/7/manage/").func)
