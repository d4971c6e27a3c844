"""A circuit breaker (熔断器) per peer resource, so a provider that is down gives a clear answer at
once instead of every caller waiting for its timeout (issue #13: "never a hang").

States: **closed** (calls pass; consecutive failures are counted) → **open** after
``SHARING_BREAKER_THRESHOLD`` consecutive failures (calls are refused without connecting) →
**half-open** once ``SHARING_BREAKER_COOL_DOWN`` seconds have passed since it opened (one trial call
passes; the others are still refused) → **closed** when the trial succeeds, **open** again (a new
cool-down) when it fails. A success in the closed state resets the count.

The state is kept **per process** (a gunicorn worker keeps its own breakers): each worker learns
that a peer is down after its own few failures, which bounds the wasted waits to threshold ×
workers; nothing is shared through the database on purpose (a breaker must not itself depend on
a slow resource). The clock is injectable (``CircuitBreaker(clock=...)``, :func:`set_clock`), so
tests move time without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"

DEFAULT_THRESHOLD = 5
DEFAULT_COOL_DOWN = 30.0

Clock = Callable[[], float]


def _threshold() -> int:
    return max(1, int(getattr(settings, "SHARING_BREAKER_THRESHOLD", DEFAULT_THRESHOLD)))


def _cool_down() -> float:
    return max(0.0, float(getattr(settings, "SHARING_BREAKER_COOL_DOWN", DEFAULT_COOL_DOWN)))


class CircuitBreaker:
    """One breaker, named by ``key``. ``threshold`` and ``cool_down`` default to the settings (read
    at each use, so a changed setting applies at once); ``clock`` returns seconds (monotonic)."""

    def __init__(self, key: str, *, threshold: int | None = None, cool_down: float | None = None,
                 clock: Clock | None = None) -> None:
        self.key = key
        self._threshold = threshold
        self._cool_down = cool_down
        self._clock = clock
        self._lock = threading.Lock()
        self.failures = 0
        self.opened_at: float | None = None
        self._trial_running = False

    @property
    def threshold(self) -> int:
        return self._threshold if self._threshold is not None else _threshold()

    @property
    def cool_down(self) -> float:
        return self._cool_down if self._cool_down is not None else _cool_down()

    def _now(self) -> float:
        return (self._clock or _clock)()

    def _state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        if self._now() - self.opened_at >= self.cool_down:
            return HALF_OPEN
        return OPEN

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` now."""
        with self._lock:
            return self._state()

    def allow(self) -> bool:
        """May a call go through now? Closed: yes. Open: no. Half-open: yes for one trial call at a
        time (the caller must then report :meth:`record_success` or :meth:`record_failure`)."""
        with self._lock:
            state = self._state()
            if state == CLOSED:
                return True
            if state == OPEN or self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        """The call reached a working peer: close the breaker and forget the failures."""
        with self._lock:
            self.failures = 0
            self.opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        """The peer was down (timeout, refused connection, 5xx): count it; open the breaker at the
        threshold, or again (a new cool-down) when a half-open trial failed."""
        with self._lock:
            self.failures += 1
            if self._trial_running or self.failures >= self.threshold:
                self.opened_at = self._now()
            self._trial_running = False

    def reset(self) -> None:
        """Closed, no failures (an operator's or a test's fresh start)."""
        self.record_success()


_registry: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()
_clock: Clock = time.monotonic


def breaker_for(key: str) -> CircuitBreaker:
    """The process's breaker named ``key`` (created closed on first use)."""
    with _registry_lock:
        breaker = _registry.get(key)
        if breaker is None:
            breaker = _registry[key] = CircuitBreaker(key)
        return breaker


def set_clock(clock: Clock | None) -> Clock:
    """Use ``clock`` for the registry's breakers (None: ``time.monotonic``); returns the previous one."""
    global _clock
    previous = _clock
    _clock = clock or time.monotonic
    return previous


def breakers_reset() -> None:
    """Forget every breaker of this process (tests start from closed breakers)."""
    with _registry_lock:
        _registry.clear()
