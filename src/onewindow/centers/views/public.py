"""Public pages of a service center (issue #4 parts 5, 6, 8), no login:

- the printed ticket (80 mm thermal printer) with its QR code to the live status page;
- the live status page of a ticket (the QR code's page, phone first): place, people ahead, the
  estimated wait as a range, the window it is called to; the holder may leave the queue while
  waiting and, after the service, rate it (好差评 一次一评, 国办发〔2019〕51号) — the random status code
  is the holder's proof, as on the paper ticket;
- the center's waiting board (its WeChat page: counts only, public) and the hall display board
  (1920×1080) with the offline voice announcement (centers.voice) — the display only in a browser
  enrolled as a display or kiosk of the center (decision 0008).

Pages poll a small htmx fragment every second (simple, works through proxies) and stop once the
ticket is final. Views parse, call one selector or service, and render; a DomainError is shown with
its own 4xx status.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onewindow.accounts.session_timeout import background_poll
from onewindow.core.errors import DomainError
from onewindow.ratings.choices import RatingLevel
from onewindow.ratings.selectors import rating_of

from .. import polled, selectors, services, voice
from ..choices import DeviceKind, TicketStatus
from ..device_auth import page_device

FINAL = frozenset({TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED})
CENTER_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
DISPLAY_CURRENT = 4  # windows shown big on the hall display
DISPLAY_KINDS = (DeviceKind.DISPLAY, DeviceKind.KIOSK)


def _error(request: HttpRequest, exc: DomainError, *, back: str = "") -> HttpResponse:
    return render(request, "centers/public/error.html", {"error": exc, "back": back}, status=exc.status)


def kiosk_code(request: HttpRequest) -> str:
    """The kiosk a printed ticket came from (?kiosk=<center code>): its back link and idle reset."""
    code = request.GET.get("kiosk", "")
    return code if CENTER_CODE.match(code) else ""


def _status_context(view: selectors.TicketStatusView, status_code: str, **extra: Any) -> dict[str, Any]:
    return {"t": view, "code": status_code, "final": view.status in FINAL,
            "levels": RatingLevel.choices, **extra}


@require_GET
def ticket_print(request: HttpRequest, status_code: str) -> HttpResponse:
    """The ticket as printed at the kiosk: number, category, people ahead, wait range, time, QR."""
    try:
        view = selectors.ticket_status(status_code)
    except DomainError as exc:
        return _error(request, exc)
    url = request.build_absolute_uri(reverse("centers:ticket-status", args=[status_code]))
    qr = segno.make(url, error="m").svg_inline(scale=3, border=2, title=gettext("排队进度二维码"))
    kiosk = kiosk_code(request)
    # A kiosk's Chromium runs with --kiosk-printing: printing at once needs no dialog (opt-in).
    autoprint = bool(kiosk) and bool(getattr(settings, "CENTERS_KIOSK_AUTOPRINT", False))
    return render(request, "centers/public/print.html", {
        "t": view, "code": status_code, "qr": qr, "status_url": url, "kiosk": kiosk, "autoprint": autoprint,
        "home": reverse("centers:kiosk", args=[kiosk]) if kiosk else ""})


@require_GET
def ticket_status(request: HttpRequest, status_code: str) -> HttpResponse:
    """The live status page of a ticket (from its QR code)."""
    try:
        view = selectors.ticket_status(status_code)
    except DomainError as exc:
        return _error(request, exc)
    return render(request, "centers/public/status.html", _status_context(view, status_code))


def _etag(*parts: Any) -> str:
    """A strong ETag of a polled fragment: what it shows depends only on ``parts`` (hashed: the tag
    tells nothing about the queue)."""
    return '"' + hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).hexdigest() + '"'


def _polled(request: HttpRequest, response: HttpResponse, etag: str) -> HttpResponse:
    """A polled fragment's caching headers: the browser keeps it but asks again every time (no-cache),
    for itself only (private); it differs by language."""
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def _not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    response = get_conditional_response(request, etag=etag)
    return _polled(request, response, etag) if response is not None else None


@background_poll
@require_GET
def ticket_status_live(request: HttpRequest, status_code: str) -> HttpResponse:
    """The polled fragment: facts every second; the call box and the actions again only when the
    status differs from the one the page shows (?seen=), so focus and screen readers are not
    disturbed by identical updates.

    A revalidation (If-None-Match) reads the ticket's status and its center's queue version in one
    plain statement (centers.polled): unchanged, it is answered 304. Else one SELECT reads the
    ticket with the version, and people ahead and the wait come from the center's queue snapshot of
    that version. A final ticket (it stops polling; it may be rated) and
    a changed status (the fragment carries the actions) are read and rendered in full, untagged."""
    seen = request.GET.get("seen", "")
    language = get_language()
    if request.headers.get("If-None-Match"):  # the browser's revalidation: one plain statement
        tag = polled.ticket_tag(status_code)
        if (tag is not None and tag[1] == seen and tag[1] not in FINAL
                and (not_modified := _not_modified(request, _etag("ticket", tag[0], tag[2], tag[1], language)))):
            return not_modified
    row = polled.ticket_row(status_code)
    if row is None or row.status in FINAL or seen != row.status:
        try:
            view = selectors.ticket_status(status_code)
        except DomainError as exc:
            return _error(request, exc)
        return render(request, "centers/public/_status_live.html",
                      _status_context(view, status_code, changed=seen != view.status))
    etag = _etag("ticket", row.id, row.version, row.status, language)
    ahead, wait = 0, (0, 0)
    if row.status == TicketStatus.WAITING:
        snapshot = polled.queue_snapshot(row.center_id, row.date, row.version)
        ahead = snapshot.ahead(row.id)
        wait = snapshot.wait(row.category_id, ahead)
    view = selectors.TicketStatusView(display=row.display, center=row.center, category=row.category,
                                      status=row.status, status_label=str(TicketStatus(row.status).label),
                                      ahead=ahead, wait=wait, window=row.window, taken_at=row.taken_at,
                                      called_at=row.called_at, rateable=False)
    response = render(request, "centers/public/_status_live.html",
                      _status_context(view, status_code, changed=False))
    return _polled(request, response, etag)


@require_POST
def ticket_cancel(request: HttpRequest, status_code: str) -> HttpResponse:
    """取消排队: the holder leaves the queue while still waiting."""
    try:
        services.ticket_cancel(status_code=status_code)
    except DomainError as exc:
        return _error(request, exc, back=reverse("centers:ticket-status", args=[status_code]))
    messages.success(request, _("已取消排队。"))
    return redirect("centers:ticket-status", status_code=status_code)


@require_POST
def ticket_rate(request: HttpRequest, status_code: str) -> HttpResponse:
    """好差评 of the window service on the five national levels, once per service."""
    try:
        services.service_rate_by_code(status_code=status_code, level=request.POST.get("level"),
                                      comment=request.POST.get("comment", "")[:1000], channel="web")
    except DomainError as exc:
        try:
            view = selectors.ticket_status(status_code)
        except DomainError:
            return _error(request, exc)
        return render(request, "centers/public/status.html",
                      _status_context(view, status_code, error=exc, fields=exc.fields,
                                      comment=request.POST.get("comment", "")[:500]), status=exc.status)
    messages.success(request, _("感谢您的评价！"))
    return redirect("centers:ticket-status", status_code=status_code)


@require_http_methods(["GET", "POST"])
def rate_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The SMS rating link of a window service: no login; the signed token names the ticket.
    Once rated, the page says so (一次一评: a second rating is 409 already_rated)."""
    try:
        ticket = services.ticket_from_rating_token(token)
    except DomainError as exc:
        return _error(request, exc)
    context: dict[str, Any] = {"ticket": ticket, "levels": RatingLevel.choices, "action": request.path,
                               "rating": rating_of("service", str(ticket.pk))}
    if request.method == "POST":
        try:
            services.service_rate_by_token(token=token, level=request.POST.get("level"),
                                           comment=request.POST.get("comment", "")[:1000])
        except DomainError as exc:
            return render(request, "centers/public/rate.html",
                          {**context, "error": exc, "fields": exc.fields,
                           "rating": rating_of("service", str(ticket.pk))}, status=exc.status)
        context.update(done=True, rating=rating_of("service", str(ticket.pk)))
    return render(request, "centers/public/rate.html", context)


