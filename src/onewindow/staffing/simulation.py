"""A discrete-event simulation of a center's day on simpy (issue #15 part 4, and part 2 where
windows serve several categories with priorities and Erlang C is only an approximation).

The rules are those of the real queue (``centers.services.queue.ticket_call_next``, DOMAIN.md on
queue order): a window that is open and free calls, among the waiting people of the categories it
serves at that moment, the one with the smallest queue key (``Arrival.key``: the time taken less the
priority's bounded head start), ties in the order the tickets were taken. Then:

- service takes ``Arrival.service`` seconds; a person with ``transfer_to`` spends
  ``transfer_after`` seconds at the first window, re-joins the queue of ``transfer_to`` with the same
  key, and is served there for ``service`` seconds. The wait counts once: taken → first call;
- a window has one or more spans (``plans.Span``), one after another, each with its categories
  ("window 7 serves B until 11:30"); it calls only inside a span, finishes the person it is serving
  after the span ends (no pre-emption) and calls nobody after;
- people still waiting when no span is left are ``unserved``; a person never called counts the wait
  (last span end − taken), never less than 0, so that a plan with too few windows is not flattered.
  A transferred person left waiting at the second window is unserved but their wait was counted
  at the first call.

One simpy process replays the arrivals (one timeout per distinct arrival time), one process runs
each window. An idle window sleeps on a single "doorbell" event, rung by an arrival in one of its
categories or by the end of its span; every idle window of the category is rung (longest idle
first), so nobody waits while a window that could call them sleeps. ``SimResult.events`` is the
number of simpy events processed (``Environment.step`` calls) — the figure of the benchmark.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Generator, Iterable, Sequence
from typing import Any

import simpy
from simpy.core import EmptySchedule

from .plans import Arrival, SimResult, Span

# A queue entry: (key, order taken, the person, stage 0 = first visit / 1 = after a transfer).
_Entry = tuple[int, int, Arrival, int]


class _Day:
    """The shared state of one simulated day: the queues per category, the idle windows per
    category, and the running totals."""

    __slots__ = ("busy", "env", "horizon", "idle", "queues", "waits")

    def __init__(self, env: simpy.Environment, horizon: int | None) -> None:
        self.env = env
        self.horizon = horizon
        self.queues: dict[int, list[_Entry]] = {}
        self.idle: dict[int, dict[_Window, None]] = {}
        self.waits: list[int] = []
        self.busy = 0

    def queue(self, category_id: int) -> list[_Entry]:
        found = self.queues.get(category_id)
        if found is None:
            found = self.queues[category_id] = []
            self.idle[category_id] = {}
        return found

    def push(self, category_id: int, entry: _Entry) -> None:
        heapq.heappush(self.queue(category_id), entry)
        sleepers = self.idle[category_id]
        if sleepers:
            for window in list(sleepers):
                window.ring()

    def arrivals(self, ordered: Sequence[Arrival]) -> Generator[simpy.Event, Any, None]:
        env = self.env
        push = self.push
        for seq, person in enumerate(ordered):
            if person.at > env.now:
                yield env.timeout(person.at - env.now)
            push(person.category_id, (person.key, seq, person, 0))


class _Window:
    """One window id's process over its spans (sorted by start)."""

    __slots__ = ("bell", "day", "registered", "spans")

    def __init__(self, day: _Day, spans: list[Span]) -> None:
        self.day = day
        self.spans = spans
        self.bell: simpy.Event | None = None
        self.registered: list[dict[_Window, None]] = []

    def ring(self, _event: simpy.Event | None = None) -> None:
        bell = self.bell
        if bell is None:
            return
        for sleepers in self.registered:
            sleepers.pop(self, None)
        self.registered = []
        self.bell = None
        bell.succeed()

    def run(self) -> Generator[simpy.Event, Any, None]:
        day = self.day
        env = day.env
        horizon = day.horizon
        for span in self.spans:
            if env.now < span.start:
                yield env.timeout(span.start - env.now)
            end = span.end
            if env.now >= end:
                continue
            cats = sorted(span.category_ids)
            queues = [day.queue(k) for k in cats]
            idle_sets = [day.idle[k] for k in cats]
            env.timeout(end - env.now).callbacks.append(self.ring)
            while env.now < end:
                best: list[_Entry] | None = None
                for q in queues:
                    if q and (best is None or q[0] < best[0]):
                        best = q
                if best is None:
                    self.bell = env.event()
                    for sleepers in idle_sets:
                        sleepers[self] = None
                    self.registered = idle_sets
                    yield self.bell
                    continue
                key, seq, person, stage = heapq.heappop(best)
                now = env.now
                if stage == 0:
                    day.waits.append(int(now - person.at))
                    hold = person.service if person.transfer_to is None else person.transfer_after
                else:
                    hold = person.service
                day.busy += hold if horizon is None else max(0, min(hold, int(horizon - now)))
                yield env.timeout(hold)
                if stage == 0 and person.transfer_to is not None:
                    day.push(person.transfer_to, (key, seq, person, 1))


