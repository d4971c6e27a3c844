"""The self-service kiosk (自助服务一体机) of a center, issue #4 part 5: a touch screen without a
keyboard — take a ticket by category, check in a booking by its code, look up and print a service
guide, and go on to the cases' self-fill form (自助填单). Every page resets itself to the start
after 90 s without input (centers/kiosk.js), so the next person never sees the last one's data.

Device binding (decision 0008): every kiosk page works only in a browser enrolled as a kiosk of
this center (``request.bound_device``, set by the centers middleware from the binding cookie);
otherwise it answers 403 ``device_not_enrolled`` (or ``device_wrong_center`` /
``device_kind_not_allowed``) and takes nothing. Tickets carry their device, so the per-device and
per-number limits of ``ticket_take`` hold (429, nothing written). A normal ticket needs no login;
checking in a booking needs its code. The elderly/disabled lane (老年人、残疾人优先) must be granted
by staff (``priority_not_allowed`` otherwise): its button appears only when a member of the
center's staff (a 导办员 at the kiosk) is logged in; otherwise the page states the rule. A phone
number typed for the SMS gets a one-time code first (services.phone); the confirm page takes it
on the keypad, or the person skips it and the ticket simply sends no SMS.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.catalog import selectors as catalog_selectors
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.normalize import nfkc, nfkc_number

from .. import permissions as perms
from .. import selectors, services
from ..choices import DeviceKind, TicketPriority, TicketSource
from ..device_auth import page_device
from ..models import Device, TicketCategory
from ..services.phone import phone_check_confirm, phone_check_pending

IDLE_SECONDS = 90
KIOSK_PRIORITIES = (TicketPriority.NORMAL, TicketPriority.ELDERLY)
GUIDE_RESULTS = 8
KIOSK_KINDS = (DeviceKind.KIOSK,)


def _by(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _error(request: HttpRequest, exc: DomainError, center_code: str) -> HttpResponse:
    return render(request, "centers/kiosk/error.html", {
        "error": exc, "code": center_code, "idle": IDLE_SECONDS,
        "home": reverse("centers:kiosk", args=[center_code])}, status=exc.status)


def _not_enrolled(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The 403 page of a device page opened in a browser that is not enrolled as its device."""
    return render(request, "centers/public/device_error.html", {"error": exc}, status=exc.status)


def _kiosk_device(request: HttpRequest, center_code: str) -> Device:
    return page_device(request, center_code, KIOSK_KINDS)


def _print_url(status_code: str, center_code: str) -> str:
    return f"{reverse('centers:ticket-print', args=[status_code])}?kiosk={center_code}"


@require_GET
def kiosk(request: HttpRequest, center_code: str) -> HttpResponse:
    """The start screen: one large button per category (with the people waiting), check-in,
    service guides, and the elderly/disabled lane for staff."""
    try:
        _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    try:
        board = selectors.center_board(center_code)
    except DomainError as exc:
        return render(request, "centers/public/error.html", {"error": exc}, status=exc.status)
    staff = _by(request) is not None and perms.is_center_staff(request.user, board.center)
    return render(request, "centers/kiosk/home.html", {
        "board": board, "code": center_code, "staff": staff, "idle": IDLE_SECONDS,
        "home": reverse("centers:kiosk", args=[center_code])})


@require_POST
def kiosk_take(request: HttpRequest, center_code: str) -> HttpResponse:
    """取号 at the kiosk: the category's letter (prefix), the lane, an optional mobile number for
    the SMS when the turn comes near; then the printed ticket — or first the one-time code of
    the typed number."""
    try:
        device = _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    priority = request.POST.get("priority", TicketPriority.NORMAL)
    if priority not in KIOSK_PRIORITIES:
        priority = "invalid"  # the service refuses it with its own message (422)
    # Resolve the URL's center and the posted letter to ids (parsing); the service checks the rest.
    prefix = request.POST.get("category", "")[:2]
    found = (TicketCategory.objects.filter(center=device.center, prefix=prefix)
             .values_list("center_id", "pk").first())
    try:
        if found is None:
            raise NotFound(_("该中心没有这个排队类别。"), code="category_not_found")
        ticket = services.ticket_take(by=_by(request), device=device, center_id=found[0], category_id=found[1],
                                      priority=priority, source=TicketSource.KIOSK,
                                      phone=request.POST.get("phone", "").strip()[:20])
    except DomainError as exc:
        return _error(request, exc, center_code)
    if phone_check_pending(ticket):
        return redirect("centers:kiosk-confirm", center_code=center_code, status_code=ticket.status_code)
    return redirect(_print_url(ticket.status_code, center_code))