@background_poll
@require_GET
def board(request: HttpRequest, center_code: str) -> HttpResponse:
    """The center's waiting board (its WeChat page): waiting, average and estimated wait per category.

    Its polled rows (HX-Request) are tagged with the center's queue version (centers.polled): an
    unchanged version answers 304 to If-None-Match, and the rows are rendered once per worker,
    version and language (the default cache)."""
    hx = bool(request.headers.get("HX-Request"))
    day = timezone.localdate()
    tag = polled.center_tag(center_code, day) if hx else None
    if tag is None:  # the page itself, or an unknown center (its 404)
        try:
            data = selectors.center_board(center_code)
        except DomainError as exc:
            return _error(request, exc)
        template = "centers/public/_board_rows.html" if hx else "centers/public/board.html"
        return render(request, template, {"board": data, "code": center_code})
    center_id, code, version = tag
    language = get_language()
    etag = _etag("board", center_id, version, language)
    if (not_modified := _not_modified(request, etag)) is not None:
        return not_modified
    key = f"centers:polled:board:{center_id}:{version}:{language}"
    html = caches["default"].get(key)
    if not isinstance(html, str):
        html = render_to_string("centers/public/_board_rows.html",
                                {"board": selectors.center_board(code, day=day), "code": code})
        caches["default"].set(key, html, polled.SNAPSHOT_SECONDS)
    return _polled(request, HttpResponse(html), etag)


