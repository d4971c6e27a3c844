"""Demo 监管预警 (issue #12 "done means": alerts appear for the demo's expiring licences).

:func:`load_alerts` runs the alert scan once as of the demo's "today" (2017-09-05, the day the
market and supervision demo histories end), so the licences the market demo pooled that expire
within 30 days of it are alerted to their departments, with the other rules' findings on the demo
data (new 联合惩戒 listings, repeated penalties, overdue rectifications, 双告知 tasks past their
deadline with no licence). Idempotent: the scan never raises an alert twice. Deterministic: the
same rows give the same alerts, dated that day.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from onewindow.core.actors import system_actor

from ..services.alert_scan import alerts_scan

AS_OF = datetime.date(2017, 9, 5)
ACTOR = system_actor("demo_data")


def load_alerts(
    progress: Callable[[int], object] | None = None,
    *,
    today: datetime.date = AS_OF,
    only: Iterable[str] | None = None,
) -> dict[str, int]:
    """Run the scan as of ``today`` (every enabled rule, or those in ``only``); the new alerts per
    rule. ``progress`` is told the number of new alerts."""
    raised = alerts_scan(today=today, by=ACTOR, only=only)
    if progress is not None:
        progress(sum(raised.values()))
    return raised
