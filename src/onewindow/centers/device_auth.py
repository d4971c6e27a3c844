"""Authentication of the hall devices (取号叫号评价器: ticket printers, call keypads, rating pads,
kiosks) on the centers API: ``Authorization: Bearer ow_<prefix>_<secret>``.

The bearer is an accounts.ApiToken holding the scope ``device``; the token's Device (one-to-one)
is the caller, and services receive that Device as ``by`` (permissions.is_center_staff then
limits it to its own center, and the services to its window). Refusals, all ``{code, message,
fields}``: an unknown, revoked or expired token 401 (``token_invalid`` / ``token_revoked`` /
``token_expired``); a token without the ``device`` scope 403 ``insufficient_scope``; a token bound
to no device 403 ``device_unknown``; a deactivated device or a device of a closed-down center 403
``device_inactive``. Revoking the token or deactivating the device shuts the device out at the
next request. Basis: GB/T 22239-2019 (身份鉴别, 访问控制): one credential per device, least
privilege, revocable alone.

``last_seen_at`` (the manager's "device online" view) and the token's ``last_used_at`` are written at
most once a minute, by one conditional UPDATE each, so a busy keypad does not write on every key press.

Browsers (kiosk, hall display; decision 0008) carry no bearer header: at enrolment
(services.device_enrol) they get a signed cookie ``<binding id>:<secret>``; the centers
middleware (``BoundDeviceMiddleware``) sets ``request.bound_device`` from it through
:func:`binding_device`, and the device pages call :func:`page_device` — refused with 403
``device_not_enrolled`` without a bound device, ``device_wrong_center`` for a device of another
center and ``device_kind_not_allowed`` for a device of the wrong kind.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Field, Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from onewindow.accounts.models import ApiToken, parse_token
from onewindow.accounts.services import api_token_authenticate, token_refusal
from onewindow.core.errors import DomainError, PermissionDenied

from .models import Device, DeviceBinding

DEVICE_SCOPE = "device"
SEEN_INTERVAL = datetime.timedelta(minutes=1)
COOKIE_SALT = "onewindow.centers.device-binding"


class DeviceBearerAuth(HttpBearer):
    """The device behind a bearer token; ``request.auth`` is the :class:`~centers.models.Device`.

    One query on the accepting path (issue #17): the device with its token (and the token's owner),
    center and window, found by the token's prefix; the token is accepted only when its secret's
    SHA-256 matches (constant time), it is neither revoked nor expired, its owner (if any) is active
    and it holds the ``device`` scope. Anything else — no such device, a wrong secret, a revoked token
    — is handed to ``accounts.services.api_token_authenticate``, which refuses with its own codes and
    messages (token_invalid, token_revoked, token_expired, token_owner_inactive); only then are
    insufficient_scope and device_unknown given here. Revocation therefore counts at the very next
    request, as before: nothing about the token is cached.

    ``fold=True`` (the hall's hot writes: take, call-next, skip): the once-a-minute ``last_used_at`` /
    ``last_seen_at`` writes are not made here but by :func:`seen` inside the operation's own
    transaction, so a device's first request of the minute is one write transaction, not three.
    """

    def __init__(self, *, fold: bool = False) -> None:
        super().__init__()
        self.fold = fold

    def authenticate(self, request: HttpRequest, token: str) -> Device:
        now = timezone.now()
        device = _device_by_token(token, now)
        if device is None:
            api_token = api_token_authenticate(bearer=token)  # refuses with the token's own code, or accepts
            if DEVICE_SCOPE not in (api_token.scopes or []):
                raise PermissionDenied(_("此令牌没有执行该操作的权限"), code="insufficient_scope")
            device = Device.objects.select_related("center", "window").filter(token=api_token).first()
            if device is None:
                raise PermissionDenied(_("此令牌未绑定任何设备。"), code="device_unknown")
            device.token = api_token  # touched by api_token_authenticate already
        if not device.is_active or not device.center.is_active:
            raise PermissionDenied(_("该设备已停用，请联系中心管理员。"), code="device_inactive")
        if self.fold:
            if any(_due(device, device.token, now)):
                device._touch_due = now  # type: ignore[attr-defined]  # written by seen() in the operation
        else:
            touch(device, now, api_token=device.token)
        return device


def _device_by_token(bearer: str, now: datetime.datetime) -> Device | None:
    """The device of a bearer token that passes every check of ``api_token_authenticate`` plus the
    ``device`` scope, in one query; None for anything to be refused (or decided) the long way."""
    parts = parse_token(bearer)
    if parts is None:
        return None
    device = _device_row(parts[0])
    if device is None:
        return None
    api_token = device.token
    # accounts' one check of every token path; any refusal is decided again (and answered) the long way.
    if (token_refusal(api_token, parts[1], owner_active=device.owner_active, now=now) is not None  # type: ignore[attr-defined]
            or DEVICE_SCOPE not in (api_token.scopes or [])):
        return None
    return device


_ROW: dict[str, tuple[str, list[tuple[type[Model], list[str], list[list[Any]]]]]] = {}


def _row_sql() -> tuple[str, list[tuple[type[Model], list[str], list[list[Any]]]]]:
    """The device with its token, center and window and the token owner's ``is_active``, by the token's prefix:
    the statement and, per model, its field names and each column's converters — built once per process from
    the models' ``_meta`` (issue #17: compiling this four-table query and hydrating it through the ORM cost
    more than the query; names quoted by the backend, the prefix a parameter; no ORDER BY: it is unique)."""
    built = _ROW.get(connection.vendor)
    if built is not None:
        return built
    from django.contrib.auth import get_user_model

    from .models import Center, Window

    quote = connection.ops.quote_name
    user = get_user_model()
    parts: list[tuple[type[Model], list[str], list[list[Any]]]] = []
    columns: list[str] = []
    for model, alias in ((Device, "d"), (ApiToken, "t"), (Center, "c"), (Window, "w")):
        fields = list(model._meta.concrete_fields)
        columns += [f"{alias}.{quote(f.column)}" for f in fields]
        converters = [connection.ops.get_db_converters(f.get_col(alias))
                      + f.get_db_converters(connection)  # type: ignore[attr-defined]  # Field has it; the stubs not
                      for f in fields]
        parts.append((model, [f.attname for f in fields], converters))
    def column(model: type[Model], name: str) -> str:
        field = model._meta.get_field(name)
        assert isinstance(field, Field)
        return str(quote(str(field.column)))

    pk = quote("id")
    fk = {name: column(Device, name) for name in ("token", "center", "window")}
    sql = (f"SELECT {', '.join(columns)}, u.{column(user, 'is_active')} "  # noqa: S608 - names
           f"FROM {quote(Device._meta.db_table)} d "
           f"JOIN {quote(ApiToken._meta.db_table)} t ON t.{pk} = d.{fk['token']} "
           f"JOIN {quote(Center._meta.db_table)} c ON c.{pk} = d.{fk['center']} "
           f"LEFT JOIN {quote(Window._meta.db_table)} w ON w.{pk} = d.{fk['window']} "
           f"LEFT JOIN {quote(user._meta.db_table)} u ON u.{pk} = t.{column(ApiToken, 'owner')} "
           f"WHERE t.{column(ApiToken, 'prefix')} = %s")
    built = (sql, parts)
    _ROW[connection.vendor] = built
    return built


def _device_row(prefix: str) -> Device | None:
    """The device of a token prefix with its token, center and window loaded (``owner_active`` set), or None."""
    sql, parts = _row_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    loaded: list[Model | None] = []
    at = 0
    for model, names, converters in parts:
        values = list(row[at:at + len(names)])
        at += len(names)
        if values[0] is None:  # no window
            loaded.append(None)
            continue
        for i, chain in enumerate(converters):
            for convert in chain:
                values[i] = convert(values[i], None, connection)
        loaded.append(model.from_db(DEFAULT_DB_ALIAS, names, values))
    device, api_token, center, window = loaded
    assert isinstance(device, Device) and isinstance(api_token, ApiToken)
    device.token = api_token
    device.center = center  # type: ignore[assignment]  # a Center (joined, never NULL)
    device.window = window  # type: ignore[assignment]  # a Window or None
    device.owner_active = row[at]  # type: ignore[attr-defined]
    return device


def _due(device: Device, api_token: ApiToken | None, now: datetime.datetime) -> tuple[bool, bool]:
    """(the device's last_seen_at is due, the token's last_used_at is due) at ``now``."""
    stale = now - SEEN_INTERVAL
    return (device.last_seen_at is None or device.last_seen_at < stale,
            api_token is not None and (api_token.last_used_at is None or api_token.last_used_at < stale))


def touch(device: Device, now: datetime.datetime | None = None, *, api_token: ApiToken | None = None) -> None:
    """Record that the device was seen (and, given, that its bearer token was used), at most once per
    SEEN_INTERVAL each: one conditional UPDATE each, in one transaction when both are due."""
    now = now or timezone.now()
    stale = now - SEEN_INTERVAL
    device_due, token_due = _due(device, api_token, now)
    if not device_due and not token_due:
        return
    # Plain SQL: the same conditional UPDATE as the ORM's filter().exclude().update(), without its query
    # building, which cost more than the write on the hall's hot paths (issue #17 profile).
    adapt = connection.ops.adapt_datetimefield_value  # the form the ORM stores (naive UTC on SQLite)
    # No savepoint when nested (touch_due: inside the operation's transaction): two plain UPDATEs need none.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for model, row, field, due in ((ApiToken, api_token, "last_used_at", token_due),
                                       (Device, device, "last_seen_at", device_due)):
            if due and row is not None:
                cursor.execute(f"UPDATE {model._meta.db_table} SET {field} = %s WHERE id = %s "  # noqa: S608 - names
                               f"AND ({field} IS NULL OR {field} < %s)", [adapt(now), row.pk, adapt(stale)])
                setattr(row, field, now)


def touch_due(device: Device | None) -> None:
    """Write the touches :func:`seen` deferred, here: called by the hall's hot services (take, call-next,
    skip) first thing inside their own transaction, so the touches cost no transaction and no savepoint
    of their own. Nothing deferred: nothing done."""
    due = getattr(device, "_touch_due", None) if device is not None else None
    if due is None:
        return
    assert device is not None
    device._touch_due = None  # type: ignore[attr-defined]
    touch(device, due, api_token=device.token)


@contextmanager
def seen(device: Device) -> Iterator[None]:
    """Run a device operation with the device's due touches (auth ``fold=True``) in its transaction.

    Nothing due (the usual case: at most once a minute per device): the operation runs as it is. Due: the
    operation's service writes them inside its own transaction (:func:`touch_due`; issue #17: one BEGIN and
    COMMIT, no savepoint — two round trips fewer on PostgreSQL than a savepoint inside a transaction of the
    touches). A refusal of the operation (a DomainError: 409, 429 …) rolls its transaction back, touches
    included: they are then written in a transaction of their own (a refused request: rare) and the refusal
    is raised — the device was seen either way, and nothing of the refused operation is written. An
    operation whose service did not write them gets them after it, likewise.
    """
    due = getattr(device, "_touch_due", None)
    if due is None:
        yield
        return
    api_token = device.token
    before = (device.last_seen_at, api_token.last_used_at)
    try:
        yield
    except DomainError:
        # Written (or not) and rolled back with the operation: the in-memory times as they were, then the
        # touches alone (conditional UPDATEs: nothing changes if the operation's transaction had committed).
        device._touch_due = None  # type: ignore[attr-defined]
        device.last_seen_at, api_token.last_used_at = before
        touch(device, due, api_token=api_token)
        raise
    if getattr(device, "_touch_due", None) is not None:  # the service did not write them
        touch_due(device)


device_auth = DeviceBearerAuth()
device_auth_folded = DeviceBearerAuth(fold=True)


def device_of(request: HttpRequest) -> Device:
    """The authenticated device of a request on a device operation."""
    device = getattr(request, "auth", None)
    if not isinstance(device, Device):  # pragma: no cover - the operation's auth guarantees it
        raise PermissionDenied(_("仅限中心设备调用。"), code="device_only")
    return device


# ---- device browsers (kiosk, hall display) ----------------------------------------------------

def cookie_name() -> str:
    return str(getattr(settings, "CENTERS_DEVICE_COOKIE_NAME", "ow_device"))


def binding_digest(secret: str) -> str:
    """The stored form of a binding's secret (SHA-256; the secret is 256 random bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def binding_device(value: str | None) -> Device | None:
    """The device a bound browser's cookie value ``<id>:<secret>`` stands for, or None.

    None unless the binding is live, the secret matches (constant time), the device and its
    center are active and its token still carries the ``device`` scope and is neither revoked nor
    expired. One query.
    """
    if not value or ":" not in value:
        return None
    pk, _sep, secret = value.partition(":")
    binding = (DeviceBinding.objects.select_related("device__center", "device__token")
               .filter(pk=int(pk) if pk.isdigit() else 0, revoked_at__isnull=True).first())
    if binding is None or not hmac.compare_digest(binding.secret_hash, binding_digest(secret)):
        return None
    device = binding.device
    token = device.token
    if (not device.is_active or not device.center.is_active or token.revoked_at is not None or token.is_expired()
            or DEVICE_SCOPE not in (token.scopes or [])):
        return None
    return device


