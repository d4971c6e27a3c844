"""Erlang C (staffing.erlang, issue #15 part 2): published worked examples, properties, refusals.

Sources of the figures (quoted, not recomputed):

- pyworkforce (rodrigo-arenas/pyworkforce), README on PyPI 0.2.1 and later, "Queue systems"::

      erlang = ErlangC(transactions=100, asa=20/60, aht=3, interval=30, shrinkage=0.3)
      positions_requirements = erlang.required_positions(service_level=0.8, max_occupancy=0.85)
      >> {'raw_positions': 14, 'positions': 20, 'service_level': 0.8883500191794669,
          'occupancy': 0.7142857142857143, 'waiting_probability': 0.1741319335950498}

  and its tests (pyworkforce/queuing/tests/test_erlang.py, ``test_over_occupancy_erlangc``): with
  15 positions (asa=0.33 minutes) the service level rounds to 0.941, occupancy to 0.667 and the
  waiting probability to 0.102.
- The R package ErlangC 0.1.0 on CRAN (README, https://CRAN.R-project.org/package=ErlangC): the
  same call-centre worked example (100 calls per 30 minutes, AHT 180 s, 20 s target) with 14
  agents gives traffic_intensity 10, wait_probability 0.1741319, service_level 0.88835,
  average_speed_of_answer 7.83593701177724 s, occupancy 0.7142857; its search table starts at 11
  agents with wait_probability 0.6821182, service_level 0.3896138.
  (It is the worked example of callcentrehelper.com's "Erlang C formula – made simple": 100 calls
  per half hour, AHT 3 minutes, 80% in 20 seconds.)
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onewindow.staffing import erlang
from onewindow.staffing.erlang import Infeasible
from onewindow.staffing.plans import Target

# 100 per half hour, AHT 3 minutes = 180 s, target 80% within 20 s (pyworkforce: asa=20/60 min)
EXAMPLE = {"arrivals": 100, "service_mean": 180.0}
TARGET_80_20 = Target(kind="service_level", share=0.8, minutes=20 / 60)


def test_offered_load_of_the_worked_example_is_ten_erlangs():
    assert erlang.offered_load(100, 180) == pytest.approx(10.0)
    assert erlang.offered_load(100, 180, slot_seconds=3600) == pytest.approx(5.0)


def test_pyworkforce_readme_example():
    load = erlang.offered_load(**EXAMPLE)
    raw = erlang.servers_needed(**EXAMPLE, target=TARGET_80_20)
    assert raw == 14  # 'raw_positions': 14
    assert erlang.staff_needed(raw, 0.3) == 20  # 'positions': 20
    assert erlang.service_level(load, raw, 180, 20) == pytest.approx(0.8883500191794669, abs=1e-9)
    assert load / raw == pytest.approx(0.7142857142857143, abs=1e-12)  # 'occupancy'
    assert erlang.erlang_c(load, raw) == pytest.approx(0.1741319335950498, abs=1e-9)  # 'waiting_probability'


def test_pyworkforce_over_occupancy_case_fifteen_positions():
    # test_over_occupancy_erlangc: asa=0.33 minutes, 15 positions → 0.941 / 0.667 / 0.102 (3 decimals)
    load = erlang.offered_load(**EXAMPLE)
    assert round(erlang.service_level(load, 15, 180, 0.33 * 60), 3) == 0.941
    assert round(load / 15, 3) == 0.667
    assert round(erlang.erlang_c(load, 15), 3) == 0.102


def test_cran_erlangc_example_fourteen_and_eleven_agents():
    load = erlang.offered_load(**EXAMPLE)
    assert erlang.erlang_c(load, 14) == pytest.approx(0.1741319, abs=1e-7)
    assert erlang.service_level(load, 14, 180, 20) == pytest.approx(0.88835, abs=1e-5)
    assert erlang.mean_wait(load, 14, 180) == pytest.approx(7.83593701177724, abs=1e-9)
    assert erlang.erlang_c(load, 11) == pytest.approx(0.6821182, abs=1e-7)
    assert erlang.service_level(load, 11, 180, 20) == pytest.approx(0.3896138, abs=1e-7)


def test_thirteen_windows_miss_the_target_that_fourteen_meet():
    load = erlang.offered_load(**EXAMPLE)
    assert erlang.service_level(load, 13, 180, 20) < 0.8 <= erlang.service_level(load, 14, 180, 20)


def test_mean_wait_target():
    # ASA 7.84 s with 14 windows (above); with 13 it is longer than 10 s, so a 10 s mean needs 14
    load = erlang.offered_load(**EXAMPLE)
    assert erlang.mean_wait(load, 13, 180) > 10
    assert erlang.servers_needed(**EXAMPLE, target=Target(kind="mean_wait", minutes=10 / 60)) == 14
    assert erlang.predicted(load, 14, 180, Target(kind="mean_wait", minutes=10 / 60)) == pytest.approx(
        7.83593701177724, abs=1e-9)
    assert erlang.predicted(load, 14, 180, TARGET_80_20) == pytest.approx(0.8883500191794669, abs=1e-9)


def test_nobody_comes_no_window():
    assert erlang.servers_needed(0, 600, Target()) == 0
    assert erlang.servers_needed(0, 0, Target(), max_servers=0) == 0
    assert erlang.erlang_c(0, 3) == 0.0
    assert erlang.mean_wait(0, 0, 300) == 0.0
    assert erlang.service_level(0, 0, 300, 60) == 1.0


def test_unstable_queue_limits():
    assert erlang.erlang_c(10, 10) == 1.0
    assert erlang.erlang_c(10, 9) == 1.0
    assert erlang.mean_wait(10, 10, 180) == math.inf
    assert erlang.service_level(10, 10, 180, 20) == 0.0


def test_utilisation_at_least_one_within_max_servers_is_refused_naming_load_and_servers():
    with pytest.raises(Infeasible) as caught:
        erlang.servers_needed(**EXAMPLE, target=TARGET_80_20, max_servers=10)
    error = caught.value
    assert error.code == "unstable"
    assert error.load == pytest.approx(10.0)
    assert error.servers == 10
    assert error.slot is None
    assert "10.00" in error.message and "10 个窗口" in error.message
    assert "利用率" in error.message
    located = error.at_slot(19)
    assert located.slot == 19 and located.code == "unstable" and located.load == pytest.approx(10.0)
    assert located.message.startswith("时段 09:30：")
    assert isinstance(error, ValueError)


def test_stable_but_not_enough_windows_is_refused():
    with pytest.raises(Infeasible) as caught:
        erlang.servers_needed(**EXAMPLE, target=TARGET_80_20, max_servers=13)
    assert caught.value.code == "too_few_windows"
    assert caught.value.servers == 13
    assert "13 个窗口" in caught.value.message
    assert erlang.servers_needed(**EXAMPLE, target=TARGET_80_20, max_servers=14) == 14


@pytest.mark.parametrize(
    "target",
    [
        Target(kind="service_level", share=1.0, minutes=0),
        Target(kind="service_level", share=1.0, minutes=15),
        Target(kind="service_level", share=1.2, minutes=15),
        Target(kind="service_level", share=0.0, minutes=15),
        Target(kind="service_level", share=0.8, minutes=-1),
        Target(kind="mean_wait", minutes=0),
        Target(kind="mean_wait", minutes=-5),
        Target(kind="service_level", share=math.nan, minutes=15),
        Target(kind="fastest", share=0.8, minutes=15),
    ],
)
def test_impossible_targets_are_refused(target):
    with pytest.raises(Infeasible) as caught:
        erlang.servers_needed(**EXAMPLE, target=target)
    assert caught.value.code == "bad_target"


@pytest.mark.parametrize(
    ("arrivals", "service_mean"), [(-1, 180), (10, -180), (10, 0), (math.inf, 180), (10, math.nan)]
)
def test_impossible_input_is_refused(arrivals, service_mean):
    with pytest.raises(Infeasible) as caught:
        erlang.servers_needed(arrivals, service_mean, Target())
    assert caught.value.code == "bad_input"


def test_zero_minutes_target_is_the_share_served_at_once():
    # 80% within 0 minutes means P(wait) ≤ 0.2: 14 windows give 0.174 (above), 13 do not
    load = erlang.offered_load(**EXAMPLE)
    assert erlang.erlang_c(load, 13) > 0.2
    assert erlang.servers_needed(**EXAMPLE, target=Target(share=0.8, minutes=0)) == 14


def test_staff_needed_with_shrinkage():
    assert erlang.staff_needed(14, 0.3) == 20  # pyworkforce: ceil(14 / 0.7)
    assert erlang.staff_needed(14, 0.0) == 14
    assert erlang.staff_needed(0, 0.5) == 0
    assert erlang.staff_needed(6, 0.15) == 8  # 7.06 → 8
    for bad in (1.0, 1.5, -0.1, math.nan):
        with pytest.raises(Infeasible) as caught:
            erlang.staff_needed(6, bad)
        assert caught.value.code == "bad_input"
    with pytest.raises(Infeasible):
        erlang.staff_needed(-1, 0.1)


def test_large_center_is_numerically_stable():
    # 300 Erlangs: factorials would overflow a float; the recursion does not
    load = 300.0
    value = erlang.erlang_c(load, 320)
    assert 0 < value < 1
    needed = erlang.servers_needed(3000, 180, Target(share=0.8, minutes=0.5))
    assert needed > 300
    assert erlang.service_level(load, needed, 180, 30) >= 0.8 > erlang.service_level(load, needed - 1, 180, 30)


def _direct_erlang_c(load: float, servers: int) -> float:
    """The textbook sum form, for small cases only (the cross-check)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    return top / (sum(load**k / math.factorial(k) for k in range(servers)) + top)