def simulate(arrivals: Sequence[Arrival], spans: Sequence[Span], *, horizon: int | None = None) -> SimResult:
    """Replay ``arrivals`` against the windows open in ``spans`` (see the module rules) and return
    the waits (one per person taken before ``horizon``: at the first call, or for the unserved the
    time to the last span end), the staff seconds (span lengths, cut at ``horizon``), the busy
    seconds, the simpy events processed and the unserved count. Arrivals at or after ``horizon`` are
    not simulated; the run stops at ``horizon`` (None: when nothing is left to happen)."""
    env = simpy.Environment()
    day = _Day(env, horizon)
    ordered = sorted(
        (a for a in arrivals if horizon is None or a.at < horizon),
        key=lambda a: a.at,
    )
    by_window: dict[int, list[Span]] = {}
    for span in spans:
        by_window.setdefault(span.window_id, []).append(span)
    staff = 0
    last_end = 0
    for window_spans in by_window.values():
        window_spans.sort(key=lambda s: (s.start, s.end))
        for span in window_spans:
            end = span.end if horizon is None else min(span.end, horizon)
            staff += max(0, end - span.start)
            last_end = max(last_end, span.end)
        env.process(_Window(day, window_spans).run())
    env.process(day.arrivals(ordered))

    events = 0
    step = env.step
    try:
        if horizon is None:
            while True:
                step()
                events += 1
        else:
            peek = env.peek
            while peek() < horizon:
                step()
                events += 1
    except EmptySchedule:
        pass

    cutoff = last_end if horizon is None else min(last_end, horizon)
    # every arrival before the horizon was queued (events before the horizon are all processed),
    # so whoever is not called is still in a queue
    unserved = 0
    waits = day.waits
    for queue in day.queues.values():
        for _key, _seq, person, stage in queue:
            unserved += 1
            if stage == 0:
                waits.append(max(0, cutoff - person.at))
    return SimResult(waits=waits, staff_seconds=staff, busy_seconds=day.busy, events=events, unserved=unserved)


def merge(results: Iterable[SimResult]) -> SimResult:
    """Several simulated days (or centers) as one result: waits concatenated, totals summed."""
    merged = SimResult()
    for result in results:
        merged.waits.extend(result.waits)
        merged.staff_seconds += result.staff_seconds
        merged.busy_seconds += result.busy_seconds
        merged.events += result.events
        merged.unserved += result.unserved
    return merged


def poisson_day(
    rate_per_second: float, service_mean: float, horizon: int, *, category_id: int, seed: int
) -> list[Arrival]:
    """Poisson arrivals at ``rate_per_second`` over [0, ``horizon``) with exponential service of mean
    ``service_mean`` seconds, rounded to whole seconds, all of normal priority (key = time taken):
    the M/M/c case for validating the simulation against Erlang C, and the benchmark's load.
    Deterministic for a ``seed`` (its own ``random.Random``, never the global generator)."""
    rng = random.Random(seed)
    expo = rng.expovariate
    service_rate = 1 / service_mean
    out: list[Arrival] = []
    t = 0.0
    while True:
        t += expo(rate_per_second)
        if t >= horizon:
            return out
        at = int(t)
        out.append(Arrival(at=at, category_id=category_id, key=at, service=round(expo(service_rate))))
