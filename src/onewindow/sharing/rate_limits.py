"""Per-grant rate limits of the exchange (调用频率限制).

Rule (issue #13 part 3; 《上海市政务数据资源共享管理办法》: the provider sets the rate in the grant):
a grant allows ``rate_per_minute`` exchanges per calendar minute for the whole installation —
every gunicorn worker and app server counts against one budget. A fixed window keyed by the
grant and the minute number lives in the ``shared`` cache (core/throttle.py: the database cache
table in the embedded profile, Redis in the city profile), counted atomically **before** the
provider is called, so concurrent calls in several processes never all slip under the limit.
Only exchanges that passed the grant, purpose and field checks are counted (a refused call costs
the provider nothing). A refused call is told when the window ends (``Retry-After``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from onewindow.core.throttle import throttle_count, throttle_hit

WINDOW_SECONDS = 60

def _now() -> float:
    return timezone.now().timestamp()


#: The clock of the windows (seconds since the epoch): the time every service reads
#: (``timezone.now``); tests replace it to stay inside one window.
clock: Callable[[], float] = _now


@dataclass(frozen=True)
class RateDecision:
    """Whether one more exchange is allowed now, and if not, how many seconds until the window
    that would allow it begins."""

    allowed: bool
    retry_after: int = 0


def window_key(grant_id: int, now: float) -> str:
    """The counter of ``grant_id`` in the minute holding ``now``."""
    return f"sharing-rate:{grant_id}:{int(now // WINDOW_SECONDS)}"


def seconds_to_next_window(now: float) -> int:
    """Whole seconds (at least 1) until the next minute window starts."""
    return max(1, math.ceil(WINDOW_SECONDS - (now % WINDOW_SECONDS)))


def rate_hit(grant_id: int, limit: int) -> RateDecision:
    """Count one exchange under the grant; allowed while the minute's count is within ``limit``."""
    now = clock()
    if throttle_hit(window_key(grant_id, now), limit=limit, window=WINDOW_SECONDS):
        return RateDecision(allowed=True)
    return RateDecision(allowed=False, retry_after=seconds_to_next_window(now))


def rate_used(grant_id: int) -> int:
    """How many exchanges the grant has made in the current minute."""
    return throttle_count(window_key(grant_id, clock()))