loads = st.floats(min_value=0.01, max_value=60, allow_nan=False)
counts = st.integers(min_value=1, max_value=90)


@given(load=loads, servers=counts)
def test_erlang_c_is_a_probability_and_matches_the_sum_form(load, servers):
    value = erlang.erlang_c(load, servers)
    assert 0.0 <= value <= 1.0
    if servers > load:
        assert value == pytest.approx(_direct_erlang_c(load, servers), rel=1e-9, abs=1e-12)


@given(load=loads, servers=counts)
def test_erlang_c_decreases_with_more_windows(load, servers):
    assert erlang.erlang_c(load, servers + 1) <= erlang.erlang_c(load, servers)


@given(load=loads, servers=counts, service=st.floats(min_value=1, max_value=3600))
def test_mean_wait_is_p_wait_times_service_over_spare_capacity(load, servers, service):
    assume(servers > load + 1e-6)
    expected = erlang.erlang_c(load, servers) * service / (servers - load)
    assert erlang.mean_wait(load, servers, service) == pytest.approx(expected, rel=1e-12)


@given(
    arrivals=st.floats(min_value=0.5, max_value=400),
    service=st.floats(min_value=30, max_value=3600),
    share=st.floats(min_value=0.05, max_value=0.99),
    minutes=st.floats(min_value=0, max_value=60),
    kind=st.sampled_from(["service_level", "mean_wait"]),
)
def test_servers_needed_is_minimal(arrivals, service, share, minutes, kind):
    assume(kind == "service_level" or minutes > 0.01)
    target = Target(kind=kind, share=share, minutes=minutes)
    load = erlang.offered_load(arrivals, service)
    c = erlang.servers_needed(arrivals, service, target)
    assert c > load

    def meets(n: int) -> bool:
        if kind == "mean_wait":
            return erlang.mean_wait(load, n, service) <= minutes * 60
        return erlang.service_level(load, n, service, minutes * 60) >= share

    assert meets(c)
    assert not meets(c - 1)
    # with that many windows as the limit it still answers; one fewer is refused
    assert erlang.servers_needed(arrivals, service, target, max_servers=c) == c
    with pytest.raises(Infeasible):
        erlang.servers_needed(arrivals, service, target, max_servers=c - 1)
