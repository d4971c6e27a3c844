"""Fixed-bucket histograms of durations (waits, service and handling times), so that a median or
p90 over any span of rollup rows is the merge of their histograms: exact counts, quantiles to
within one bucket (linear interpolation inside it). Pure code; no database.

Buckets: ``EDGES[i] <= seconds < EDGES[i + 1]``; the last is open above (one year and more). A
histogram is a list of counts, trailing zeros trimmed (``[]`` is empty), as stored in the
``*_hist`` JSON columns of the fact tables.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

_MIN, _HOUR, _DAY = 60, 3600, 86400
#: Lower edges in seconds: 15 s steps at first, then roughly ×1.5, up to a year.
EDGES: tuple[int, ...] = (
    0, 15, 30, 60, 90, 2 * _MIN, 3 * _MIN, 4 * _MIN, 5 * _MIN, 7 * _MIN, 10 * _MIN, 15 * _MIN, 20 * _MIN,
    30 * _MIN, 45 * _MIN, _HOUR, 90 * _MIN, 2 * _HOUR, 3 * _HOUR, 4 * _HOUR, 6 * _HOUR, 8 * _HOUR, 12 * _HOUR,
    _DAY, 2 * _DAY, 3 * _DAY, 5 * _DAY, 7 * _DAY, 10 * _DAY, 15 * _DAY, 20 * _DAY, 30 * _DAY, 45 * _DAY,
    60 * _DAY, 90 * _DAY, 180 * _DAY, 365 * _DAY,
)


def bucket_of(seconds: float) -> int:
    """Index of the bucket holding ``seconds`` (negative durations count as 0)."""
    return max(0, bisect.bisect_right(EDGES, max(0.0, seconds)) - 1)


def trim(hist: list[int]) -> list[int]:
    end = len(hist)
    while end and not hist[end - 1]:
        end -= 1
    return hist[:end]


def of(durations: Iterable[float]) -> list[int]:
    """The histogram of some durations in seconds."""
    hist = [0] * len(EDGES)
    for seconds in durations:
        hist[bucket_of(seconds)] += 1
    return trim(hist)


def merge(*hists: Sequence[int]) -> list[int]:
    """The sum of histograms (any lengths)."""
    out = [0] * max((len(h) for h in hists), default=0)
    for hist in hists:
        for i, count in enumerate(hist):
            out[i] += count
    return trim(out)


def merge_counted(pairs: Iterable[tuple[Sequence[int], int]]) -> list[int]:
    """The sum of histograms given as (histogram, how many rows hold it) — the shape of a SQL
    ``GROUP BY`` over a histogram column, where short spans repeat the same few histograms."""
    out: list[int] = []
    for hist, times in pairs:
        if len(hist) > len(out):
            out.extend([0] * (len(hist) - len(out)))
        for i, count in enumerate(hist):
            out[i] += count * times
    return trim(out)


def add(hist: list[int], seconds: float) -> list[int]:
    """``hist`` with one more duration (a new list)."""
    index = bucket_of(seconds)
    out = list(hist) + [0] * max(0, index + 1 - len(hist))
    out[index] += 1
    return out


def count(hist: Sequence[int]) -> int:
    return sum(hist)


def quantile(hist: Sequence[int], q: float) -> float | None:
    """The ``q`` quantile (0 < q <= 1) in seconds, interpolated inside its bucket; None if empty.
    The open last bucket answers its lower edge."""
    total = sum(hist)
    if not total:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(hist):
        if n and seen + n >= rank:
            low = EDGES[i]
            if i + 1 >= len(EDGES):
                return float(low)
            high = EDGES[i + 1]
            return low + (high - low) * max(0.0, rank - seen) / n
        seen += n
    return float(EDGES[min(len(hist), len(EDGES)) - 1])
