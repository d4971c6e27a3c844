"""Small-count redaction of the public crowd screens (issue #16 part 3, FlowKit's rule).

Flowminder FlowKit never publishes a count of subscribers at or below its threshold: its redacted
queries keep only the rows whose value is above 15 (``WHERE agged.value > 15`` in
``flowmachine/features/location/redacted_location_metric.py``), so that a small group of phones
cannot be singled out. A big screen must still show that the place exists, so instead of dropping
the figure we show the string ``"<k"``: a count below ``k`` is never shown as a number. (FlowKit's
exact cut-off, 15 hidden and 16 shown, is ``k = 16`` here.)

* :func:`redact` — the int when it is at least ``k``; else ``"<k"`` (0 included); None stays None.
* :func:`share` — a share whose numerator was redacted is null (a share of a tiny count would give
  the count back from the total).
* :func:`threshold_for` — the area's own ``redaction_threshold``, else ``BIGSCREEN_REDACTION_THRESHOLD``.

Totals are computed from the true values and redacted themselves (the callers do that).
"""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

#: A count as a screen shows it: the number, ``"<k"``, or None (no data: never drawn as 0).
Count = int | str | None


class _HasThreshold(Protocol):
    redaction_threshold: int


def threshold_for(area: _HasThreshold) -> int:
    """k of the area: its ``redaction_threshold`` when set (> 0), else the setting."""
    own = int(area.redaction_threshold or 0)
    return own if own > 0 else int(settings.BIGSCREEN_REDACTION_THRESHOLD)


def is_hidden(value: int | None, k: int) -> bool:
    """Whether ``value`` is shown as ``"<k"`` (a count below k; None is not hidden, it is absent)."""
    return value is not None and value < k


def redact(value: int | None, k: int) -> Count:
    """``value`` when it is at least ``k``, else ``"<k"``; None (no data) stays None."""
    if value is None:
        return None
    return f"<{k}" if is_hidden(value, k) else int(value)


def share(numerator: int | None, denominator: int | None, *, k: int | None = None, digits: int = 4) -> float | None:
    """``numerator / denominator`` rounded to ``digits``; null when either is missing, the
    denominator is not positive, or (with ``k``) the numerator is hidden by the redaction."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    if k is not None and is_hidden(numerator, k):
        return None
    return round(numerator / denominator, digits)
