"""Appointments at the kiosk (自助预约、改约、取消, issue #10 part 6): pick a category, a day and a
slot on large touch targets; type name, ID number and mobile number (on-screen keypads for the
numbers); confirm, and the booking code is shown to print or note. Change and cancel take the
booking code and the phone tail. Like every kiosk page: only in a browser enrolled as a kiosk of
this center (403 otherwise), elderly mode and language in the bar, back to the start after 90 s
without input. Parse, call one selector or service (services.kiosk_booking), render."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_http_methods

from onewindow.core.errors import DomainError
from onewindow.core.normalize import nfkc, nfkc_number

from .. import selectors
from ..models import AppointmentSlot, Device
from ..services import kiosk_booking
from .kiosk import IDLE_SECONDS, _kiosk_device, _not_enrolled

ID_KEYS = "1234567890X"


def _context(center_code: str, **extra: Any) -> dict[str, Any]:
    return {"code": center_code, "idle": IDLE_SECONDS, "home": reverse("centers:kiosk", args=[center_code]),
            "book_url": reverse("centers:kiosk-book", args=[center_code]),
            "manage_url": reverse("centers:kiosk-appointment", args=[center_code]), **extra}


def _day(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _choose(device: Device, request: HttpRequest) -> dict[str, Any]:
    """The step the GET parameters name: categories, days of a category, slots of a day, the form."""
    slots = selectors.open_slots(device.center)
    prefix = request.GET.get("category", "")[:2]
    slot_id = request.GET.get("slot", "")[:19]
    if slot_id:
        chosen = next((s for s in slots if str(s.pk) == slot_id and s.free > 0), None)
        return {"step": "form", "slot": chosen, "slot_id": slot_id if chosen else ""}
    categories = list({s.category_id: s.category for s in slots}.values())
    category = next((c for c in categories if c.prefix == prefix), None)
    if category is None:
        return {"step": "category", "categories": categories}
    mine = [s for s in slots if s.category_id == category.pk]
    day = _day(request.GET.get("date", ""))
    if day is None:
        days = sorted({s.date for s in mine})
        return {"step": "day", "category": category, "days": days}
    return {"step": "slot", "category": category, "day": day, "slots": [s for s in mine if s.date == day]}


def _slot_of(device: Device, slot_id: str) -> AppointmentSlot | None:
    return next((s for s in selectors.open_slots(device.center) if str(s.pk) == slot_id), None)


@require_http_methods(["GET", "POST"])
def kiosk_book(request: HttpRequest, center_code: str) -> HttpResponse:
    """自助预约: category → day → slot → name, ID number, mobile → the booking code."""
    try:
        device = _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    if request.method == "GET":
        return render(request, "centers/kiosk/book.html", _context(center_code, **_choose(device, request)))
    slot_id = request.POST.get("slot", "")[:19]
    typed = {"name": request.POST.get("name", "")[:50],
             "id_number": nfkc(request.POST.get("id_number", "")[:40]).upper()[:18],  # full width read as ASCII
             "phone": nfkc_number(request.POST.get("phone", "")[:40])[:11]}
    try:
        appointment = kiosk_booking.kiosk_appointment_book(device=device, slot_id=slot_id, name=typed["name"],
                                                           id_number=typed["id_number"], phone=typed["phone"])
    except DomainError as exc:
        context = _context(center_code, step="form", slot=_slot_of(device, slot_id), slot_id=slot_id, error=exc,
                           fields=exc.fields, typed=typed)
        return render(request, "centers/kiosk/book.html", context, status=exc.status)
    return render(request, "centers/kiosk/booked.html", _context(center_code, appointment=appointment))


@require_http_methods(["GET", "POST"])
def kiosk_appointment(request: HttpRequest, center_code: str) -> HttpResponse:
    """改约、取消预约: the booking code and the phone tail; then another slot, or cancel."""
    try:
        device = _kiosk_device(request, center_code)
    except DomainError as exc:
        return _not_enrolled(request, exc)
    if request.method == "GET":
        return render(request, "centers/kiosk/manage.html", _context(center_code))
    op = request.POST.get("op", "")
    code = nfkc(request.POST.get("code", "")[:40]).upper()[:12]
    tail = nfkc_number(request.POST.get("phone_tail", "")[:20])[:4]
    context = _context(center_code, booking_code=code, tail=tail)
    try:
        if op == "cancel":
            cancelled = kiosk_booking.kiosk_appointment_cancel(device=device, code=code, phone_tail=tail)
            return render(request, "centers/kiosk/booked.html", {**context, "cancelled": cancelled})
        if op == "change":
            appointment = kiosk_booking.kiosk_appointment_change(device=device, code=code, phone_tail=tail,
                                                                 slot_id=request.POST.get("slot", "")[:19])
            return render(request, "centers/kiosk/booked.html", {**context, "appointment": appointment})
        found = kiosk_booking.kiosk_appointment_find(device=device, code=code, phone_tail=tail)
    except DomainError as exc:
        return render(request, "centers/kiosk/manage.html", {**context, "error": exc}, status=exc.status)
    others = [s for s in selectors.open_slots(device.center, category_id=found.category_id, free_only=True)
              if s.pk != found.slot_id]
    return render(request, "centers/kiosk/manage.html", {**context, "found": found, "slots": others})


urlpatterns: list[URLPattern] = [
    path("<str:center_code>/kiosk/book/", kiosk_book, name="kiosk-book"),
    path("<str:center_code>/kiosk/appointment/", kiosk_appointment, name="kiosk-appointment"),
]
