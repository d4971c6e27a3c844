"""Key operations need a fresh re-authentication (issue #9 point 5): issuing and revoking machine
tokens (API and admin), granting and revoking staff roles (admin), issuing a device token (centers
admin). A stale session is sent to /accounts/reauth/ (admin) or refused with 403
``reauth_required`` (API) and nothing is written; machine tokens are exempt."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from onewindow.accounts import reauth
from onewindow.accounts.models import ApiToken, StaffRole
from onewindow.accounts.testing import PASSWORD, Principals, make_api_token
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _stale(client: Client) -> Client:
    session = client.session
    session.pop(reauth.SESSION_KEY, None)
    session.save()
    return client


def _counts() -> tuple[int, int, int]:
    return ApiToken.objects.count(), StaffRole.objects.count(), AuditEntry.objects.count()


def test_token_issue_and_revoke_by_api_need_a_fresh_reauthentication(principals: Principals) -> None:
    client = _stale(principals.client("admin"))
    target, _bearer = make_api_token(name="old")
    before = _counts()
    body = json.dumps({"name": "统计", "scopes": ["catalog:read"], "system_name": "stats"})
    issued = client.post("/api/v1/accounts/tokens", body, content_type="application/json")
    assert (issued.status_code, issued.json()["code"]) == (403, "reauth_required")
    revoked = client.post(f"/api/v1/accounts/tokens/{target.pk}/revoke", json.dumps({"reason": "泄露"}),
                          content_type="application/json")
    assert (revoked.status_code, revoked.json()["code"]) == (403, "reauth_required")
    assert _counts() == before
    assert ApiToken.objects.get(pk=target.pk).revoked_at is None
    assert client.post("/accounts/reauth/", {"password": PASSWORD}).status_code == 302
    assert client.post("/api/v1/accounts/tokens", body, content_type="application/json").status_code == 201


def test_a_machine_token_is_exempt(principals: Principals) -> None:
    """A guard (passes before and after): tokens have no session to re-authenticate."""
    _token, bearer = make_api_token(owner=principals.admin, scopes=["tokens:manage"])
    client = Client(headers={"Authorization": f"Bearer {bearer}"})
    body = json.dumps({"name": "统计", "scopes": ["catalog:read"], "system_name": "stats"})
    assert client.post("/api/v1/accounts/tokens", body, content_type="application/json").status_code == 201


@pytest.mark.parametrize("url", ["/admin/accounts/apitoken/add/", "/admin/accounts/staffrole/add/",
                                 "/admin/centers/device/add/"])
def test_admin_add_forms_of_key_operations_need_a_fresh_reauthentication(principals: Principals,
                                                                          url: str) -> None:
    client = _stale(principals.client("admin"))
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/reauth/?next={url.replace('/', '%2F')}")
    client.post("/accounts/reauth/", {"password": PASSWORD})
    assert client.get(url).status_code == 200


def test_admin_revoke_actions_need_a_fresh_reauthentication(principals: Principals) -> None:
    client = _stale(principals.client("admin"))
    target, _bearer = make_api_token(name="old")
    role = StaffRole.objects.filter(user=principals.clerk).first()
    assert role is not None
    before = _counts()
    changelist = "/admin/accounts/apitoken/"
    response = client.post(changelist, {"action": "revoke_selected", "_selected_action": [target.pk]},
                           headers={"Referer": f"http://testserver{changelist}"})
    assert (response.status_code, response["Location"]) == (
        302, "/accounts/reauth/?next=%2Fadmin%2Faccounts%2Fapitoken%2F")
    response = client.post("/admin/accounts/staffrole/", {"action": "revoke_selected", "_selected_action": [role.pk]})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauth/")
    assert _counts() == before
    assert ApiToken.objects.get(pk=target.pk).revoked_at is None
    assert StaffRole.objects.get(pk=role.pk).valid is True


def test_the_user_admin_forms_need_a_fresh_reauthentication(principals: Principals) -> None:
    client = _stale(principals.client("admin"))
    url = f"/admin/accounts/user/{principals.citizen.pk}/change/"
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/reauth/?next={url.replace('/', '%2F')}")
    posted = client.post(url, {"username": principals.citizen.username, "is_superuser": "on", "is_staff": "on"},
                         headers={"Referer": f"http://testserver{url}"})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/reauth/")
    principals.citizen.refresh_from_db()
    assert (principals.citizen.is_superuser, principals.citizen.is_staff) == (False, False)
    assert client.get("/admin/accounts/user/add/").status_code == 302
    assert client.get(f"/admin/accounts/user/{principals.citizen.pk}/password/").status_code == 302
    assert client.get("/admin/accounts/user/").status_code == 200  # the list alone is not a key operation
