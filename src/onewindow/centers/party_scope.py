"""The centers app's answer to accounts' unmask scope (accounts.scope, docs/decisions/0007).

A person is in a viewer's scope through a center when they hold a queue ticket or an
appointment at a center whose receiving department is one of the viewer's departments, or where
the viewer works (CenterStaff), and the ticket or appointment is dated within the scope period
(a ticket lives one day; a booking ahead is dated in the future). One query each, through the
person indexes.
"""

from __future__ import annotations

from django.db.models import Q

from onewindow.accounts.choices import PurposeKind
from onewindow.accounts.models import Person
from onewindow.accounts.scope import Purpose, Viewer

from .models import Appointment, CenterStaff, Ticket


def _centers_q(viewer: Viewer, prefix: str) -> Q:
    mine = CenterStaff.objects.filter(user_id=viewer.user.pk, valid=True).values("center_id")
    return Q(**{f"{prefix}department_id__in": viewer.department_ids}) | Q(**{f"{prefix}id__in": mine})


def ticket_party_scope(viewer: Viewer, person: Person) -> Purpose | None:
    """The newest ticket of ``person`` at one of the viewer's centers, as a purpose."""
    row = (Ticket.objects.filter(person_id=person.pk)
           .filter(_centers_q(viewer, "center__"))
           .filter(date__gte=viewer.since_date)
           .order_by("-date", "-id")
           .values_list("pk", "display", "date", "center__department_id").first())
    if row is None:
        return None
    pk, display, date, department = row
    return Purpose(PurposeKind.TICKET, f"{date:%Y-%m-%d} {display}", department, pk)


def appointment_party_scope(viewer: Viewer, person: Person) -> Purpose | None:
    """The newest appointment of ``person`` at one of the viewer's centers, as a purpose. The
    booking code is a credential at the kiosk, so the reference is the date and category."""
    row = (Appointment.objects.filter(person_id=person.pk)
           .filter(_centers_q(viewer, "slot__center__"))
           .filter(date__gte=viewer.since_date)
           .order_by("-date", "-id")
           .values_list("pk", "date", "category__name", "slot__center__department_id").first())
    if row is None:
        return None
    pk, date, category, department = row
    return Purpose(PurposeKind.APPOINTMENT, f"{date:%Y-%m-%d} {category}"[:64], department, pk)
