"""Login pages: lock-out (django-axes), the staff TOTP enrolment (granted by a system admin) and
verify steps, recovery codes, and the admin's enrolment grant page (decision 0009)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import i18n as i18n_views

from onewindow.core.errors import DomainError

from . import otp, services
from . import permissions as perms
from .api_auth import staff_needs_otp
from .models import User
from .reauth import mark_reauthenticated, reauth_is_fresh, reauth_required, reauth_url


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any,
                     **kwargs: Any) -> HttpResponse:
    """Shown after too many failed logins (django-axes): HTTP 429 with the wait time."""
    return render(request, "accounts/locked_out.html", status=429)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return "/"
    return target


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app under an admin's enrolment grant (decision 0009): scan the QR
    code, then type the enrolment code from the admin and one code from the app. Without a grant
    nothing is created (403). On success the 10 recovery codes are shown, once."""
    has_device = otp.confirmed_device(request.user) is not None
    if has_device and otp.open_grant(request.user) is None:
        return redirect(f"{reverse('accounts:otp-verify')}?{urlencode({'next': _next(request)})}")
    try:
        device = otp.otp_enrolment_device(user=request.user)
    except DomainError as exc:
        return render(request, "accounts/otp_enrol.html", {"not_granted": exc, "next": _next(request)},
                      status=exc.status)
    error = None
    if request.method == "POST":
        try:
            codes = otp.otp_device_confirm(by=request.user, device=device, token=request.POST.get("token", ""),
                                           enrolment_code=request.POST.get("enrolment_code", ""))
        except DomainError as exc:
            error = exc
            _count_failure(request)
        else:
            django_otp.login(request, device)
            mark_reauthenticated(request)
            return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": _next(request)})
    return render(request, "accounts/otp_enrol.html", {
        "qr_svg": otp.otp_qr_svg(device), "secret": _base32(device), "next": _next(request), "error": error,
    }, status=error.status if error else 200)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the bound authenticator app, or one of
    the recovery codes (each works once; audited)."""
    if otp.confirmed_device(request.user) is None:
        return redirect(f"{reverse('accounts:otp-enrol')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        recovery = request.POST.get("recovery_code", "").strip()
        try:
            if recovery:
                device: Any = otp.recovery_code_use(by=request.user, code=recovery)
            else:
                device = otp.otp_verify(by=request.user, token=request.POST.get("token", ""))
        except DomainError as exc:
            error = exc
            _count_failure(request)
        else:
            django_otp.login(request, device)
            mark_reauthenticated(request)
            return HttpResponseRedirect(_next(request))
    return render(request, "accounts/otp_verify.html", {"next": _next(request), "error": error},
                  status=400 if error else 200)


@login_required
def otp_recovery_codes(request: HttpRequest) -> HttpResponse:
    """How many recovery codes are left; POST makes 10 new ones (after re-authentication)."""
    if staff_needs_otp(request.user):
        return redirect(f"{reverse('accounts:otp-verify')}?{urlencode({'next': request.path})}")
    if request.method == "POST":
        return _regenerate(request)
    return render(request, "accounts/otp_recovery.html", {"left": otp.recovery_codes_left(request.user)})


@reauth_required
def _regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = otp.recovery_codes_generate(by=request.user)
    except DomainError as exc:
        return render(request, "accounts/otp_recovery.html", {"left": 0, "error": exc}, status=exc.status)
    return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
def otp_enrolment_grant(request: HttpRequest) -> HttpResponse:
    """System admins: open a TOTP enrolment for a user and see its one-time code (once)."""
    if not perms.is_system_admin(request.user):
        return render(request, "accounts/otp_grant.html", {"forbidden": True}, status=403)
    if staff_needs_otp(request.user):
        return redirect(f"{reverse('accounts:otp-verify')}?{urlencode({'next': request.path})}")
    if not reauth_is_fresh(request):
        return HttpResponseRedirect(reauth_url(request))
    context: dict[str, Any] = {}
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        user = User.objects.filter(username=username).first()
        try:
            if user is None:
                raise DomainError(_("未找到该用户"), code="user_not_found", fields={"username": [_("未找到该用户")]})
            context.update(code=otp.otp_enrolment_grant(by=request.user, user=user), granted=user,
                           hours=otp.enrolment_hours())
        except DomainError as exc:
            context.update(error=exc, username=username)
    return render(request, "accounts/otp_grant.html", context, status=400 if "error" in context else 200)


def _count_failure(request: HttpRequest) -> None:
    """A wrong second-factor entry counts towards the login lock-out (django-axes)."""
    user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()},
                           request=request)


def _base32(device: Any) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch (Django's ``set_language``: the cookie and the redirect). A logged-in
    user's choice is also stored as their preferred language, for the messages they receive
    (accounts.services.preferred_language_set, audited); an anonymous visitor's or a kiosk's
    (a device-bound browser shared by passers-by) stays in the cookie only."""
    response = i18n_views.set_language(request)
    chosen = str(request.POST.get("language", "")).lower() if request.method == "POST" else ""
    if (chosen in dict(settings.LANGUAGES) and settings.LANGUAGE_COOKIE_NAME in response.cookies
            and request.user.is_authenticated and getattr(request, "bound_device", None) is None):
        services.preferred_language_set(by=request.user, language=chosen)
    return response
