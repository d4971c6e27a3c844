"""A hypothesis state machine of the queue: any sequence of take / call / recall / skip / requeue /
transfer / start / finish / cancel keeps every invariant — gap-free unique numbers, at most one
ticket per window, each call takes the first eligible ticket, statuses as predicted."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from onewindow.centers import services
from onewindow.centers.choices import TicketStatus as S
from onewindow.centers.models import Ticket
from onewindow.centers.testing import CenterWorld
from onewindow.core.calendar import is_working_day
from onewindow.core.errors import DomainError


def test_queue_state_machine(center_world: CenterWorld) -> None:
    w = center_world
    days = (datetime.date(2026, 3, 2) + datetime.timedelta(days=i) for i in itertools.count())
    categories = [w.a, w.b, w.c]
    windows = [w.w1, w.w2, w.w3]
    serves = {w.w1.pk: {w.a.pk, w.c.pk}, w.w2.pk: {w.b.pk}, w.w3.pk: {w.a.pk, w.b.pk, w.c.pk}}

    class Queue(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            day = next(days)
            while not is_working_day(day):
                day = next(days)
            self.day = day
            self.minute = 0
            self.expected: dict[int, str] = {}
            self.at_window: dict[int, int | None] = {win.pk: None for win in windows}

        def now(self) -> datetime.datetime:
            self.minute += 1
            return timezone.make_aware(datetime.datetime.combine(self.day, datetime.time(9, 0))
                                       + datetime.timedelta(minutes=self.minute))

        def _tickets(self) -> Any:
            return Ticket.objects.filter(center=w.center, date=self.day)

        @rule(category=st.sampled_from(range(3)), priority=st.sampled_from(["normal", "normal", "elderly", "vip"]))
        def take(self, category: int, priority: str) -> None:
            ticket = services.ticket_take(by=w.clerk, center_id=w.center.pk, category_id=categories[category].pk,
                                          priority=priority, now=self.now())
            self.expected[ticket.pk] = S.WAITING

        @rule(index=st.sampled_from(range(3)))
        def call(self, index: int) -> None:
            window = windows[index]
            eligible = [t for t in self._tickets().filter(status=S.WAITING).order_by("queue_key", "id")
                        if t.target_window_id == window.pk
                        or (t.target_window_id is None and t.category_id in serves[window.pk])]
            try:
                ticket = services.ticket_call_next(by=w.clerk, window_id=window.pk, now=self.now())
            except DomainError as exc:
                busy = self.at_window[window.pk] is not None
                assert exc.code == ("window_busy" if busy else "queue_empty")
                assert busy or not eligible
                return
            assert self.at_window[window.pk] is None and eligible
            directed = [t for t in eligible if t.target_window_id == window.pk]
            first = min(eligible, key=lambda t: (t.queue_key, t.pk))
            assert ticket.pk == first.pk or (directed and ticket.pk in [d.pk for d in directed])
            self.expected[ticket.pk] = S.CALLED
            self.at_window[window.pk] = ticket.pk

        def _current(self, index: int) -> int | None:
            return self.at_window[windows[index].pk]

        @rule(index=st.sampled_from(range(3)), action=st.sampled_from(["recall", "skip", "start", "finish"]))
        def step(self, index: int, action: str) -> None:
            pk = self._current(index)
            if pk is None:
                return
            status = self.expected[pk]
            call = {"recall": services.ticket_recall, "skip": services.ticket_skip, "start": services.ticket_start,
                    "finish": services.ticket_finish}[action]
            legal = {"recall": {S.CALLED}, "skip": {S.CALLED}, "start": {S.CALLED}, "finish": {S.SERVING}}[action]
            try:
                result = call(by=w.clerk, ticket_id=pk, now=self.now())
            except DomainError as exc:
                assert status not in legal and exc.code == "ticket_illegal_transition"
                return
            assert status in legal
            self.expected[pk] = result.status
            if result.status in (S.NO_SHOW, S.DONE):
                self.at_window[windows[index].pk] = None

        @rule(index=st.sampled_from(range(3)), to=st.sampled_from(range(3)))
        def transfer(self, index: int, to: int) -> None:
            pk = self._current(index)
            if pk is None:
                return
            services.ticket_transfer(by=w.clerk, ticket_id=pk, to_window_id=windows[to].pk, now=self.now())
            self.expected[pk] = S.WAITING
            self.at_window[windows[index].pk] = None

        @rule(data=st.data())
        def requeue_or_cancel(self, data: st.DataObject) -> None:
            pks = sorted(pk for pk, s in self.expected.items() if s in (S.NO_SHOW, S.WAITING))
            if not pks:
                return
            pk = data.draw(st.sampled_from(pks))
            if self.expected[pk] == S.NO_SHOW:
                services.ticket_requeue(by=w.clerk, ticket_id=pk, now=self.now())
                self.expected[pk] = S.WAITING
            else:
                services.ticket_cancel(status_code=Ticket.objects.get(pk=pk).status_code, now=self.now())
                self.expected[pk] = S.CANCELLED

        @invariant()
        def statuses_numbers_and_windows(self) -> None:
            rows = list(self._tickets().values_list("pk", "display", "status", "window_id"))
            assert {pk: status for pk, _d, status, _w in rows} == self.expected
            for prefix in ("A", "B", "C"):
                numbers = sorted(int(d[1:]) for _pk, d, _s, _w in rows if d.startswith(prefix))
                assert numbers == list(range(1, len(numbers) + 1))
            active = [(window, pk) for pk, _d, status, window in rows if status in (S.CALLED, S.SERVING)]
            assert all(window is not None for window, _pk in active)
            assert len({window for window, _pk in active}) == len(active)  # one ticket per window at most
            assert {window: pk for window, pk in active} == {k: v for k, v in self.at_window.items() if v}

        def teardown(self) -> None:
            for pk in self.at_window.values():
                if pk is not None:
                    Ticket.objects.filter(pk=pk).update(status=S.DONE)

    run_state_machine_as_test(Queue, settings=settings(max_examples=25, stateful_step_count=25, deadline=None,
                                                       suppress_health_check=[HealthCheck.too_slow,
                                                                              HealthCheck.filter_too_much]))


pytestmark = pytest.mark.slow
