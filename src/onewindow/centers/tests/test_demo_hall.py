"""The demo's live hall (issue #16 "the service wall shows today's live queue"): a tick plays
today's arrivals and the duty windows through the real queue and window services."""

from __future__ import annotations

import datetime
import itertools
import json
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings

from onewindow.accounts.models import User
from onewindow.centers.choices import DeviceKind, TicketStatus, WindowEventAction, WindowState
from onewindow.centers.models import CenterStaff, Device, Ticket, TicketEvent, Window, WindowDuty, WindowEvent
from onewindow.centers.schedules import _DemoHallJob, demo_hall_profile
from onewindow.centers.services.demo_hall import DEVICE_NAME, HallProfile, day_arrivals, demo_hall_tick
from onewindow.centers.services.windows import signed_in_at
from onewindow.centers.tasks import centers_demo_hall, demo_hall_codes
from onewindow.centers.testing import MONDAY_10, CenterWorld
from onewindow.core.testing import join_all, start_barrier

PROFILE = demo_hall_profile()

S = TicketStatus


def _generated_clerk(world: CenterWorld, username: str) -> User:
    user = User(username=username)
    user.set_unusable_password()  # a generated clerk: never logs in, the simulator plays them
    user.save()
    CenterStaff.objects.create(center=world.center, user=user)
    return user


@pytest.fixture
def hall(center_world: CenterWorld) -> CenterWorld:
    """Duty on Monday 2 March: generated clerks at windows 2 and 3, the (login) center clerk at 1."""
    w = center_world
    day = MONDAY_10.date()
    WindowDuty.objects.create(window=w.w1, user=w.clerk, date=day)
    WindowDuty.objects.create(window=w.w2, user=_generated_clerk(w, "gen-clerk-2"), date=day)
    WindowDuty.objects.create(window=w.w3, user=_generated_clerk(w, "gen-clerk-3"), date=day)
    return w


def _snapshot(world: CenterWorld) -> tuple[Any, ...]:
    return (sorted(Ticket.objects.filter(center=world.center).values_list(
                "pk", "status", "window_id", "called_at", "started_at", "finished_at", "recalls")),
            TicketEvent.objects.filter(ticket__center=world.center).count(),
            WindowEvent.objects.filter(center=world.center).count(),
            sorted(Window.objects.filter(center=world.center).values_list("pk", "state")))


def _due(world: CenterWorld, moment: datetime.datetime) -> int:
    seconds = moment.hour * 3600 + moment.minute * 60
    return len([a for a in day_arrivals(world.center, moment.date(), PROFILE) if a.seconds <= seconds])


def test_the_profile_survives_its_json_form() -> None:
    assert HallProfile.from_json(json.loads(json.dumps(PROFILE.as_json()))) == PROFILE


@pytest.mark.django_db
def test_arrivals_are_deterministic_per_seed_and_date_and_follow_the_hours(hall: CenterWorld) -> None:
    day = MONDAY_10.date()
    first = day_arrivals(hall.center, day, PROFILE)
    assert first == day_arrivals(hall.center, day, PROFILE)
    assert first != day_arrivals(hall.center, day, PROFILE, seed=99)
    assert {a.prefix for a in first} == {"A", "B", "C"}
    assert all(8 * 3600 + 1800 <= a.seconds <= 16 * 3600 + 1800 for a in first)
    assert [a.seconds for a in first] == sorted(a.seconds for a in first)
    assert day_arrivals(hall.center, day - datetime.timedelta(days=1), PROFILE) == []  # Sunday