def device_of_browser(request: HttpRequest) -> Device | None:
    """The device a request's browser is bound to (its signed cookie), or None."""
    value = request.get_signed_cookie(cookie_name(), default=None, salt=COOKIE_SALT)
    return binding_device(value)


def set_binding_cookie(response: HttpResponse, value: str) -> None:
    """Bind the browser: long-lived, HttpOnly, SameSite=Strict, Secure where sessions are."""
    days = int(getattr(settings, "CENTERS_DEVICE_COOKIE_DAYS", 400))
    secure = bool(getattr(settings, "CENTERS_DEVICE_COOKIE_SECURE", settings.SESSION_COOKIE_SECURE))
    response.set_signed_cookie(cookie_name(), value, salt=COOKIE_SALT, max_age=days * 86400, httponly=True,
                               secure=secure, samesite="Strict")


def signed_cookie_value(value: str) -> str:
    """The cookie as the browser holds it (what ``set_signed_cookie`` writes): for test clients."""
    return signing.get_cookie_signer(salt=cookie_name() + COOKIE_SALT).sign(value)


def page_device(request: HttpRequest, center_code: str, kinds: Collection[str]) -> Device:
    """The bound device a device page (kiosk, hall display) runs on, checked against the page's
    center and the kinds it serves; refusals are 403 with a stable code."""
    device = getattr(request, "bound_device", None)
    if not isinstance(device, Device):
        raise PermissionDenied(_("本设备尚未登记绑定，不能使用此页面。请联系中心管理员登记本设备。"),
                               code="device_not_enrolled")
    if device.center.code != str(center_code):
        raise PermissionDenied(_("本设备属于其他服务中心。"), code="device_wrong_center")
    if device.kind not in kinds:
        raise PermissionDenied(_("此类设备不能使用该页面。"), code="device_kind_not_allowed")
    touch(device)
    return device
