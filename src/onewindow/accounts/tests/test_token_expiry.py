"""Machine tokens expire (issue #9 point 8): a maximum lifetime, applied at issue and to the
tokens that exist; an expired token answers 401 ``token_expired`` and changes nothing; tokens
that expire soon are listed so a hall device does not go dark unannounced."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Iterator
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone

from onewindow.accounts import services
from onewindow.accounts.models import ApiToken
from onewindow.accounts.testing import Principals, make_api_token
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    with mock.patch("django.utils.timezone.now", side_effect=lambda: c.now):
        yield c


def test_a_token_issued_without_expiry_gets_the_maximum_then_answers_401_and_changes_nothing(
        principals: Principals, clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_TOKEN_MAX_DAYS = 365
    issued = clock.now
    token, bearer = services.api_token_issue(by=principals.admin, name="统计系统", scopes=["accounts:read"],
                                             owner=principals.admin)
    assert token.expires_at == issued + 365 * DAY
    client = principals.client("anonymous")
    headers = {"Authorization": f"Bearer {bearer}"}
    clock.now = issued + 365 * DAY - datetime.timedelta(seconds=1)
    assert client.get("/api/v1/accounts/me", headers=headers).status_code == 200
    last_used = ApiToken.objects.get(pk=token.pk).last_used_at
    clock.now = issued + 365 * DAY + datetime.timedelta(minutes=5)
    rows, audits = ApiToken.objects.count(), AuditEntry.objects.count()
    refused = client.get("/api/v1/accounts/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_expired"
    write = client.post("/api/v1/accounts/tokens", {"name": "x", "scopes": ["catalog:read"], "system_name": "y"},
                        content_type="application/json", headers=headers)
    assert (write.status_code, write.json()["code"]) == (401, "token_expired")
    assert (ApiToken.objects.count(), AuditEntry.objects.count()) == (rows, audits)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == last_used


def test_device_tokens_have_their_own_maximum(principals: Principals, clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_DEVICE_TOKEN_MAX_DAYS = 180
    token, _bearer = services.api_token_issue(by=principals.admin, name="取号机", scopes=["device"],
                                              system_name="device:3101060001:取号机")
    assert token.expires_at == clock.now + 180 * DAY


def test_an_expiry_beyond_the_maximum_is_refused(principals: Principals, clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_TOKEN_MAX_DAYS = 365
    rows, audits = ApiToken.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as caught:
        services.api_token_issue(by=principals.admin, name="x", scopes=["catalog:read"], system_name="y",
                                 expires_at=clock.now + 366 * DAY)
    assert (caught.value.code, list(caught.value.fields)) == ("expires_too_late", ["expires_at"])
    assert (ApiToken.objects.count(), AuditEntry.objects.count()) == (rows, audits)
    ok, _bearer = services.api_token_issue(by=principals.admin, name="x", scopes=["catalog:read"],
                                           system_name="y", expires_at=clock.now + 30 * DAY)
    assert ok.expires_at == clock.now + 30 * DAY


def test_the_data_migration_gives_tokens_without_expiry_the_maximum(clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_TOKEN_MAX_DAYS = 365
    settings.ACCOUNTS_DEVICE_TOKEN_MAX_DAYS = 180
    system, _ = make_api_token(scopes=["catalog:read"])
    device, _ = make_api_token(scopes=["device"])
    dated, _ = make_api_token(scopes=["catalog:read"], expires_at=clock.now + 7 * DAY)
    ApiToken.objects.filter(pk__in=[system.pk, device.pk]).update(expires_at=None)  # as before issue #9
    migration = importlib.import_module("onewindow.accounts.migrations.0005_api_token_expiry")
    migration.give_tokens_an_expiry(django_apps, None)
    assert ApiToken.objects.get(pk=system.pk).expires_at == clock.now + 365 * DAY
    assert ApiToken.objects.get(pk=device.pk).expires_at == clock.now + 180 * DAY
    assert ApiToken.objects.get(pk=dated.pk).expires_at == clock.now + 7 * DAY


def test_tokens_expiring_soon_are_listed(clock: Clock) -> None:
    soon, _ = make_api_token(name="叫号器 3 号窗", scopes=["device"], system_name="device:A:3",
                             expires_at=clock.now + 10 * DAY)
    make_api_token(name="later", expires_at=clock.now + 100 * DAY)
    make_api_token(name="gone", expires_at=clock.now - DAY)
    revoked, _ = make_api_token(name="revoked", expires_at=clock.now + 5 * DAY)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=clock.now)
    out = StringIO()
    call_command("tokens_expiring", "--days", "30", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2  # a heading and one token
    assert f"ow_{soon.prefix}_" in lines[1] and "叫号器 3 号窗" in lines[1] and "device:A:3" in lines[1]


def test_a_token_created_by_any_path_expires(clock: Clock, settings: Any) -> None:
    settings.ACCOUNTS_DEVICE_TOKEN_MAX_DAYS = 180
    token, _bearer = make_api_token(scopes=["device"])  # straight to the model, as the demo does
    assert ApiToken.objects.get(pk=token.pk).expires_at == clock.now + 180 * DAY
