"""The operator's page of the big screens (issue #16 part 5), ``/bigscreen/ops/``: put or clear the
emergency message over every screen, make a hall display a big screen and set its panels, and see
the crowd sources with their latest bucket and the "数据延迟" flag.

A system admin or a center manager (``permissions.require_operator``); anonymous visitors are sent
to the login, other users get 403 ``bigscreen_operator_only``. Posts redirect back (PRG); a refusal
shows the page again with its message and the field errors, nothing changed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from onewindow.centers.choices import DeviceKind
from onewindow.centers.selectors import enrolable_devices_for
from onewindow.core.errors import DomainError, field_messages

from .. import permissions
from ..choices import Panel, ScreenLayout
from ..forms import EmergencyForm, ScreenForm, parsed
from ..selectors import ops as ops_selectors
from ..selectors.screens import active_emergency
from ..services import screens as screen_services
from .pages import error_page


def _refused(request: HttpRequest) -> HttpResponse | None:
    if permissions.can_operate(request.user):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        permissions.require_operator(request.user)
    except DomainError as exc:
        return error_page(request, exc)
    return None  # pragma: no cover - require_operator refuses whoever can_operate refuses


def _page(request: HttpRequest, *, error: DomainError | None = None, emergency_form: EmergencyForm | None = None,
          screen_forms: dict[int, ScreenForm] | None = None, create_form: ScreenForm | None = None,
          failed: str = "") -> HttpResponse:
    areas = ops_selectors.area_choices()
    screens = ops_selectors.screen_list_for(request.user)
    forms_by_screen = screen_forms or {}
    screen_rows = []
    for row in screens:
        form = forms_by_screen.get(row.screen.pk) or ScreenForm(areas=areas, prefix=f"s{row.screen.pk}", initial={
            "name": row.screen.name, "layout": row.screen.layout,
            "area": row.screen.area.code if row.screen.area else "", "panels": list(row.screen.panels),
            "rotate_seconds": row.screen.rotate_seconds})
        screen_rows.append({"row": row, "form": form, "key": f"screen-{row.screen.pk}"})
    taken = {row.screen.device_id for row in screens}
    devices = [d for d in enrolable_devices_for(request.user) if d.kind == DeviceKind.DISPLAY and d.pk not in taken]
    context: dict[str, Any] = {
        "live": active_emergency(), "emergencies": ops_selectors.emergency_list_for(request.user),
        "emergency_form": emergency_form or EmergencyForm(),
        "screens": screen_rows, "sources": ops_selectors.source_list_for(request.user), "devices": devices,
        "create_form": create_form or ScreenForm(areas=areas, prefix="new", initial={
            "layout": ScreenLayout.HD, "panels": list(Panel.values), "rotate_seconds": 20,
            "area": areas[0][0] if areas else ""}),
        "error": error, "fields": field_messages(error), "failed": failed,
    }
    return render(request, "bigscreen/ops.html", context, status=error.status if error else 200)


@require_GET
def ops(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    return refused or _page(request)


@require_POST
def emergency_post(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    form = EmergencyForm(request.POST)
    try:
        values = parsed(form)
        screen_services.emergency_post(by=request.user, text=values["text"], text_en=values["text_en"],
                                       severity=values["severity"], ends_at=values.get("ends_at"))
    except DomainError as exc:
        return _page(request, error=exc, emergency_form=form, failed="emergency")
    messages.success(request, _("紧急通告已发布到所有大屏。"))
    return redirect("bigscreen:ops")


@require_POST
def emergency_clear(request: HttpRequest, emergency_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    try:
        screen_services.emergency_clear(by=request.user, message_id=emergency_id)
    except DomainError as exc:
        return _page(request, error=exc, failed="emergency")
    messages.success(request, _("紧急通告已撤除。"))
    return redirect("bigscreen:ops")


@require_POST
def screen_configure(request: HttpRequest, screen_id: int) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    form = ScreenForm(request.POST, areas=ops_selectors.area_choices(), prefix=f"s{screen_id}")
    try:
        values = parsed(form)
        screen_services.screen_configure(by=request.user, screen_id=screen_id, name=values["name"],
                                         layout=values["layout"], area=values["area"] or None,
                                         panels=values["panels"], rotate_seconds=values["rotate_seconds"])
    except DomainError as exc:
        return _page(request, error=exc, screen_forms={screen_id: form}, failed=f"screen-{screen_id}")
    messages.success(request, _("大屏设置已保存。"))
    return redirect("bigscreen:ops")


@require_POST
def screen_create(request: HttpRequest) -> HttpResponse:
    refused = _refused(request)
    if refused:
        return refused
    form = ScreenForm(request.POST, areas=ops_selectors.area_choices(), prefix="new")
    try:
        values = parsed(form)
        screen_services.screen_create(by=request.user, device_id=request.POST.get("device", ""),
                                      name=values["name"], layout=values["layout"], area=values["area"] or None,
                                      panels=values["panels"], rotate_seconds=values["rotate_seconds"])
    except DomainError as exc:
        return _page(request, error=exc, create_form=form, failed="create")
    messages.success(request, _("已登记为大屏。"))
    return redirect("bigscreen:ops")
