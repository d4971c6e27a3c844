"""The centers middleware: recognise a bound device browser (decision 0008).

``BoundDeviceMiddleware`` sits right after Django's AuthenticationMiddleware and sets
``request.bound_device``: the Device (kiosk, hall display) this browser was enrolled as, or None.
Other apps read it duck-typed (``getattr(request, "bound_device", None)``): the accounts idle
timeout skips bound devices (a kiosk is bound to its device credential instead of timing out),
and the cases kiosk self-fill reads its ``kind``, ``center_code``, ``department_id`` and
``operator``. A request without the cookie costs nothing; with it, one query.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .device_auth import cookie_name, device_of_browser


class BoundDeviceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.bound_device = device_of_browser(request) if cookie_name() in request.COOKIES else None  # type: ignore[attr-defined]
        return self.get_response(request)
