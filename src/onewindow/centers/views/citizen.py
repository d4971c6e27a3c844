"""Citizen pages of the service centers: 网上预约 (book a slot at a center), my appointments, change
and cancel. Issue #4 part 2. Phone-first: the same pages are the WeChat H5 pages (a booking made
inside WeChat records the channel ``wechat``).

Actor: a logged-in person (real-name account). Anonymous visitors are sent to the login page;
another person's appointment answers 404 (no existence leak). A refusal shows its message with
its HTTP status — a restriction after no-shows (爽约) states the rule and until when.

Fair access against slot-grabbing scripts (防刷号), on top of the service's per-user rate limit:
every booking or change form carries a small arithmetic question whose answer is kept only in the
server-side session, is good for one post (popped on every attempt, right or wrong) and must not be
answered sooner than CENTERS_BOOKING_MIN_SECONDS (default 3) after the page was rendered. A wrong,
missing, reused or too-fast answer is refused with 422 and nothing is booked; a script must then
load the page and wait again for every attempt. (A CAPTCHA image would need an outside service or a
font renderer; a question in text also works with screen readers.)
"""

from __future__ import annotations

import datetime
import secrets
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from onewindow.core.errors import DomainError

from .. import limits, selectors, services
from ..choices import AppointmentStatus
from ..models import Appointment, AppointmentSlot, Center, TicketCategory

CHALLENGE_KEY = "centers_booking_challenge"


# ---- the challenge ---------------------------------------------------------------------------------

def _challenge_new(request: HttpRequest) -> str:
    """A fresh question; its answer and the time it was asked stay in the session."""
    a, b = 10 + secrets.randbelow(40), 1 + secrets.randbelow(9)
    request.session[CHALLENGE_KEY] = {"answer": a + b, "at": time.time()}
    return gettext("%(a)s 加 %(b)s 等于几？") % {"a": a, "b": b}


def _challenge_check(request: HttpRequest) -> None:
    """One attempt per question: refuse a missing, wrong or too-fast answer (422)."""
    stored = request.session.pop(CHALLENGE_KEY, None)
    given = str(request.POST.get("answer", "")).strip()[:6]
    fields: dict[str, list[Any]] = {"answer": [_("请按页面上的问题作答。")]}
    if not isinstance(stored, dict) or not given.isdigit() or int(given) != stored.get("answer"):
        raise DomainError(_("验证问题回答不正确，请重新作答。"), code="challenge_failed", status=422, fields=fields)
    if time.time() - float(stored.get("at", 0)) < float(getattr(settings, "CENTERS_BOOKING_MIN_SECONDS", 3)):
        raise DomainError(_("提交过快，请确认预约信息后再提交。"), code="challenge_too_fast", status=422,
                          fields=fields)


def _channel(request: HttpRequest) -> str:
    return "wechat" if "MicroMessenger" in request.headers.get("User-Agent", "") else "web"


# ---- reads: selectors.center_by_code, selectors.open_slots, selectors.appointment_get_for -----------

def _open_slots(center: Center, category: TicketCategory | None, *, exclude: int = 0) -> list[AppointmentSlot]:
    """The slots of the category within the booking horizon (limits.booking_last_day) that have
    not started, full ones included (shown as full)."""
    if category is None:
        return []
    return selectors.open_slots(center, category_id=category.pk, exclude=exclude)


def _rule() -> dict[str, int]:
    return {"n": int(getattr(settings, "CENTERS_NO_SHOW_LIMIT", 3)),
            "days": int(getattr(settings, "CENTERS_NO_SHOW_WINDOW_DAYS", 90)),
            "block": int(getattr(settings, "CENTERS_NO_SHOW_BLOCK_DAYS", 30))}


def _own(request: HttpRequest, code: str) -> Appointment:
    """The user's own appointment by its code (404 for anyone else's)."""
    return selectors.appointment_get_for(request.user, code=code)


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "centers/citizen/error.html", {"error": exc}, status=exc.status)


# ---- booking ---------------------------------------------------------------------------------------

