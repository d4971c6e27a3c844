"""Session idle timeout and absolute lifetime (登录连接超时自动退出).

Rules (GB/T 22239-2019 等保2.0 三级 身份鉴别 c: 登录连接超时自动退出; OWASP ASVS 5.0 V7.3):

- A session idle longer than its limit ends: ``ACCOUNTS_STAFF_IDLE_SECONDS`` (default 900 s,
  15 min) for staff, ``ACCOUNTS_CITIZEN_IDLE_SECONDS`` (default 1800 s, 30 min: citizens fill
  long application forms at home and handle less personal data of others) for everyone else.
- A staff session ends ``ACCOUNTS_STAFF_SESSION_MAX_SECONDS`` (default 43200 s, 12 h) after the
  login however active it is, so a shift's session does not outlive the shift.
- Background polling is not activity: a view marked :func:`background_poll` (htmx fragments
  refreshing every few seconds, status pages, live views) neither counts as activity nor keeps
  the session alive; a poll after the limit ends the session like any other request.
- Browsers bound to a device credential (kiosk, display: ``request.bound_device`` set by the
  centers middleware) work without a login, so there is no session to time out; their credential
  is the binding cookie. A person who logs in on such a browser (a guide-desk clerk granting the
  elderly lane) is logged out after the staff idle limit like anywhere, and the binding stays.

The middleware that applies these rules is :class:`onewindow.accounts.middleware.SessionTimeoutMiddleware`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from . import permissions as perms

#: POSIX seconds of the login and of the last request that counted as activity.
SESSION_STARTED = "_onewindow_session_started"
SESSION_ACTIVE = "_onewindow_session_active"
#: Activity is written to the session at most this often (a session write per request would
#: cost a database write per click); the idle limit is therefore exact to within this.
ACTIVITY_RESOLUTION_SECONDS = 30

DEFAULT_STAFF_IDLE_SECONDS = 15 * 60
DEFAULT_CITIZEN_IDLE_SECONDS = 30 * 60
DEFAULT_STAFF_SESSION_MAX_SECONDS = 12 * 3600

View = TypeVar("View", bound=Callable[..., Any])


def background_poll(view: View) -> View:
    """Mark a view as a background poll: its requests are not user activity (the attribute
    survives ``functools.wraps``-based decorators applied on top)."""
    view.background_poll = True  # type: ignore[attr-defined]
    return view


def is_background_poll(view: Any) -> bool:
    return bool(getattr(view, "background_poll", False))


def idle_limit_seconds(user: Any) -> int:
    """The idle limit for this user: the staff one for staff, else the citizen one."""
    if perms.is_staff_member(user):
        return int(getattr(settings, "ACCOUNTS_STAFF_IDLE_SECONDS", DEFAULT_STAFF_IDLE_SECONDS))
    return int(getattr(settings, "ACCOUNTS_CITIZEN_IDLE_SECONDS", DEFAULT_CITIZEN_IDLE_SECONDS))


def absolute_limit_seconds(user: Any) -> int | None:
    """The absolute lifetime of a staff session; None for citizens (their idle limit applies)."""
    if perms.is_staff_member(user):
        return int(getattr(settings, "ACCOUNTS_STAFF_SESSION_MAX_SECONDS", DEFAULT_STAFF_SESSION_MAX_SECONDS))
    return None


def expiry_reason(request: HttpRequest, now: float) -> str | None:
    """``"idle"`` or ``"absolute"`` when the request's session has run out, else None.
    A session without timestamps (logged in before this rule existed) starts counting now."""
    session = request.session
    user = request.user
    started = _float(session.get(SESSION_STARTED))
    active = _float(session.get(SESSION_ACTIVE))
    if started is None or active is None:
        session[SESSION_STARTED] = started if started is not None else now
        session[SESSION_ACTIVE] = now
        return None
    limit = absolute_limit_seconds(user)
    if limit is not None and now - started > limit:
        return "absolute"
    if now - active > idle_limit_seconds(user):
        return "idle"
    return None


def record_activity(request: HttpRequest, now: float) -> None:
    """Note a request the user made (not a background poll)."""
    active = _float(request.session.get(SESSION_ACTIVE))
    if active is None or now - active >= ACTIVITY_RESOLUTION_SECONDS or now < active:
        request.session[SESSION_ACTIVE] = now


def on_user_logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None,
                      **kwargs: Any) -> None:
    """A login starts both clocks."""
    session = getattr(request, "session", None)
    if session is not None:
        now = timezone.now().timestamp()
        session[SESSION_STARTED] = now
        session[SESSION_ACTIVE] = now


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
