"""The circuit breaker of peer calls (sharing.breaker): closed → open after N consecutive failures →
half-open after the cool-down (one trial) → closed on success or open again on failure. Time is a
fake clock moved by the test; nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onewindow.sharing import breaker
from onewindow.sharing.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, breaker_for, breakers_reset, set_clock


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    fake = FakeClock()
    previous = set_clock(fake)
    breakers_reset()
    yield fake
    set_clock(previous)
    breakers_reset()


def test_opens_after_the_threshold_of_consecutive_failures(clock: FakeClock) -> None:
    b = CircuitBreaker("peer#R1", threshold=3, cool_down=30, clock=clock)
    assert (b.state, b.allow()) == (CLOSED, True)
    b.record_failure()
    b.record_failure()
    assert (b.state, b.failures, b.allow()) == (CLOSED, 2, True)
    b.record_failure()
    assert (b.state, b.failures, b.opened_at) == (OPEN, 3, 1000.0)
    assert b.allow() is False
    assert b.allow() is False


def test_a_success_resets_the_count_of_consecutive_failures(clock: FakeClock) -> None:
    b = CircuitBreaker("peer#R1", threshold=3, cool_down=30, clock=clock)
    b.record_failure()
    b.record_failure()
    b.record_success()
    b.record_failure()
    b.record_failure()
    assert (b.state, b.failures) == (CLOSED, 2)


def test_half_open_after_the_cool_down_lets_one_trial_through(clock: FakeClock) -> None:
    b = CircuitBreaker("peer#R1", threshold=1, cool_down=30, clock=clock)
    b.record_failure()
    clock.now += 29.9
    assert (b.state, b.allow()) == (OPEN, False)
    clock.now += 0.1
    assert b.state == HALF_OPEN
    assert b.allow() is True    # the trial
    assert b.allow() is False   # a second caller while the trial runs
    b.record_success()
    assert (b.state, b.failures, b.opened_at, b.allow()) == (CLOSED, 0, None, True)


def test_a_failed_trial_opens_again_for_a_new_cool_down(clock: FakeClock) -> None:
    b = CircuitBreaker("peer#R1", threshold=5, cool_down=30, clock=clock)
    for _ in range(5):
        b.record_failure()
    clock.now += 31
    assert b.allow() is True
    b.record_failure()
    assert (b.state, b.opened_at) == (OPEN, 1031.0)
    clock.now += 29
    assert b.allow() is False
    clock.now += 1
    assert (b.state, b.allow()) == (HALF_OPEN, True)


def test_the_registry_keeps_one_breaker_per_key_with_the_settings(clock: FakeClock, settings: object) -> None:
    settings.SHARING_BREAKER_THRESHOLD = 2  # type: ignore[attr-defined]
    settings.SHARING_BREAKER_COOL_DOWN = 5  # type: ignore[attr-defined]
    first = breaker_for("http://peer/x#R1")
    assert breaker_for("http://peer/x#R1") is first
    other = breaker_for("http://peer/x#R2")
    first.record_failure()
    first.record_failure()
    assert (first.state, other.state) == (OPEN, CLOSED)
    clock.now += 5
    assert first.state == HALF_OPEN
    breakers_reset()
    assert breaker_for("http://peer/x#R1").state == CLOSED


def test_the_defaults_apply_without_settings(clock: FakeClock, settings: object) -> None:
    for name in ("SHARING_BREAKER_THRESHOLD", "SHARING_BREAKER_COOL_DOWN"):
        if hasattr(settings, name):
            delattr(settings, name)
    b = breaker_for("k")
    assert (b.threshold, b.cool_down) == (breaker.DEFAULT_THRESHOLD, breaker.DEFAULT_COOL_DOWN)
