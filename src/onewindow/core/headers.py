"""Browser security headers on every response: Content-Security-Policy and Permissions-Policy.

Every asset of the project is served from its own origin (htmx, ECharts, the Swagger UI, the
voice clips), so the policy allows only ``'self'``: no inline script or style, no ``eval``, no
plugin, no framing, forms post only to this site (docs/decisions/0010). A template that really
needs an inline ``<script>`` or ``<style>`` gives it ``nonce="{{ request.csp_nonce }}"``; the
nonce is made per request and named in the header only when a template used it, so pages without
one get the same header every time.

The Permissions-Policy denies every powerful browser feature that no page uses (camera,
microphone, geolocation, payment, USB, …). The tax window's "photo of the QR code" is a file input
(``capture=environment``): the phone's own camera application takes the picture, which needs no
camera permission in the page. The hall display's voice announcements only play audio
(``autoplay`` stays with this origin, which is the browser's default).

Legal basis: GB/T 22239-2019 (等保2.0 三级) 入侵防范 (malicious code in pages), OWASP ASVS 5.0
V3 Web Frontend Security (V3.4 browser security mechanism headers).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

#: Directives of the policy; the nonce is added to script-src and style-src when a page used it.
#: connect-src, media-src, font-src, frame-src and worker-src fall back to default-src 'self':
#: htmx requests, the hall display's clip downloads and <audio>, and the Swagger UI's fetch of
#: openapi.json all go to this origin. img-src allows data: for the SVG icons that the Swagger UI
#: and Django admin style sheets embed as data: URLs.
CSP_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    ("img-src", "'self' data:"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("frame-ancestors", "'none'"),
    ("form-action", "'self'"),
)
NONCE_DIRECTIVES = ("script-src", "style-src")

#: Features denied to every page (``()``) unless a page of this project uses them. Only names that
#: Chromium recognizes: an unknown one makes the browser log an error on every page.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}={allow}" for feature, allow in (
        ("accelerometer", "()"),
        ("autoplay", "(self)"),  # the hall display's voice announcements
        ("camera", "()"),
        ("display-capture", "()"),
        ("encrypted-media", "()"),
        ("fullscreen", "()"),
        ("geolocation", "()"),
        ("gyroscope", "()"),
        ("hid", "()"),
        ("idle-detection", "()"),
        ("magnetometer", "()"),
        ("microphone", "()"),
        ("midi", "()"),
        ("payment", "()"),
        ("picture-in-picture", "()"),
        ("publickey-credentials-get", "()"),
        ("screen-wake-lock", "()"),
        ("serial", "()"),
        ("usb", "()"),
        ("xr-spatial-tracking", "()"),
    )
)


class CspNonce:
    """A per-request nonce, made when a template first renders it (``{{ request.csp_nonce }}``)."""

    def __init__(self) -> None:
        self.value = ""

    def __str__(self) -> str:
        if not self.value:
            self.value = secrets.token_urlsafe(18)
        return self.value

    @property
    def used(self) -> bool:
        return bool(self.value)


def stream_origin() -> str:
    """The big screens' streaming process when it answers on another origin of this installation
    (``BIGSCREEN_STREAM_ORIGIN``, the demo's uvicorn on port 8001; decision 0019), else ""."""
    from django.conf import settings

    origin = str(getattr(settings, "BIGSCREEN_STREAM_ORIGIN", "") or "").rstrip("/")
    return origin if re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", origin) else ""


def content_security_policy(nonce: str = "") -> str:
    """The header value; ``nonce`` (when a page used one) is allowed for scripts and styles.

    Where the streaming process has its own origin, ``connect-src`` names it beside 'self' (the
    screens' EventSource and long poll); otherwise connect-src falls back to default-src 'self'.
    """
    parts = []
    for name, sources in CSP_DIRECTIVES:
        if nonce and name in NONCE_DIRECTIVES:
            sources = f"{sources} 'nonce-{nonce}'"
        parts.append(f"{name} {sources}")
    if origin := stream_origin():
        parts.append(f"connect-src 'self' {origin}")
    return "; ".join(parts)


_default_policy: str | None = None


def default_policy() -> str:
    """The header of a page without a nonce (nearly every answer): built once per process, not per
    request (issue #17: no per-request settings reads); rebuilt when a test changes the origin."""
    global _default_policy
    if _default_policy is None:
        _default_policy = content_security_policy()
    return _default_policy


@receiver(setting_changed)
def _forget_policy(setting: str, **kwargs: object) -> None:
    global _default_policy
    if setting == "BIGSCREEN_STREAM_ORIGIN":
        _default_policy = None


class SecurityHeadersMiddleware:
    """Sets Content-Security-Policy and Permissions-Policy on every response, HTML or not.

    It sits right after Django's SecurityMiddleware (which sets Referrer-Policy, nosniff and, in
    production, HSTS), ahead of WhiteNoise, so static files and error answers get the headers too.
    A response that already has a policy (a view that needs a stricter one) keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = CspNonce()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = content_security_policy(nonce.value) if nonce.used else default_policy()
            response["Content-Security-Policy"] = policy
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response
