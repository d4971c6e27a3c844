"""Real processes against one database: ticket numbers stay unique and gap-free, and no ticket is
ever called by two windows."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection

from onewindow.centers.choices import TicketStatus
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import CenterWorld
from onewindow.core.testing import pool_starmap

from . import queue_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_processes_take_unique_gap_free_tickets(center_world: CenterWorld) -> None:
    db_name = connection.settings_dict["NAME"]
    processes, per_process = 4, 10
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool_starmap(pool, queue_worker.take_tickets,
                               [(db_name, center_world.center.pk, center_world.a.pk, per_process)] * processes)
    displays = sorted(d for chunk in results for d in chunk)
    assert displays == [f"A{n:03d}" for n in range(1, processes * per_process + 1)]
    assert Ticket.objects.filter(center=center_world.center).count() == processes * per_process


def test_no_ticket_is_called_twice(center_world: CenterWorld) -> None:
    w = center_world
    db_name = connection.settings_dict["NAME"]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool_starmap(pool, queue_worker.take_tickets, [(db_name, w.center.pk, w.a.pk, 15),
                                                       (db_name, w.center.pk, w.c.pk, 15)])
    with multiprocessing.get_context("spawn").Pool(2) as pool:  # windows 1 and 3 both serve A and C
        results = pool_starmap(pool, queue_worker.call_until_empty, [(db_name, w.w1.pk, w.clerk.pk),
                                                                     (db_name, w.w3.pk, w.clerk.pk)])
    called = [pk for chunk in results for pk in chunk]
    assert len(called) == len(set(called)) == 30
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.DONE}
    assert TicketEvent.objects.filter(action="call").count() == 30


def test_slot_capacity_is_never_exceeded(center_world: CenterWorld) -> None:
    import datetime

    from onewindow.accounts.testing import UserFactory
    from onewindow.centers.models import Appointment, AppointmentSlot

    w = center_world
    slot = AppointmentSlot.objects.create(center=w.center, category=w.b, date=datetime.date(2026, 3, 3),
                                          starts=datetime.time(9), ends=datetime.time(9, 30), capacity=5)
    users = [UserFactory.create(username=f"booker{i}").pk for i in range(16)]
    db_name = connection.settings_dict["NAME"]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        results = pool_starmap(pool, queue_worker.book, [(db_name, slot.pk, users[i::4]) for i in range(4)])
    outcomes = sorted(o for chunk in results for o in chunk)
    assert outcomes == ["ok"] * 5 + ["slot_full"] * 11
    slot.refresh_from_db()
    assert slot.booked == 5 == Appointment.objects.filter(slot=slot, status="booked").count()
