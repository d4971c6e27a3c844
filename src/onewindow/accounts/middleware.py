"""Staff two-factor gate: with ONEWINDOW_REQUIRE_STAFF_2FA, a staff session that has not verified
a TOTP device this session is sent to enrol or verify before any page (GB/T 22239-2019 身份鉴别).
The API answers such sessions itself with ``otp_required`` (api_auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import otp
from .api_auth import staff_needs_otp

OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/", "/api/", "/healthz",
                 "/display/", "/favicon")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(OPEN_PREFIXES)
                and staff_needs_otp(user)):
            step = "accounts:otp-verify" if otp.confirmed_device(user) else "accounts:otp-enrol"
            return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