@pytest.mark.django_db
def test_tick_at_ten_takes_the_due_arrivals_calls_at_the_played_windows_and_leaves_a_queue(hall: CenterWorld) -> None:
    due = _due(hall, MONDAY_10)
    assert due > 20
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10)
    device = Device.objects.get(center=hall.center, name=DEVICE_NAME)
    assert device.kind == DeviceKind.TICKET_PRINTER
    tickets = Ticket.objects.filter(center=hall.center)
    assert counts["taken"] == due == tickets.count() == tickets.filter(device=device).count()
    assert counts["signed_in"] == 2  # windows 2 and 3; window 1's clerk can log in: left to them
    assert counts["opened"] == 0  # already open
    assert signed_in_at(hall.w1.pk) is None
    assert not tickets.filter(window=hall.w1).exists()
    served = tickets.exclude(called_at=None)
    assert counts["called"] == served.count() > 0
    assert set(served.values_list("window_id", flat=True)) == {hall.w2.pk, hall.w3.pk}
    assert all(t.called_at is not None and t.called_at >= t.taken_at for t in served)
    assert all(t.taken_at <= MONDAY_10 for t in tickets)
    assert counts["finished"] == tickets.filter(status=S.DONE).count() > 0
    assert tickets.filter(status=S.WAITING).count() > 0  # a queue at 10:00 with two windows
    # each played window has at most one ticket at hand, and its services follow each other
    for window in (hall.w2, hall.w3):
        assert tickets.filter(window=window, status__in=[S.CALLED, S.SERVING]).count() <= 1
        done = list(tickets.filter(window=window, status=S.DONE).order_by("called_at"))
        assert all(a.finished_at is not None and b.called_at is not None and a.finished_at < b.called_at
                   for a, b in itertools.pairwise(done))
    # numbers are the service's: gap-free per category
    for category in (hall.a, hall.b, hall.c):
        numbers = sorted(tickets.filter(category=category).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.django_db
def test_a_second_tick_at_the_same_instant_changes_nothing(hall: CenterWorld) -> None:
    demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10)
    before = _snapshot(hall)
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10)
    assert counts == dict.fromkeys(counts, 0)
    assert _snapshot(hall) == before


class _Rollback(Exception):
    pass


def _played(world: CenterWorld) -> list[tuple[Any, ...]]:
    return sorted(Ticket.objects.filter(center=world.center).values_list(
        "display", "status", "window_id", "taken_at", "called_at", "started_at", "finished_at", "recalls"))


@pytest.mark.django_db
def test_ticks_every_few_minutes_play_the_same_day_as_one_catch_up(hall: CenterWorld) -> None:
    until = MONDAY_10 + datetime.timedelta(minutes=30)
    with pytest.raises(_Rollback), transaction.atomic():
        demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=until)
        caught_up = _played(hall)
        raise _Rollback
    assert not Ticket.objects.exists()
    for minute in range(0, 31, 3):
        moment = MONDAY_10 + datetime.timedelta(minutes=minute)
        demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=moment)
    assert _played(hall) == caught_up
    assert len(caught_up) == _due(hall, until)


@pytest.mark.django_db
def test_a_tick_at_twenty_drains_the_day_and_closes_the_windows(hall: CenterWorld) -> None:
    WindowDuty.objects.filter(window=hall.w1).update(user=_generated_clerk(hall, "gen-clerk-1"))  # 3 windows played
    morning = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10)
    evening = MONDAY_10.replace(hour=20)
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=evening)
    tickets = Ticket.objects.filter(center=hall.center)
    assert tickets.count() == len(day_arrivals(hall.center, MONDAY_10.date(), PROFILE))
    assert not tickets.filter(status__in=[S.WAITING, S.CALLED, S.SERVING]).exists()
    assert set(tickets.values_list("status", flat=True)) <= {S.DONE, S.NO_SHOW}
    assert morning["skipped"] + counts["skipped"] == tickets.filter(status=S.NO_SHOW).count()
    assert counts["closed"] == 3
    assert set(Window.objects.filter(center=hall.center).values_list("state", flat=True)) == {WindowState.CLOSED}
    assert [signed_in_at(w.pk) for w in (hall.w1, hall.w2, hall.w3)] == [None, None, None]
    sign_outs = WindowEvent.objects.filter(center=hall.center, action=WindowEventAction.SIGN_OUT, reason="closed")
    assert sign_outs.count() == 3
    before = _snapshot(hall)
    again = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=evening)
    assert again == dict.fromkeys(counts, 0)
    assert _snapshot(hall) == before