def _book_page(request: HttpRequest, code: str, error: DomainError | None = None) -> HttpResponse:
    try:
        center = selectors.center_by_code(code)
    except DomainError as exc:
        return _error(request, exc)
    categories = selectors.active_categories(center)
    wanted = str(request.POST.get("category") or request.GET.get("category") or "")[:12]
    category = next((c for c in categories if str(c.pk) == wanted), categories[0] if categories else None)
    return render(request, "centers/citizen/book.html", {
        "center": center, "categories": categories, "category": category,
        "slots": _open_slots(center, category), "horizon": limits.booking_horizon_days(),
        "question": _challenge_new(request), "error": error,
        "chosen": str(request.POST.get("slot", "")), "rule": _rule()}, status=error.status if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str) -> HttpResponse:
    """网上预约: choose a category and a slot within the booking horizon (CENTERS_BOOKING_HORIZON_DAYS,
    default 14 days), answer the question, book."""
    if request.method == "GET":
        return _book_page(request, code)
    try:
        selectors.center_by_code(code)
        _challenge_check(request)
        appointment = services.appointment_book(by=request.user, slot_id=str(request.POST.get("slot", ""))[:12],
                                                channel=_channel(request))
    except DomainError as exc:
        return _book_page(request, code, exc)
    messages.success(request, gettext("预约成功，预约码 %(code)s。请在预约时段到中心签到取号。")
                     % {"code": appointment.code})
    return redirect("centers:appointment", code=appointment.code)


# ---- my appointments -------------------------------------------------------------------------------

@login_required
def my_appointments(request: HttpRequest) -> HttpResponse:
    """我的预约: the person's appointments, the latest first."""
    rows = selectors.appointments_for(request.user, limit=50)
    return render(request, "centers/citizen/appointments.html", {"rows": rows, "rule": _rule()})


def _detail(request: HttpRequest, code: str, error: DomainError | None = None) -> HttpResponse:
    try:
        appointment = _own(request, code)
    except DomainError as exc:
        return _error(request, exc)
    changeable = appointment.status == AppointmentStatus.BOOKED and (
        timezone.make_aware(datetime.datetime.combine(appointment.slot.date, appointment.slot.starts))
        > timezone.now())
    slots = (_open_slots(appointment.slot.center, appointment.category, exclude=appointment.slot_id)
             if changeable else [])
    return render(request, "centers/citizen/appointment.html", {
        "a": appointment, "changeable": changeable, "slots": slots, "error": error, "rule": _rule(),
        "question": _challenge_new(request) if changeable else ""}, status=error.status if error else 200)


@login_required
def appointment_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One appointment: its code (shown at the kiosk to check in), change and cancel."""
    return _detail(request, code)


@login_required
@require_POST
def appointment_cancel(request: HttpRequest, code: str) -> HttpResponse:
    """取消预约 before the slot starts (appointment_cancel)."""
    try:
        appointment = _own(request, code)
        services.appointment_cancel(by=request.user, appointment_id=appointment.pk)
    except DomainError as exc:
        return _detail(request, code, exc) if exc.status != 404 else _error(request, exc)
    messages.success(request, gettext("预约已取消。"))
    return redirect("centers:appointments")


@login_required
@require_POST
def appointment_change(request: HttpRequest, code: str) -> HttpResponse:
    """改约: another slot of the same category; cancel and book happen together or not at all."""
    try:
        appointment = _own(request, code)
        _challenge_check(request)
        new = services.appointment_change(by=request.user, appointment_id=appointment.pk,
                                          slot_id=str(request.POST.get("slot", ""))[:12])
    except DomainError as exc:
        return _detail(request, code, exc) if exc.status != 404 or exc.code != "appointment_not_found" \
            else _error(request, exc)
    messages.success(request, gettext("已改约，新的预约码 %(code)s。") % {"code": new.code})
    return redirect("centers:appointment", code=new.code)


urlpatterns: list[URLPattern] = [
    path("appointments/", my_appointments, name="appointments"),
    path("appointments/<str:code>/", appointment_detail, name="appointment"),
    path("appointments/<str:code>/cancel/", appointment_cancel, name="appointment-cancel"),
    path("appointments/<str:code>/change/", appointment_change, name="appointment-change"),
    path("<str:code>/book/", book, name="book"),
]
