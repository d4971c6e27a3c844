"""The self-service kiosk (自助服务一体机) of a center, issue #4 part 5: a touch screen without a
keyboard — take a ticket by category, check in a booking by its code, look up and print a service
guide, and go on to the cases' self-fill form (自助填单). Every page resets itself to the start
after 90 s without input (centers/kiosk.js), so the next person never sees the last one's data.

Authentication (decision): the kiosk page is public. A normal ticket needs no login
(``ticket_take`` accepts ``by=None`` for normal priority), nor does checking in a booking (the
code is the proof). The elderly/disabled lane (老年人、残疾人优先) must be granted by staff
(``priority_not_allowed`` otherwise): its button appears only when a member of the center's staff
(a 导办员 with the kiosk, or the terminal account that also runs the cases' self-fill form) is
logged in; otherwise the page states the rule — ask the staff at the guide desk.
Device tokens stay with the API (call keypads, rating pads): a browser kiosk has no bearer header.
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

from .. import permissions as perms
from .. import selectors, services
from ..choices import TicketPriority, TicketSource
from ..models import TicketCategory

IDLE_SECONDS = 90
KIOSK_PRIORITIES = (TicketPriority.NORMAL, TicketPriority.ELDERLY)
GUIDE_RESULTS = 8


def _by(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _error(request: HttpRequest, exc: DomainError, center_code: str) -> HttpResponse:
    return render(request, "centers/kiosk/error.html", {
        "error": exc, "code": center_code, "idle": IDLE_SECONDS,
        "home": reverse("centers:kiosk", args=[center_code])}, status=exc.status)


def _print_url(status_code: str, center_code: str) -> str:
    return f"{reverse('centers:ticket-print', args=[status_code])}?kiosk={center_code}"


@require_GET
def kiosk(request: HttpRequest, center_code: str) -> HttpResponse:
    """The start screen: one large button per category (with the people waiting), check-in,
    service guides, and the elderly/disabled lane for staff."""
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
    the SMS when the turn comes near; then the printed ticket."""
    priority = request.POST.get("priority", TicketPriority.NORMAL)
    if priority not in KIOSK_PRIORITIES:
        priority = "invalid"  # the service refuses it with its own message (422)
    # Resolve the URL's center and the posted letter to ids (parsing); the service checks the rest.
    prefix = request.POST.get("category", "")[:2]
    found = (TicketCategory.objects.filter(center__code=str(center_code)[:32], prefix=prefix)
             .values_list("center_id", "pk").first())
    try:
        if found is None:
            raise NotFound(_("该中心没有这个排队类别。"), code="category_not_found")
        ticket = services.ticket_take(by=_by(request), center_id=found[0], category_id=found[1], priority=priority,
                                      source=TicketSource.KIOSK, phone=request.POST.get("phone", "").strip()[:20])
    except DomainError as exc:
        return _error(request, exc, center_code)
    return redirect(_print_url(ticket.status_code, center_code))


@require_http_methods(["GET", "POST"])
def kiosk_checkin(request: HttpRequest, center_code: str) -> HttpResponse:
    """预约签到: the booking code typed on the on-screen keypad becomes a priority ticket.

    A booking of another center is refused by the service (403 wrong_center): the public kiosk page
    has no device identity, so it names its center.
    """
    context = {"code": center_code, "idle": IDLE_SECONDS, "home": reverse("centers:kiosk", args=[center_code]),
               "value": ""}
    if request.method == "POST":
        value = request.POST.get("appointment_code", "").strip().upper()[:12]
        try:
            ticket = services.appointment_check_in(by=_by(request), code=value, center_code=str(center_code)[:32])
        except DomainError as exc:
            return render(request, "centers/kiosk/checkin.html", {**context, "error": exc, "value": value},
                          status=exc.status)
        return redirect(_print_url(ticket.status_code, center_code))
    return render(request, "centers/kiosk/checkin.html", context)


@require_GET
def kiosk_guide(request: HttpRequest, center_code: str) -> HttpResponse:
    """办事指南 at the kiosk: search by Chinese or pinyin initials (on-screen letters), then open,
    print (PDF) or self-fill (自助填单, the cases' kiosk form) an item."""
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
    path("<str:center_code>/kiosk/checkin/", kiosk_checkin, name="kiosk-checkin"),
    path("<str:center_code>/kiosk/guide/", kiosk_guide, name="kiosk-guide"),
]
