"""Ticket and appointment rows for the acceptance query (受理信息查询, issue #14 part 8), masked.

Read by ``analytics.selectors.search``, which decides the scope (the viewer's centers) and audits
each search. Rows are plain dicts like ``cases.lookups``: kind ("ticket" / "appointment"), id, at,
item, person (masked: 个人信息保护法 art. 51), status, number, link (the center's staff page).
Persons are matched by id, a walk-in's ticket by the keyed hash of the typed phone; nothing is
decrypted to search.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onewindow.core.masking import mask_id_number, mask_name, mask_phone

from .choices import AppointmentStatus, TicketStatus
from .models import Appointment, Ticket


def _masked(person: Any, phone: str = "") -> str:
    if person is not None:
        return f"{mask_name(person.name)} {mask_id_number(person.id_number)}".strip()
    return mask_phone(phone) if phone else ""


def ticket_lookup(*, everything: bool = False, center_ids: list[int] | None = None,
                  person_ids: list[int] | None = None, phone_hashes: list[str] | None = None,
                  window_id: int | None = None, clerk_id: int | None = None, since: datetime.datetime,
                  until: datetime.datetime) -> QuerySet[Ticket]:
    """Tickets in scope matching the criteria (``None`` = not a criterion), newest first."""
    tickets = Ticket.objects.all() if everything else Ticket.objects.filter(center_id__in=center_ids or [])
    if person_ids is not None or phone_hashes is not None:
        tickets = tickets.filter(Q(person_id__in=person_ids or []) | Q(phone_hash__in=phone_hashes or []))
    if window_id is not None:
        tickets = tickets.filter(window_id=window_id)
    if clerk_id is not None:
        tickets = tickets.filter(clerk_id=clerk_id)
    return tickets.filter(taken_at__gte=since, taken_at__lt=until).order_by("-taken_at", "-pk")


def ticket_rows(tickets: QuerySet[Ticket], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` tickets as result rows."""
    return [{"kind": "ticket", "id": t.pk, "at": t.taken_at, "item": f"{t.center.name} · {t.category.name}",
             "person": _masked(t.person, t.phone), "status": str(TicketStatus(t.status).label),
             "number": t.display, "link": f"/centers/{t.center_id}/manage/"}
            for t in tickets.select_related("person", "center", "category")[:limit]]


def appointment_lookup(*, everything: bool = False, center_ids: list[int] | None = None,
                       person_ids: list[int] | None = None, item_id: int | None = None,
                       since: datetime.datetime, until: datetime.datetime) -> QuerySet[Appointment]:
    """Appointments in scope matching the criteria, by the day booked for, newest first."""
    appointments = (Appointment.objects.all() if everything
                    else Appointment.objects.filter(slot__center_id__in=center_ids or []))
    if person_ids is not None:
        appointments = appointments.filter(person_id__in=person_ids)
    if item_id is not None:
        appointments = appointments.filter(item_id=item_id)
    return appointments.filter(date__gte=since.date(), date__lte=until.date()).order_by(
        "-date", "-slot__starts", "-pk")


def appointment_rows(appointments: QuerySet[Appointment], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` appointments as result rows (``at``: the start of the slot booked)."""
    rows = []
    for a in appointments.select_related("person", "slot__center", "category", "item")[:limit]:
        rows.append({"kind": "appointment", "id": a.pk,
                     "at": timezone.make_aware(datetime.datetime.combine(a.date, a.slot.starts)),
                     "item": a.item.name if a.item is not None else f"{a.slot.center.name} · {a.category.name}",
                     "person": _masked(a.person), "status": str(AppointmentStatus(a.status).label),
                     "number": a.code, "link": f"/centers/{a.slot.center_id}/manage/"})
    return rows
