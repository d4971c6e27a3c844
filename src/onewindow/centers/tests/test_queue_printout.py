"""The printout's people ahead (issue #17: one prepared COUNT after the take's COMMIT) is the figure the
status page gives the same ticket, whatever priorities, transfers, cancels and calls did to the queue."""

from __future__ import annotations

import pytest

from onewindow.centers import selectors, services
from onewindow.centers.choices import TicketStatus
from onewindow.centers.models import Ticket
from onewindow.centers.printout import people_ahead, printout
from onewindow.centers.testing import CenterWorld, take

pytestmark = pytest.mark.django_db


def test_people_ahead_matches_the_status_page(center_world: CenterWorld) -> None:
    w = center_world
    a1, a2, a3 = take(w, w.a, 0), take(w, w.a, 1), take(w, w.a, 2)
    take(w, w.b, 3)  # another category: never ahead of an A ticket
    elderly = take(w, w.a, 10, priority="elderly")  # 15 minutes head start: ahead of every A ticket above
    vip = take(w, w.a, 12, priority="vip")  # 30 minutes: first of all
    services.ticket_cancel(status_code=a2.status_code, now=w.at(13))
    services.ticket_transfer(by=w.clerk, ticket_id=take(w, w.c, 0).pk, to_category_id=w.a.pk, now=w.at(14))
    assert services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(15)).pk == vip.pk
    waiting = list(Ticket.objects.filter(center=w.center, category=w.a, status=TicketStatus.WAITING))
    assert len(waiting) == 4  # a1, a3, elderly and the transferred C ticket
    for ticket in waiting:
        assert people_ahead(ticket) == selectors.ticket_status(ticket.status_code).ahead
    assert [people_ahead(t) for t in (elderly, a1, a3)] == [0, 1, 3]  # the transferred one kept its place (0 min)


def test_printout_of_a_ticket_just_taken(center_world: CenterWorld) -> None:
    w = center_world
    take(w, w.a, 0)
    take(w, w.a, 1)
    ticket = take(w, w.a, 2)
    shown = printout(ticket)
    assert (shown.display, shown.ahead, shown.status) == (ticket.display, 2, TicketStatus.WAITING)
    assert shown.ahead == selectors.ticket_status(ticket.status_code).ahead
