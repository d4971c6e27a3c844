"""API authentication for every app: the browser session or a bearer machine token.

Use ``auth=session_or_token`` on operations that people and machines may call, ``auth=token_only``
on machine-only ones, and :func:`require_scope` inside a handler to demand a token scope::

    from onewindow.accounts.api_auth import require_scope, session_or_token

    @router.get("/things", auth=session_or_token)
    def things(request):
        principal = require_scope(request, "catalog:read")
        ...

``request.auth`` is then a :class:`Principal`. A session counts as holding every scope (people
are limited by their roles in selectors and services); a token holds only its scopes. For a
token owned by a user, ``request.user`` is that user.

Session writes are CSRF-checked; an anonymous caller gets 401, never a CSRF 403. When
``ONEWINDOW_REQUIRE_STAFF_2FA`` is on, a staff session without a verified TOTP device is refused
with ``otp_required`` (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from onewindow.core.errors import DomainError, PermissionDenied

from . import permissions as perms
from .models import ApiToken, User, parse_token
from .services import token_accept


@dataclass(frozen=True)
class Principal:
    """Who is calling the API: a logged-in user (session) or a machine token (with its owner)."""

    user: User | None
    token: ApiToken | None = None
    scopes: frozenset[str] | None = None  # None: a session, which is limited by roles instead

    @property
    def kind(self) -> str:
        return "token" if self.token is not None else "session"

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def __bool__(self) -> bool:  # ninja treats a falsy result as "not authenticated"
        return True


_TOKEN_COLUMNS = perms.ModelColumns(ApiToken, "t")
_OWNER_COLUMNS = perms.ModelColumns(User, "u")
_BEARER_SQL: dict[str, str] = {}


def token_with_owner_and_roles(prefix: str) -> ApiToken | None:
    """The token of ``prefix`` with its owner and the owner's valid roles (department, region), in
    one statement written once per process: an API request by token then needs no other query to
    know who calls and with which roles (issue #17; was three ORM queries, compiled each time).
    Read on every request, never cached: a revocation, an expiry or a deactivated owner takes
    effect on the next request."""
    using = ApiToken.objects.db
    sql = _BEARER_SQL.get(using)
    if sql is None:
        qn = connections[using].ops.quote_name
        cols = ", ".join(c.sql(using) for c in (_TOKEN_COLUMNS, _OWNER_COLUMNS, *perms.ROLE_COLUMNS))
        # Identifiers from the models' metadata only; values are parameters.
        sql = (f"SELECT {cols} FROM {_TOKEN_COLUMNS.table(using)}"  # noqa: S608
               f" LEFT JOIN {_OWNER_COLUMNS.table(using)} ON u.{qn('id')} = t.{qn('owner_id')}"
               f"{perms.role_join_sql(using, 'u.' + qn('id'))} WHERE t.{qn('prefix')} = %s"
               f"{perms.role_order_sql(using)}")
        _BEARER_SQL[using] = sql
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, prefix])
        rows = cursor.fetchall()
    if not rows:
        return None
    token: ApiToken = _TOKEN_COLUMNS.build(rows[0], 0, connection)
    owner = _OWNER_COLUMNS.build(rows[0], len(_TOKEN_COLUMNS), connection)
    ApiToken.owner.field.set_cached_value(token, owner)
    if owner is not None:
        perms.cache_roles(owner, perms.roles_from_rows(rows, len(_TOKEN_COLUMNS) + len(_OWNER_COLUMNS),
                                                       connection))
    return token


def bearer_authenticate(bearer: str) -> ApiToken:
    """``services.token_refusal`` (the one check of every token path: ``token_invalid``,
    ``token_revoked``, ``token_expired``, ``token_owner_inactive``, all 401) on the token of
    :func:`token_with_owner_and_roles`; ``last_used_at`` written at most once a minute."""
    parts = parse_token(bearer)
    token = token_with_owner_and_roles(parts[0]) if parts else None
    return token_accept(token, parts[1] if parts else None)


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer ow_<prefix>_<secret>`` (accounts.ApiToken)."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        api_token = bearer_authenticate(token)
        if api_token.owner is not None:
            request.user = api_token.owner
        return Principal(user=api_token.owner, token=api_token, scopes=frozenset(api_token.scopes))


def staff_needs_otp(user: Any) -> bool:
    """True when 2FA is required and this staff user has not verified a TOTP device this session."""
    if not getattr(settings, "ONEWINDOW_REQUIRE_STAFF_2FA", False):
        return False
    if not perms.is_staff_member(user):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


class SessionCsrfAuth(APIKeyCookie):
    """The Django session; CSRF is enforced on unsafe methods (as ninja's ``django_auth``), but
    only once a user is logged in, so an anonymous call gets 401 rather than a CSRF 403."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise DomainError(_("安全校验失败，请刷新页面后重试"), code="csrf_failed", status=403)
        return request.COOKIES.get(self.param_name) or "session"

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if key is None or not isinstance(user, User) or not user.is_authenticated:
            return None
        if staff_needs_otp(user):
            raise PermissionDenied(_("工作人员须先完成双因素认证"), code="otp_required")
        return Principal(user=user)


token_only = BearerTokenAuth()
session_only = SessionCsrfAuth()
session_or_token = [token_only, session_only]


def principal_of(request: HttpRequest) -> Principal:
    """The authenticated principal of an API request (401 when there is none)."""
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):
        raise HttpError(401, str(_("请先登录，或提供有效的访问令牌。")))
    return principal


def require_scope(request: HttpRequest, scope: str) -> Principal:
    """The principal, if it may use ``scope``: sessions may (roles decide), tokens only when the
    scope was granted (``insufficient_scope``, 403)."""
    principal = principal_of(request)
    if not principal.has_scope(scope):
        raise PermissionDenied(_("此令牌没有执行该操作的权限"), code="insufficient_scope")
    return principal


def require_user(request: HttpRequest, scope: str) -> User:
    """The user the caller acts as, for an operation that acts for a person (my cases, my
    messages, my tax drafts, a clerk's window): ``require_scope``, then 403 ``token_without_user``
    for a machine token without an owner (a system or a device). A valid credential without the
    needed identity is a 403, never a 401 (401 is for a missing or invalid credential; decision
    0013, OWASP ASVS 5.0 V8)."""
    user = require_scope(request, scope).user
    if user is None:
        raise PermissionDenied(_("此令牌不属于任何用户，不能执行该操作。"), code="token_without_user")
    return user
