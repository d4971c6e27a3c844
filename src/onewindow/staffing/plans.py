"""The plain values that pass between the parts of staffing (no queries, no Django models), so that
the demand model, the Erlang C sizing, the simulation, the rostering and the pages agree on one
shape. Times of day are seconds from local midnight; a slot is a half-hour (0 = 00:00–00:30 … 47).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

SLOT_SECONDS = 1800
SLOTS_PER_DAY = 48


def slot_of(seconds: int) -> int:
    """The half-hour slot of a time of day given in seconds from midnight."""
    return max(0, min(SLOTS_PER_DAY - 1, seconds // SLOT_SECONDS))


def slot_label(slot: int) -> str:
    """``18`` → ``"09:00"``."""
    return f"{slot // 2:02d}:{30 * (slot % 2):02d}"


def slot_time(slot: int) -> datetime.time:
    return datetime.time(slot // 2, 30 * (slot % 2))


@dataclass(frozen=True)
class Target:
    """A service target: ``share`` of people called within ``minutes`` (kind ``service_level``), or
    a mean wait of at most ``minutes`` (kind ``mean_wait``; ``share`` unused)."""

    kind: str = "service_level"
    share: float = 0.8
    minutes: float = 15.0


@dataclass(frozen=True)
class SlotDemand:
    """The expected demand of one category in one slot of a date: ``arrivals`` per slot (walk-ins
    forecast plus ``booked`` appointments already made for it), the service time's mean and
    squared coefficient of variation (seconds)."""

    date: datetime.date
    slot: int
    category_id: int
    arrivals: float
    booked: int
    service_mean: float
    service_scv: float = 1.0


@dataclass(frozen=True)
class WindowSpec:
    """A window of the center and the categories it may serve (``kind``: comprehensive or specialised)."""

    window_id: int
    number: int
    kind: str
    category_ids: frozenset[int]


@dataclass
class SlotNeed:
    """The windows one slot of a date needs, and why: ``by_window`` window id → category ids it
    serves in the slot (the windows to open), ``windows`` their number, ``arrivals``/``service_mean``
    per category id, ``utilisation`` offered load / windows, ``method`` "erlang_c" or "simulation",
    ``expected`` the predicted service measure (share within target or mean wait)."""

    date: datetime.date
    slot: int
    windows: int
    by_window: dict[int, frozenset[int]] = field(default_factory=dict)
    arrivals: dict[int, float] = field(default_factory=dict)
    service_mean: dict[int, float] = field(default_factory=dict)
    utilisation: float = 0.0
    method: str = "erlang_c"
    expected: float | None = None


@dataclass(frozen=True)
class Span:
    """A window open from ``start`` to ``end`` (seconds of the day) serving ``category_ids``,
    staffed by ``clerk_id`` (None in a plan without names, e.g. the peak rule)."""

    window_id: int
    category_ids: frozenset[int]
    start: int
    end: int
    clerk_id: int | None = None


@dataclass(frozen=True)
class Arrival:
    """A person of the replayed history: taken at ``at``, queue order ``key`` (``at`` less the
    priority's head start), ``service`` seconds at the window; ``transfer_to``: the category the
    person is sent on to after ``transfer_after`` seconds at the first window (None: no transfer),
    where ``service`` is then spent. ``category_id`` is the category of the ticket taken."""

    at: int
    category_id: int
    key: int
    service: int
    priority: str = "normal"
    transfer_to: int | None = None
    transfer_after: int = 0


@dataclass
class SimResult:
    """What one simulated day (or several) gives: waits in seconds (taken → first call, one per
    person), staff seconds (window time planned), busy seconds (serving), and the events processed."""

    waits: list[int] = field(default_factory=list)
    staff_seconds: int = 0
    busy_seconds: int = 0
    events: int = 0
    unserved: int = 0

    def mean_wait(self) -> float:
        return sum(self.waits) / len(self.waits) if self.waits else 0.0

    def quantile(self, q: float) -> float:
        if not self.waits:
            return 0.0
        ordered = sorted(self.waits)
        return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])

    def share_within(self, seconds: float) -> float:
        return sum(1 for w in self.waits if w <= seconds) / len(self.waits) if self.waits else 1.0

    def idle_share(self) -> float:
        return 1 - self.busy_seconds / self.staff_seconds if self.staff_seconds else 0.0


@dataclass(frozen=True)
class ShiftPlan:
    """A proposed or entered shift: ``assignments`` are (window id, category ids, start, end)."""

    user_id: int
    date: datetime.date
    start: int
    end: int
    break_start: int | None = None
    break_end: int | None = None
    assignments: tuple[tuple[int, frozenset[int], int, int], ...] = ()
