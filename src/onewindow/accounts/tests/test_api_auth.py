"""Bearer tokens and sessions: revoked, expired and unknown tokens are refused; scopes; CSRF."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts import services
from onewindow.accounts.models import ApiToken, Mandate, hash_token_secret
from onewindow.accounts.testing import Principals, make_api_token

ME = "/api/v1/accounts/me"


def bearer_client(bearer: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {bearer}"})


def test_device_token_is_accepted_and_describes_itself(principals: Principals) -> None:
    response = bearer_client(principals.device_bearer).get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "kind": "token", "username": None, "person": None, "organization": None, "roles": [],
        "is_staff": False, "is_system_admin": False, "token_name": "静安区取号机 01", "scopes": ["device"],
    }


def test_revoked_token_is_refused(principals: Principals) -> None:
    services.api_token_revoke(by=principals.admin, token=principals.device_token, reason="设备丢失")
    response = bearer_client(principals.device_bearer).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_expired_token_is_refused(db: None) -> None:
    token, bearer = make_api_token(scopes=["device"], expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = bearer_client(bearer).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


@pytest.mark.parametrize("bearer", ["garbage", "ow_123456789abc_wrong-secret", "ow_short_x", ""])
def test_unknown_or_malformed_token_is_refused(principals: Principals, bearer: str) -> None:
    # A real prefix with a wrong secret must fail the hash comparison too.
    real_prefix = principals.device_token.prefix
    bearer = bearer.replace("123456789abc", real_prefix)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] in {"token_invalid", "unauthenticated"}
    assert ApiToken.objects.get(pk=principals.device_token.pk).last_used_at is None


def test_wrong_secret_with_real_prefix_is_token_invalid(principals: Principals) -> None:
    bearer = f"ow_{principals.device_token.prefix}_not-the-secret"
    response = bearer_client(bearer).get(ME)
    assert (response.status_code, response.json()["code"]) == (401, "token_invalid")


def test_only_the_hash_of_the_secret_is_stored(principals: Principals) -> None:
    token, bearer = services.api_token_issue(by=principals.admin, name="统计接口", scopes=["catalog:read"],
                                             system_name="stats")
    secret = bearer.split("_", 2)[2]
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.secret_hash == hash_token_secret(secret)
    assert secret not in json.dumps([stored.name, stored.prefix, stored.secret_hash, stored.scopes])


def test_last_used_is_written_at_most_once_a_minute(principals: Principals) -> None:
    client = bearer_client(principals.device_bearer)
    assert client.get(ME).status_code == 200
    first = ApiToken.objects.get(pk=principals.device_token.pk).last_used_at
    assert first is not None
    assert client.get(ME).status_code == 200
    assert ApiToken.objects.get(pk=principals.device_token.pk).last_used_at == first
    old = first - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=principals.device_token.pk).update(last_used_at=old)
    assert client.get(ME).status_code == 200
    assert ApiToken.objects.get(pk=principals.device_token.pk).last_used_at > first


def test_user_token_acts_as_its_owner_within_its_scopes(principals: Principals) -> None:
    _token, bearer = make_api_token(owner=principals.clerk, scopes=["accounts:read"])
    client = bearer_client(bearer)
    me = client.get(ME).json()
    assert (me["kind"], me["username"], me["scopes"]) == ("token", "p_clerk", ["accounts:read"])
    number = principals.citizen.person.id_number
    found = client.post("/api/v1/accounts/persons/lookup", data=json.dumps({"id_number": number}),
                        content_type="application/json")
    assert found.status_code == 200
    assert [p["ref"] for p in found.json()["items"]] == [principals.citizen.person.ref]
    before = Mandate.objects.count()
    refused = client.post("/api/v1/accounts/mandates", data=json.dumps({"agent_id_number": number}),
                          content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")
    assert Mandate.objects.count() == before


def test_session_writes_need_the_csrf_token(principals: Principals) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(principals.admin)
    body = json.dumps({"name": "x", "scopes": ["device"], "system_name": "s"})
    before = ApiToken.objects.count()
    refused = client.post("/api/v1/accounts/tokens", data=body, content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "csrf_failed")
    assert ApiToken.objects.count() == before
    client.get("/accounts/login/")  # sets the csrftoken cookie
    csrf = client.cookies["csrftoken"].value
    accepted = client.post("/api/v1/accounts/tokens", data=body, content_type="application/json",
                           headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    assert ApiToken.objects.count() == before + 1


def test_anonymous_write_is_401_not_a_csrf_error(db: None) -> None:
    response = Client(enforce_csrf_checks=True).post("/api/v1/accounts/mandates", data="{}",
                                                     content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")


def test_staff_session_without_otp_is_refused_when_2fa_is_required(principals: Principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_REQUIRE_STAFF_2FA = True
    staff = principals.client("clerk").get(ME)
    assert (staff.status_code, staff.json()["code"]) == (403, "otp_required")
    citizen = principals.client("citizen").get(ME)
    assert citizen.status_code == 200
    device = principals.client("device").get(ME)
    assert device.status_code == 200
