"""Session middleware of accounts.

- StaffTwoFactorMiddleware: with ONEWINDOW_REQUIRE_STAFF_2FA, a staff session that has not
  verified a TOTP device this session is sent to enrol or verify before any page (GB/T
  22239-2019 身份鉴别). The API answers such sessions itself with ``otp_required`` (api_auth.py).
- SessionTimeoutMiddleware: idle timeout and absolute lifetime (session_timeout.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.audit import audit_record

from . import otp, session_timeout
from . import permissions as perms
from .api_auth import staff_needs_otp
from .reauth import return_path

#: Why a session ended, as the login page and the API say it.
SESSION_EXPIRED = {
    "idle": _("由于长时间未操作，您已自动退出登录，请重新登录。"),
    "absolute": _("登录已超过最长有效时间，请重新登录。"),
}

OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/", "/api/", "/healthz",
                 "/display/", "/favicon")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path first: under /api/ (which answers ``otp_required`` itself) and the other open
        # prefixes the lazy user is never loaded here, so a bearer request loads no session user.
        if request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and staff_needs_otp(user):
            step = "accounts:otp-verify" if otp.confirmed_device(user) else "accounts:otp-enrol"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Ends idle sessions and staff sessions past their absolute lifetime (session_timeout.py).

    Sits after AuthenticationMiddleware and before
    StaffTwoFactorMiddleware. Answers for an ended session: a page gets a redirect to the login
    page saying why (``?timeout=idle|absolute``); an htmx request or background poll 401 with
    ``HX-Redirect`` to that page; the API 401 ``session_expired`` in the error shape. The end is
    audited as ``session.timeout``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        # No session key (no session cookie: a bearer-token or anonymous request): there is no
        # logged-in session to time out, so the lazy user is not loaded for it here.
        session = getattr(request, "session", None)
        if session is None or session.session_key is None:
            return None
        user = getattr(request, "user", None)
        # A device-bound browser (kiosk, display) needs no login: its credential is the binding
        # cookie, which a logout leaves alone. A person who logs in on it times out like anywhere.
        if user is None or not user.is_authenticated:
            return None
        now = timezone.now().timestamp()
        reason = session_timeout.expiry_reason(request, now)
        poll = session_timeout.is_background_poll(view_func)
        if reason is None:
            if not poll:
                session_timeout.record_activity(request, now)
            return None
        return self._end(request, reason, poll=poll)

    def _end(self, request: HttpRequest, reason: str, *, poll: bool) -> HttpResponse:
        login_url = (f"{resolve_url(settings.LOGIN_URL)}?"
                     f"{urlencode({'next': return_path(request), 'timeout': reason})}")
        audit_record(actor=request.user, action="session.timeout", after={"reason": reason},
                     role=perms.primary_role(request.user))
        logout(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "session_expired", "message": str(SESSION_EXPIRED[reason]), "fields": {}},
                                status=401, json_dumps_params={"ensure_ascii": False})
        if poll or request.headers.get("HX-Request"):
            response = HttpResponse(str(SESSION_EXPIRED[reason]), status=401,
                                    content_type="text/plain; charset=utf-8")
            response["HX-Redirect"] = login_url
            return response
        return HttpResponseRedirect(login_url)
