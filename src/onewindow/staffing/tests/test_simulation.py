"""The day simulation (staffing.simulation, issue #15 part 4): the M/M/c case against Erlang C within
sampling error, then exact behaviour on tiny hand-made days (queue order as in
centers.services.queue.ticket_call_next, categories per span, transfers, unserved people, totals).
"""

from __future__ import annotations

import random
import statistics

import pytest

from onewindow.staffing import erlang
from onewindow.staffing.plans import Arrival, SimResult, Span
from onewindow.staffing.simulation import merge, poisson_day, simulate

A, B = 1, 2
H = 3600


def at(hour: float) -> int:
    return int(hour * H)


def person(t: int, category: int = A, *, service: int = 100, key: int | None = None, **extra) -> Arrival:
    return Arrival(at=t, category_id=category, key=t if key is None else key, service=service, **extra)


def window(wid: int, cats: set[int], start: int, end: int) -> Span:
    return Span(window_id=wid, category_ids=frozenset(cats), start=start, end=end)


# ---------------------------------------------------------------------------------------------
# M/M/c against the formula


def test_mmc_matches_erlang_c_within_sampling_error():
    """c = 5 windows, mean service 300 s, utilisation 0.8 (A = 4 Erlangs): Erlang C gives
    P(wait) = 0.5541 and a mean wait of 166.2 s.

    Twelve independent replications (seeds 0..11) of 2 000 000 s each (~26 700 people each), the
    first 20 000 s of each discarded as warm-up (the queue starts empty). Waits within a run are
    strongly autocorrelated at this utilisation, so the error is estimated from the independent
    replication means: a Student t interval with 11 degrees of freedom at 99 % (t = 3.106). The
    interval must hold the formula's value and be tight (half-width under 15 % of the mean wait and
    under 0.03 for P(wait)) so that the test can fail. The estimator was calibrated over 34 disjoint
    seed sets (800 000 s runs) before fixing the seeds: the t statistics had mean −0.2 and s.d. 1.13
    (expected ≈ 1.1 for 11 d.f.), so rounding times to whole seconds leaves no visible bias.
    """
    c, service, rho = 5, 300.0, 0.8
    load = c * rho
    rate = load / service
    horizon, warm_up, reps, t_crit = 2_000_000, 20_000, 12, 3.106
    spans = [window(i, {A}, 0, horizon + 50_000) for i in range(c)]
    mean_waits: list[float] = []
    waited: list[float] = []
    busy = staff = 0
    for seed in range(reps):
        day = poisson_day(rate, service, horizon, category_id=A, seed=seed)
        result = simulate(day, spans)
        assert result.unserved == 0
        assert len(result.waits) == len(day)
        # one category, keys = time taken: calls happen in arrival order, so waits align with `day`
        kept = [w for p, w in zip(day, result.waits, strict=True) if p.at >= warm_up]
        mean_waits.append(sum(kept) / len(kept))
        waited.append(sum(1 for w in kept if w > 0) / len(kept))
        busy += result.busy_seconds
        staff += c * horizon

    for sample, expected, tight in (
        (mean_waits, erlang.mean_wait(load, c, service), 0.15 * erlang.mean_wait(load, c, service)),
        (waited, erlang.erlang_c(load, c), 0.03),
    ):
        mean = statistics.mean(sample)
        half = t_crit * statistics.stdev(sample) / reps**0.5
        assert half < tight
        assert mean - half <= expected <= mean + half
    assert erlang.erlang_c(load, c) == pytest.approx(0.5541, abs=1e-4)
    assert erlang.mean_wait(load, c, service) == pytest.approx(166.23, abs=1e-2)
    assert busy / staff == pytest.approx(rho, abs=0.01)  # the windows' occupancy is the utilisation


def test_pooled_categories_are_one_queue():
    """Windows serving both categories, keys = time taken: exactly the single-category run."""
    day = poisson_day(1 / 80, 300, 20_000, category_id=A, seed=7)
    relabelled = [
        Arrival(at=p.at, category_id=B if i % 3 == 0 else A, key=p.key, service=p.service) for i, p in enumerate(day)
    ]
    one = simulate(day, [window(i, {A}, 0, 30_000) for i in range(4)])
    two = simulate(relabelled, [window(i, {A, B}, 0, 30_000) for i in range(4)])
    assert two.waits == one.waits
    assert (two.busy_seconds, two.staff_seconds, two.unserved) == (one.busy_seconds, one.staff_seconds, 0)


def test_poisson_day_is_deterministic_and_leaves_the_global_generator_alone():
    state = random.getstate()
    first = poisson_day(0.01, 300, 50_000, category_id=B, seed=3)
    assert random.getstate() == state
    assert first == poisson_day(0.01, 300, 50_000, category_id=B, seed=3)
    assert first != poisson_day(0.01, 300, 50_000, category_id=B, seed=4)
    assert all(0 <= p.at < 50_000 and p.key == p.at and p.category_id == B for p in first)
    assert [p.at for p in first] == sorted(p.at for p in first)
    assert 400 <= len(first) <= 600  # 500 expected; Poisson s.d. 22


# ---------------------------------------------------------------------------------------------
# Exact behaviour on hand-made days


