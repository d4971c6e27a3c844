"""Re-authentication before sensitive operations (再次鉴别): unmasking, exports and key operations.

Rule: a person working through a browser session must have entered their password (and a code
from their authenticator app, when they have a confirmed TOTP device) within
``settings.ACCOUNTS_REAUTH_SECONDS`` (default 600 s) before they may unmask personal data,
export it, or perform a key operation (issue or revoke a machine token, grant a staff role,
issue a device token). Inside that window further clicks need no new entry; afterwards the
next sensitive operation asks again. Completing a login (password, plus the TOTP step when the
user has a device) counts as an authentication too. Machine tokens have no session and never
unmask by session, so they are exempt.

Basis: GB/T 22239-2019 (等保2.0 三级) 身份鉴别 and 访问控制; OWASP ASVS 5.0 V6/V7
(re-authentication before sensitive transactions); 个人信息保护法 art. 51 (measures against
unauthorized access to personal information).

Use::

    from onewindow.accounts.reauth import require_reauth, reauth_required

    require_reauth(request)          # in a service-calling view or API handler: 403 reauth_required

    @reauth_required                 # on a Django view: redirect to /accounts/reauth/?next=...
    def export(request): ...
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

#: Session key holding ``{"user": <pk>, "at": <POSIX seconds>}`` of the last (re-)authentication.
SESSION_KEY = "_onewindow_reauth"
REAUTH_URL = "/accounts/reauth/"
DEFAULT_REAUTH_SECONDS = 600

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


class ReauthRequired(DomainError):
    """The operation needs a recent password (and TOTP) entry: go to ``/accounts/reauth/``."""

    status = 403
    code = "reauth_required"

    def __init__(self, message: Any = None, **kwargs: Any) -> None:
        super().__init__(message or _("请重新验证身份后再继续"), **kwargs)


def reauth_seconds() -> int:
    """How long one re-authentication stays valid (``ACCOUNTS_REAUTH_SECONDS``)."""
    return int(getattr(settings, "ACCOUNTS_REAUTH_SECONDS", DEFAULT_REAUTH_SECONDS))


def is_machine_request(request: HttpRequest) -> bool:
    """True for an API call authenticated by a bearer machine token (no session to re-check)."""
    principal = getattr(request, "auth", None)
    return getattr(principal, "token", None) is not None


def reauth_is_fresh(request: HttpRequest) -> bool:
    """True when the request's user authenticated within the window, or it is a machine token."""
    if is_machine_request(request):
        return True
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None:
        return False
    mark = session.get(SESSION_KEY)
    if not isinstance(mark, dict) or mark.get("user") != str(user.pk):
        return False
    try:
        at = float(mark["at"])
    except (KeyError, TypeError, ValueError):
        return False
    age = timezone.now().timestamp() - at
    return 0 <= age < reauth_seconds()


def require_reauth(request: HttpRequest) -> None:
    """Raise :class:`ReauthRequired` (403 ``reauth_required``) unless :func:`reauth_is_fresh`."""
    if not reauth_is_fresh(request):
        raise ReauthRequired()


def mark_reauthenticated(request: HttpRequest) -> None:
    """Record that the session's user has just proved who they are (password, and TOTP if any)."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or not user.is_authenticated or session is None:
        return
    session[SESSION_KEY] = {"user": str(user.pk), "at": timezone.now().timestamp()}


def forget_reauthentication(request: HttpRequest) -> None:
    """Drop the mark (e.g. in tests, or when the session's privileges change)."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_KEY, None)


def safe_next(request: HttpRequest, target: str | None) -> str:
    """``target`` if it is a local path on this host, else ``/``."""
    if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


def _local(request: HttpRequest, url: str) -> str:
    host = request.get_host()
    for scheme in ("https://", "http://"):
        if url.startswith(f"{scheme}{host}/"):
            return url[len(scheme) + len(host):]
    return url


def return_path(request: HttpRequest) -> str:
    """Where to come back to after authenticating again: the page itself for a GET, the page
    the form or fragment was on (htmx's HX-Current-URL, else the Referer, if local) for a POST,
    whose body cannot be replayed after a redirect."""
    if request.method in ("GET", "HEAD"):
        return safe_next(request, request.get_full_path())
    page = request.headers.get("HX-Current-URL") or request.headers.get("referer", "")
    return safe_next(request, _local(request, page))


def reauth_url(request: HttpRequest) -> str:
    """``/accounts/reauth/?next=<where to come back>`` (see :func:`return_path`)."""
    return f"{REAUTH_URL}?{urlencode({'next': return_path(request)})}"


def reauth_required(view: ViewFunc) -> ViewFunc:
    """View decorator: without a fresh re-authentication, redirect to the re-authentication page
    (an htmx request gets ``HX-Redirect`` so the whole page moves, not a fragment)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if reauth_is_fresh(request):
            return view(request, *args, **kwargs)
        url = reauth_url(request)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)

    return cast(ViewFunc, wrapper)


def on_user_logged_in(sender: Any, request: HttpRequest | None = None, user: Any = None,
                      **kwargs: Any) -> None:
    """A completed login is a fresh authentication: the password login of a user without a
    TOTP device. Users with a device count as fresh only after the TOTP step (views.otp_verify)."""
    from . import otp

    if request is None or user is None or otp.confirmed_device(user) is not None:
        return
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_KEY] = {"user": str(user.pk), "at": timezone.now().timestamp()}


class ReauthAdminMixin:
    """For a ModelAdmin whose add form or actions are key operations: the add view (its form and
    its POST), the change view when ``reauth_change`` and the actions named in ``reauth_actions``
    need a fresh re-authentication; a stale session goes to the re-authentication page and comes
    back to the page it was on."""

    reauth_actions: tuple[str, ...] = ()
    #: Also the change form (GET and POST): for objects whose fields are privileges (users).
    reauth_change: bool = False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: Any = None) -> HttpResponse:
        if self.reauth_change and not reauth_is_fresh(request):
            return HttpResponseRedirect(reauth_url(request))
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        if not reauth_is_fresh(request):
            return HttpResponseRedirect(reauth_url(request))
        return super().add_view(request, form_url, extra_context)  # type: ignore[misc, no-any-return]

    def response_action(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if request.POST.get("action") in self.reauth_actions and not reauth_is_fresh(request):
            return HttpResponseRedirect(reauth_url(request))
        return super().response_action(request, queryset)  # type: ignore[misc, no-any-return]
