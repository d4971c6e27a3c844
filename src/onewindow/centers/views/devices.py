"""Enrolment of device browsers (设备登记, decision 0008): a center manager (or a system admin) logs
in on the kiosk's or hall display's own browser, opens ``/centers/devices/enrol/``, picks the
device; the server binds the browser to it (a long-lived HttpOnly, SameSite=Strict signed cookie;
Secure in production), logs the manager out of that browser and opens the device's page. The
manager page (``/centers/<id>/manage/``) lists the devices and ends a binding (解除绑定); the
admin's 停用 of a device or revocation of its token ends it too.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from onewindow.core.errors import DomainError

from .. import selectors
from ..choices import DeviceKind
from ..device_auth import set_binding_cookie
from ..models import Device
from ..services.devices import device_enrol, device_unbind


def _start_page(device: Device) -> str:
    name = "centers:kiosk" if device.kind == DeviceKind.KIOSK else "centers:display"
    return reverse(name, args=[device.center.code])


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """设备登记: bind this browser to a kiosk or display of a center the user manages."""
    error: DomainError | None = None
    if request.method == "POST":
        try:
            binding, value = device_enrol(by=request.user, device_id=request.POST.get("device"))
        except DomainError as exc:
            error = exc
        else:
            logout(request)  # the device's browser keeps no staff session
            response = redirect(_start_page(binding.device))
            set_binding_cookie(response, value)
            return response
    context: dict[str, Any] = {"devices": selectors.enrolable_devices_for(request.user), "error": error,
                               "bound": getattr(request, "bound_device", None)}
    return render(request, "centers/staff/enrol.html", context, status=error.status if error else 200)


@login_required
@require_POST
def unbind(request: HttpRequest, center_id: int, device_id: int) -> HttpResponse:
    """解除绑定 from the manager page: the device's browser is shut out at its next request."""
    try:
        device_unbind(by=request.user, device_id=device_id)
    except DomainError as exc:
        return render(request, "centers/staff/error.html", {"error": exc}, status=exc.status)
    messages.success(request, gettext("已解除该设备的浏览器绑定。"))
    return redirect("centers:desk-manage", center_id=center_id)


urlpatterns: list[URLPattern] = [
    path("devices/enrol/", enrol, name="device-enrol"),
    path("<int:center_id>/manage/devices/<int:device_id>/unbind/", unbind, name="device-unbind"),
]