def _calls(recent: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"display": display, "window": window, "key": f"{display}@{window}",
             "text": voice.announcement_text(display, window),
             "clips": " ".join(static(p) for p in voice.clip_urls(display, window))}
            for display, window in recent]


@background_poll
@require_GET
def display(request: HttpRequest, center_code: str) -> HttpResponse:
    """The hall display (1920×1080): current calls big, recent calls, waiting per category, and the
    voice announcement of every new call and recall (clips, or the browser's zh-CN voice).
    Only in a browser enrolled as a display (or kiosk) of this center (decision 0008)."""
    try:
        page_device(request, center_code, DISPLAY_KINDS)
    except DomainError as exc:
        return render(request, "centers/public/device_error.html", {"error": exc}, status=exc.status)
    try:
        data = selectors.center_board(center_code)
    except DomainError as exc:
        return _error(request, exc)
    calls = _calls(data.recent_calls)
    current: list[dict[str, Any]] = []
    for call in calls:  # the latest call of each window, newest first
        if all(c["window"] != call["window"] for c in current) and len(current) < DISPLAY_CURRENT:
            current.append(call)
    template = ("centers/public/_display_live.html" if request.headers.get("HX-Request")
                else "centers/public/display.html")
    return render(request, template, {"board": data, "code": center_code, "calls": calls, "current": current})


urlpatterns: list[URLPattern] = [
    path("tickets/<str:status_code>/print/", ticket_print, name="ticket-print"),
    path("t/<str:status_code>/", ticket_status, name="ticket-status"),
    path("t/<str:status_code>/live/", ticket_status_live, name="ticket-status-live"),
    path("t/<str:status_code>/cancel/", ticket_cancel, name="ticket-cancel"),
    path("t/<str:status_code>/rate/", ticket_rate, name="ticket-rate"),
    path("rate/<str:token>/", rate_by_link, name="rate-link"),
    path("<str:center_code>/board/", board, name="board"),
    path("<str:center_code>/display/", display, name="display"),
]
