"""Session pages: re-authentication before sensitive operations (see reauth.py)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from . import otp
from .reauth import mark_reauthenticated, reauth_seconds, safe_next


@login_required
def reauth(request: HttpRequest) -> HttpResponse:
    """Enter the password again (and a TOTP code when the user has a confirmed device).

    Wrong entries count towards the login lock-out (django-axes: the password goes through
    ``authenticate``, a wrong TOTP code is reported as a failed login), so this page is no
    oracle for guessing either factor."""
    user = request.user
    has_device = otp.confirmed_device(user) is not None
    target = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    error: DomainError | None = None
    if request.method == "POST":
        username = user.get_username()
        password = request.POST.get("password", "")
        if authenticate(request, username=username, password=password) is None:
            if getattr(request, "axes_locked_out", False):
                return render(request, "accounts/locked_out.html", status=429)
            error = DomainError(_("密码错误，请重新输入"), code="reauth_invalid",
                                fields={"password": [_("密码错误")]})
        elif has_device:
            try:
                otp.otp_verify(by=user, token=request.POST.get("token", ""))
            except DomainError as exc:
                user_login_failed.send(sender=__name__, credentials={"username": username},
                                       request=request)
                error = exc
        if error is None:
            mark_reauthenticated(request)
            return HttpResponseRedirect(target)
    return render(request, "accounts/reauth.html", {
        "next": target, "error": error, "has_device": has_device,
        "minutes": max(1, reauth_seconds() // 60),
    }, status=400 if error else 200)