@pytest.mark.django_db
def test_a_first_tick_after_closing_plays_nothing_and_closes_the_windows(hall: CenterWorld) -> None:
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10.replace(hour=20))
    assert not Ticket.objects.filter(center=hall.center).exists()
    assert counts["closed"] == 3 and counts["taken"] == counts["signed_in"] == 0


@pytest.mark.django_db
def test_a_tick_before_opening_opens_nothing_and_closes_what_was_left_open(hall: CenterWorld) -> None:
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10.replace(hour=7))
    assert counts["closed"] == 3 and counts["signed_in"] == counts["taken"] == 0
    assert not Ticket.objects.filter(center=hall.center).exists()
    assert not WindowEvent.objects.filter(action=WindowEventAction.SIGN_IN).exists()


@pytest.mark.django_db
def test_the_tick_opens_a_closed_duty_window_at_opening(hall: CenterWorld) -> None:
    Window.objects.filter(pk=hall.w2.pk).update(state=WindowState.CLOSED)
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10)
    assert counts["opened"] == 1
    hall.w2.refresh_from_db()
    assert hall.w2.state == WindowState.OPEN
    assert Ticket.objects.filter(window=hall.w2).exists()


@pytest.mark.django_db
def test_a_tick_on_a_sunday_does_nothing(hall: CenterWorld) -> None:
    Window.objects.filter(center=hall.center).update(state=WindowState.CLOSED)
    before = _snapshot(hall)
    sunday = MONDAY_10 - datetime.timedelta(days=1)
    counts = demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=sunday)
    assert counts == dict.fromkeys(counts, 0)
    assert _snapshot(hall) == before


@pytest.mark.django_db
def test_an_unknown_center_does_nothing(hall: CenterWorld) -> None:
    before = _snapshot(hall)
    assert demo_hall_tick(center_code="NOPE", profile=PROFILE, now=MONDAY_10) == dict.fromkeys(
        ("taken", "called", "started", "finished", "skipped", "opened", "signed_in", "closed"), 0)
    assert _snapshot(hall) == before
    assert not Device.objects.filter(name=DEVICE_NAME).exists()


@pytest.mark.django_db
def test_the_task_is_a_no_op_unless_the_setting_names_the_center(hall: CenterWorld) -> None:
    with override_settings(CENTERS_DEMO_HALL=""):
        assert demo_hall_codes() == []
        assert _DemoHallJob().enqueue() is None  # nothing queued when off
        assert centers_demo_hall.call(PROFILE.as_json(), MONDAY_10.isoformat()) == {}
    assert not Ticket.objects.exists()
    with override_settings(CENTERS_DEMO_HALL=f" {hall.center.code} ,"):
        assert demo_hall_codes() == [hall.center.code]
        result = centers_demo_hall.call(PROFILE.as_json(), MONDAY_10.isoformat())
    assert result[hall.center.code]["taken"] == _due(hall, MONDAY_10) == Ticket.objects.count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; run with DATABASE_URL")
def test_two_ticks_at_once_take_each_arrival_once(hall: CenterWorld) -> None:
    start = start_barrier(2)
    errors: list[BaseException] = []
    results: list[dict[str, int]] = []

    def tick() -> None:
        try:
            start.wait()
            results.append(demo_hall_tick(center_code=hall.center.code, profile=PROFILE, now=MONDAY_10))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    join_all(threads)
    assert errors == []
    due = _due(hall, MONDAY_10)
    assert sorted(r["taken"] for r in results) == [0, due]
    tickets = Ticket.objects.filter(center=hall.center)
    assert tickets.count() == due
    assert TicketEvent.objects.filter(ticket__center=hall.center, action="take").count() == due
    assert Device.objects.filter(center=hall.center, name=DEVICE_NAME).count() == 1
    for category in (hall.a, hall.b, hall.c):
        numbers = sorted(tickets.filter(category=category).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


def test_the_scheduler_runs_the_hall_every_minute() -> None:
    from onewindow.core import scheduling

    assert scheduling.registered()["centers.demo_hall"].every == datetime.timedelta(minutes=1)
