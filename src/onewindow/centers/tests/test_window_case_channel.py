"""A case taken at the window from the ticket being served records where the applicant came from:
channel ``appointment`` for a booked (checked-in) ticket, ``window`` for a walk-in — decided from
the ticket the clerk is serving, not from anything the page claims (issue #10 part 6)."""

from __future__ import annotations

import datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from onewindow.cases.models import Case
from onewindow.centers import services
from onewindow.centers.models import AppointmentSlot, Ticket
from onewindow.centers.testing import CenterWorld, take

NEW = "/cases/staff/new/"


def _serve_appointment(w: CenterWorld) -> Ticket:
    slot = AppointmentSlot.objects.create(center=w.center, category=w.a, date=w.at().date(),
                                          starts=datetime.time(10, 0), ends=datetime.time(10, 30), capacity=2)
    booking = services.appointment_book(by=w.cw.p.citizen, slot_id=slot.pk, now=w.at(-60))
    ticket = services.appointment_check_in(by=w.clerk, code=booking.code, now=w.at(0))
    called = services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(1))
    assert called.pk == ticket.pk
    return services.ticket_start(by=w.clerk, ticket_id=ticket.pk, now=w.at(2))


def _apply(w: CenterWorld, clerk: Client, ticket: Ticket, key: str) -> Any:
    person = w.cw.p.citizen.person
    return clerk.post(NEW, {"op": "apply", "key": key, "person": person.ref, "item": w.cw.street_item.code,
                            "receiving_department": str(w.cw.center.pk), "ticket": str(ticket.pk),
                            "f_applicant_name": person.name, "f_contact_phone": "13800138000",
                            "f_description": "新办", "delivery_method": "window"})


def test_case_from_an_appointment_ticket_records_channel_appointment(center_world: CenterWorld) -> None:
    w = center_world
    ticket = _serve_appointment(w)
    clerk = Client()
    clerk.force_login(w.clerk)
    desk = clerk.get(reverse("centers:desk-window", args=[w.w1.pk])).content.decode()
    assert f"ticket={ticket.pk}" in desk  # the desk opens the window entry page for the served ticket
    page = clerk.get(f"{NEW}?ticket={ticket.pk}&person={w.cw.p.citizen.person.ref}"
                     f"&item={w.cw.street_item.code}").content.decode()
    assert f'name="ticket" value="{ticket.pk}"' in page
    response = _apply(w, clerk, ticket, "0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert response.status_code == 302, response.content
    case = Case.objects.get(applicant_person=w.cw.p.citizen.person)
    assert (case.channel, case.submitter_id) == ("appointment", w.clerk.pk)


def test_walk_in_ticket_and_a_ticket_not_served_by_this_clerk_record_channel_window(
        center_world: CenterWorld) -> None:
    w = center_world
    booked = _serve_appointment(w)
    clerk = Client()
    clerk.force_login(w.clerk)
    services.ticket_finish(by=w.clerk, ticket_id=booked.pk, now=w.at(3))  # no longer being served
    assert _apply(w, clerk, booked, "1f1e2d3c4b5a69788796a5b4c3d2e1f0").status_code == 302
    walk_in = take(w, w.a, minutes=4)
    services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(5))
    services.ticket_start(by=w.clerk, ticket_id=walk_in.pk, now=w.at(6))
    assert _apply(w, clerk, walk_in, "2f1e2d3c4b5a69788796a5b4c3d2e1f0").status_code == 302
    channels = list(Case.objects.filter(applicant_person=w.cw.p.citizen.person).order_by("pk")
                    .values_list("channel", flat=True))
    assert channels == ["window", "window"]