@require_http_methods(["GET", "POST"])
def kiosk_confirm(request: HttpRequest, center_code: str, status_code: str) -> HttpResponse:
    """短信提醒确认: the one-time code sent to the typed number, on the on-screen keypad. Without it
    (跳过) the ticket is printed and simply sends no SMS."""
    try:
        device = _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    context: dict[str, Any] = {"code": center_code, "idle": IDLE_SECONDS, "status_code": status_code,
                               "home": reverse("centers:kiosk", args=[center_code]),
                               "print_url": _print_url(status_code, center_code)}
    if request.method == "POST":
        try:
            typed = nfkc_number(request.POST.get("code", "")[:40])[:12]  # full width read as ASCII
            phone_check_confirm(status_code=status_code, code=typed, device=device)
        except DomainError as exc:
            return render(request, "centers/kiosk/confirm.html", {**context, "error": exc}, status=exc.status)
        return redirect(context["print_url"])
    return render(request, "centers/kiosk/confirm.html", context)


@require_http_methods(["GET", "POST"])
def kiosk_checkin(request: HttpRequest, center_code: str) -> HttpResponse:
    """预约签到: the booking code typed on the on-screen keypad becomes a priority ticket.

    The kiosk itself checks the booking in (a ``device`` actor of workflow.APPOINTMENT_ACTORS),
    whoever may be logged in at it. A booking of another center is refused by the service (403
    wrong_center).
    """
    try:
        device = _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    context = {"code": center_code, "idle": IDLE_SECONDS, "home": reverse("centers:kiosk", args=[center_code]),
               "value": ""}
    if request.method == "POST":
        value = nfkc(request.POST.get("appointment_code", "")[:40]).upper()[:12]  # full width read as ASCII
        try:
            ticket = services.appointment_check_in(by=device, code=value,
                                                   center_code=str(center_code)[:32])
        except DomainError as exc:
            return render(request, "centers/kiosk/checkin.html", {**context, "error": exc, "value": value},
                          status=exc.status)
        return redirect(_print_url(ticket.status_code, center_code))
    return render(request, "centers/kiosk/checkin.html", context)


@require_GET
def kiosk_guide(request: HttpRequest, center_code: str) -> HttpResponse:
    """办事指南 at the kiosk: search by Chinese or pinyin initials (on-screen letters), then open,
    print (PDF) or self-fill (自助填单, the cases' kiosk form) an item."""
    try:
        _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    q = request.GET.get("q", "").strip()[:50]
    context: dict[str, Any] = {"code": center_code, "idle": IDLE_SECONDS, "q": q,
                               "home": reverse("centers:kiosk", args=[center_code])}
    if q:
        try:
            context["result"] = catalog_selectors.item_search(user=request.user, q=q, page_size=GUIDE_RESULTS)
        except DomainError as exc:
            return render(request, "centers/kiosk/guide.html", {**context, "error": exc}, status=exc.status)
    return render(request, "centers/kiosk/guide.html", context)


urlpatterns: list[URLPattern] = [
    path("<str:center_code>/kiosk/", kiosk, name="kiosk"),
    path("<str:center_code>/kiosk/take/", kiosk_take, name="kiosk-take"),
    path("<str:center_code>/kiosk/confirm/<str:status_code>/", kiosk_confirm, name="kiosk-confirm"),
    path("<str:center_code>/kiosk/checkin/", kiosk_checkin, name="kiosk-checkin"),
    path("<str:center_code>/kiosk/guide/", kiosk_guide, name="kiosk-guide"),
]
