"""Real processes against one database: ticket numbers stay unique and gap-free, and no ticket is
ever called by two windows."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection

from onewindow.centers.choices import TicketStatus
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import CenterWorld

from . import queue_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_processes_take_unique_gap_free_tickets(center_world: CenterWorld) -> None:
    db_name = connection.settings_dict["NAME"]
    processes, per_process = 4, 10
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(queue_worker.take_tickets,
                               [(db_name, center_world.center.pk, center_world.a.pk, per_process)] * processes)
    displays = sorted(d for chunk in results for d in chunk)
    assert displays == [f"A{n:03d}" for n in range(1, processes * per_process + 1)]
    assert Ticket.objects.filter(center=center_world.center).count() == processes * per_process


def test_no_ticket_is_called_twice(center_world: CenterWorld) -> None:
    w = center_world
    db_name = connection.settings_dict["NAME"]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.starmap(queue_worker.take_tickets, [(db_name, w.center.pk, w.a.pk, 15),
                                                 (db_name, w.center.pk, w.c.pk, 15)])
    with multiprocessing.get_context("spawn").Pool(2) as pool:  # windows 1 and 3 both serve A and C
        results = pool.starmap(queue_worker.call_until_empty, [(db_name, w.w1.pk, w.clerk.pk),
                                                               (db_name, w.w3.pk, w.clerk.pk)])
    called = [pk for chunk in results for pk in chunk]
    assert len(called) == len(set(called)) == 30
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.DONE}
    assert TicketEvent.objects.filter(action="call").count() == 30
