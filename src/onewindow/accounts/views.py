"""Login pages: lock-out (django-axes) and the staff TOTP enrolment and verify steps."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import django_otp
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from onewindow.core.errors import DomainError

from . import otp
from .reauth import mark_reauthenticated


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
    """Bind an authenticator app: scan the QR code, then type one code to confirm."""
    if otp.confirmed_device(request.user) is not None:
        return redirect(f"{reverse('accounts:otp-verify')}?{urlencode({'next': _next(request)})}")
    device = otp.otp_enrolment_device(user=request.user)
    error = None
    if request.method == "POST":
        try:
            otp.otp_device_confirm(by=request.user, device=device, token=request.POST.get("token", ""))
        except DomainError as exc:
            error = exc
        else:
            django_otp.login(request, device)
            mark_reauthenticated(request)
            return HttpResponseRedirect(_next(request))
    return render(request, "accounts/otp_enrol.html", {
        "qr_svg": otp.otp_qr_svg(device), "secret": _base32(device), "next": _next(request), "error": error,
    }, status=400 if error else 200)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step after the password: a code from the bound authenticator app."""
    if otp.confirmed_device(request.user) is None:
        return redirect(f"{reverse('accounts:otp-enrol')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        try:
            device = otp.otp_verify(by=request.user, token=request.POST.get("token", ""))
        except DomainError as exc:
            error = exc
        else:
            django_otp.login(request, device)
            mark_reauthenticated(request)
            return HttpResponseRedirect(_next(request))
    return render(request, "accounts/otp_verify.html", {"next": _next(request), "error": error},
                  status=400 if error else 200)


def _base32(device: Any) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")