def test_the_smallest_key_is_called_first():
    day = [
        person(0, service=100),  # called at once
        person(10, service=100),  # normal, key 10
        person(20, service=100, key=-100, priority="priority"),  # head start: key −100
        person(30, service=100, key=10),  # same key as the second: taken later, so after it
    ]
    result = simulate(day, [window(1, {A}, 0, 1000)])
    assert result.waits == [0, 80, 190, 270]  # calls at 0, 100 (key −100), 200, 300
    assert (result.busy_seconds, result.staff_seconds, result.unserved) == (400, 1000, 0)
    assert result.events == simulate(day, [window(1, {A}, 0, 1000)]).events > 0


def test_a_window_serves_only_its_categories():
    day = [person(0, B, service=100), person(0, B, service=100), person(50, A, service=10)]
    result = simulate(day, [window(1, {A}, 0, 1000), window(2, {B}, 0, 1000)])
    # window 1 stays idle for B; the second B waits for window 2
    assert sorted(result.waits) == [0, 0, 100]
    assert (result.busy_seconds, result.staff_seconds, result.unserved) == (210, 2000, 0)


def test_a_span_switches_categories_at_half_past_eleven():
    w7 = [window(7, {B}, at(9), at(11.5)), window(7, {A}, at(11.5), at(12))]
    day = [
        person(at(11), A, service=600),  # window 7 serves only B until 11:30
        person(at(11 + 20 / 60), B, service=1200),  # called 11:20, finished 11:40 (past the switch)
        person(at(11 + 35 / 60), B, service=300),  # after 11:30 nobody serves B
    ]
    result = simulate(day, w7)
    # B at once; A at 11:40 (no call between 11:30 and 11:40: the window was still serving);
    # the late B never called: 12:00 − 11:35
    assert result.waits == [0, at(40 / 60), at(25 / 60)]
    assert result.unserved == 1
    assert result.staff_seconds == at(3)
    assert result.busy_seconds == 1800


def test_spans_given_out_of_order_are_followed_in_time_order():
    w7 = [window(7, {A}, at(11.5), at(12)), window(7, {B}, at(9), at(11.5))]
    day = [person(at(10), B, service=60), person(at(10), A, service=60)]
    result = simulate(day, w7)
    assert result.waits == [0, at(1.5)]
    assert result.unserved == 0


def test_a_transfer_keeps_the_key_and_counts_the_wait_once():
    day = [
        person(0, A, service=300, transfer_to=B, transfer_after=60),  # P: 60 s at window 1, then B
        person(0, B, service=500),  # Q: window 2 busy until 500
        person(10, B, service=100),  # R: key 10, after P (key 0) at window 2
    ]
    result = simulate(day, [window(1, {A}, 0, 2000), window(2, {B}, 0, 2000)])
    # P called at 0 (wait 0, counted once), served at window 2 from 500 to 800; R called at 800
    assert sorted(result.waits) == [0, 0, 790]
    assert len(result.waits) == 3
    assert result.busy_seconds == 60 + 500 + 300 + 100
    assert result.unserved == 0


def test_a_transfer_to_a_category_nobody_serves_is_unserved_without_a_second_wait():
    day = [person(100, A, service=300, transfer_to=B, transfer_after=60)]
    result = simulate(day, [window(1, {A}, 0, 1000)])
    assert result.waits == [0]
    assert result.unserved == 1
    assert result.busy_seconds == 60


def test_people_left_waiting_are_unserved_and_count_the_wait_to_the_last_span_end():
    day = [person(0, service=150), person(10, service=50), person(200, service=50)]
    result = simulate(day, [window(1, {A}, 0, 100)])
    # the first is served past the end (no pre-emption); the second is never called: 100 − 10;
    # the third came after closing: unserved, wait 0
    assert result.waits == [0, 90, 0]
    assert result.unserved == 2
    assert (result.staff_seconds, result.busy_seconds) == (100, 150)


def test_no_window_at_all():
    day = [person(0), person(30)]
    result = simulate(day, [])
    assert result == SimResult(waits=[0, 0], staff_seconds=0, busy_seconds=0, events=result.events, unserved=2)


def test_staff_and_busy_seconds_over_several_windows():
    spans = [window(1, {A}, at(9), at(12)), window(1, {A}, at(13), at(17)), window(2, {A, B}, at(9), at(10))]
    day = [person(at(9), A, service=600), person(at(9), B, service=900), person(at(12.5), A, service=300)]
    result = simulate(day, spans)
    assert result.staff_seconds == at(3) + at(4) + at(1)
    assert result.busy_seconds == 1800
    assert result.waits == [0, 0, at(0.5)]  # the 12:30 person waits for window 1 to reopen at 13:00
    assert result.idle_share() == pytest.approx(1 - 1800 / at(8))


def test_horizon_stops_the_day():
    day = [person(0, service=100), person(10, service=100), person(500, service=10)]
    result = simulate(day, [window(1, {A}, 0, 1000)], horizon=50)
    # arrivals at or after 50 are not simulated; the second is still waiting at the horizon
    assert result.waits == [0, 40]
    assert result.unserved == 1
    assert result.staff_seconds == 50
    assert result.busy_seconds == 50


def test_merge_adds_days():
    one = SimResult(waits=[1, 2], staff_seconds=10, busy_seconds=5, events=7, unserved=1)
    two = SimResult(waits=[3], staff_seconds=20, busy_seconds=6, events=8, unserved=0)
    merged = merge([one, two])
    assert merged == SimResult(waits=[1, 2, 3], staff_seconds=30, busy_seconds=11, events=15, unserved=1)
    assert one.waits == [1, 2]
    assert merge([]) == SimResult()
