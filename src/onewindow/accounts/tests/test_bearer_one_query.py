"""A bearer request reads its token, the owner and the owner's roles in one statement (issue #17),
and that statement builds the same objects the ORM would; refusals still happen at once."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts import permissions as perms
from onewindow.accounts import services
from onewindow.accounts.api_auth import token_with_owner_and_roles
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import ApiToken, StaffRole, User
from onewindow.accounts.testing import Principals, StaffRoleFactory, make_api_token
from onewindow.core.testing import StatementBudget

ME = "/api/v1/accounts/me"

BEARER_BUDGET = [
    (r'FROM "accounts_apitoken" t LEFT JOIN "accounts_user" u .*LEFT JOIN "accounts_staffrole" r',
     "the token, its owner and the owner's valid roles with department and region (auth, /me's roles)"),
]


def bearer_client(bearer: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {bearer}"})


def orm_roles(user: User) -> list[StaffRole]:
    """What valid_roles read with the ORM before issue #17."""
    return list(StaffRole.objects.filter(user=user, valid=True).select_related("department", "region"))


def field_values(obj: object) -> dict[str, object]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}  # type: ignore[attr-defined]


def test_a_staff_token_request_to_me_runs_one_statement(principals: Principals) -> None:
    """The manager holds a department role and a region role: /me lists both from the one statement."""
    _token, bearer = make_api_token(owner=principals.manager, scopes=["accounts:read"])
    client = bearer_client(bearer)
    assert client.get(ME).status_code == 200  # the first use writes last_used_at (once a minute)
    with StatementBudget([*BEARER_BUDGET,
                          (r'FROM "accounts_person"', "the view's own read: the owner's person (user.person)"),
                          (r'FROM "accounts_person"', "the view's own read: that person's detail (masked)")]):
        me = client.get(ME).json()
    assert me["roles"] == [
        {"role": StaffRoleKind.CENTER_MANAGER, "department": None, "region": principals.district.code},
        {"role": StaffRoleKind.DEPARTMENT_ADMIN, "department": principals.department.code, "region": None},
    ]
    assert (me["kind"], me["username"], me["is_staff"], me["is_system_admin"]) == ("token", "p_manager", True, False)


def test_a_device_token_without_owner_runs_one_statement(principals: Principals) -> None:
    client = bearer_client(principals.device_bearer)
    assert client.get(ME).status_code == 200
    with StatementBudget([(BEARER_BUDGET[0][0], "the token (no owner, so no roles)")]):
        assert client.get(ME).json()["roles"] == []


def test_the_one_statement_builds_what_the_orm_builds(principals: Principals) -> None:
    manager = principals.manager
    StaffRoleFactory.create(user=manager, role=StaffRoleKind.REVIEWER, department=principals.other_department,
                            valid=False, revoked_at=timezone.now())  # not valid: never listed
    token, _bearer = make_api_token(owner=manager, scopes=["accounts:read", "cases:read"],
                                    expires_at=timezone.now() + datetime.timedelta(days=3))
    loaded = token_with_owner_and_roles(token.prefix)
    assert loaded is not None
    assert field_values(loaded) == field_values(ApiToken.objects.get(pk=token.pk))
    assert loaded.scopes == ["accounts:read", "cases:read"]
    assert loaded.expires_at is not None and loaded.expires_at.tzinfo is not None
    with CaptureQueriesContext(connection) as after:
        owner = loaded.owner
        roles = perms.valid_roles(owner)
        related = [(r.department, r.region) for r in roles]
    assert len(after.captured_queries) == 0  # owner, roles, departments and regions all came with the token
    assert field_values(owner) == field_values(User.objects.get(pk=manager.pk))
    expected = orm_roles(manager)
    assert [field_values(r) for r in roles] == [field_values(r) for r in expected]
    assert related == [(r.department, r.region) for r in expected]
    assert [field_values(d) for d, _r in related if d] == [field_values(r.department) for r in expected if r.department]
    assert [field_values(g) for _d, g in related if g] == [field_values(r.region) for r in expected if r.region]
    assert token_with_owner_and_roles("000000000000") is None


def test_valid_roles_of_a_session_user_equal_the_orms(principals: Principals) -> None:
    manager = User.objects.get(pk=principals.manager.pk)
    with CaptureQueriesContext(connection) as reads:
        roles = perms.valid_roles(manager)
        again = perms.valid_roles(manager)
    assert len(reads.captured_queries) == 1  # once per request (cached on the user object)
    assert [field_values(r) for r in roles] == [field_values(r) for r in orm_roles(manager)]
    assert [r.pk for r in again] == [r.pk for r in roles]
    assert perms.valid_roles(User.objects.get(pk=principals.citizen.pk)) == []


def test_a_revoked_token_is_refused_on_the_next_request(principals: Principals) -> None:
    token, bearer = make_api_token(owner=principals.clerk, scopes=["accounts:read"])
    client = bearer_client(bearer)
    assert client.get(ME).status_code == 200
    services.api_token_revoke(by=principals.admin, token=token, reason="离职")
    used = ApiToken.objects.get(pk=token.pk).last_used_at
    refused = client.get(ME)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == used


def test_a_token_is_refused_once_it_expires(principals: Principals) -> None:
    token, bearer = make_api_token(owner=principals.clerk, scopes=["accounts:read"])
    client = bearer_client(bearer)
    assert client.get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1),
                                                last_used_at=None)
    refused = client.get(ME)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_expired")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_a_token_of_a_deactivated_user_is_refused_on_the_next_request(principals: Principals) -> None:
    token, bearer = make_api_token(owner=principals.clerk, scopes=["accounts:read"])
    client = bearer_client(bearer)
    assert client.get(ME).status_code == 200
    User.objects.filter(pk=principals.clerk.pk).update(is_active=False)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=None)
    refused = client.get(ME)
    assert (refused.status_code, refused.json()["code"]) == (401, "token_owner_inactive")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_a_revoked_role_is_gone_on_the_next_request(principals: Principals) -> None:
    _token, bearer = make_api_token(owner=principals.clerk, scopes=["accounts:read"])
    client = bearer_client(bearer)
    assert client.get(ME).json()["is_staff"] is True
    StaffRole.objects.filter(user=principals.clerk).update(valid=False, revoked_at=timezone.now())
    me = client.get(ME).json()
    assert (me["roles"], me["is_staff"]) == ([], False)
