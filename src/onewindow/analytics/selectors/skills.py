"""Which categories each clerk of a center has served (from ``TicketHourFact``), as elastic
staffing (弹性调配, issue #15 part 3: "which clerks may serve which categories") reads it: a clerk
who served a category in the period may be rostered on it. Staffing reads analytics through
selectors only.

Not scoped to a user: the caller (the staffing selectors behind a manager's roster) checks who may
see the center first.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Sum

from ..models import TicketHourFact


def clerk_categories(*, center_id: int, start: datetime.date, end: datetime.date) -> dict[int, dict[int, int]]:
    """clerk id → category id → tickets served at the center from ``start`` to ``end`` (inclusive)."""
    rows = (TicketHourFact.objects.filter(center_id=center_id, day__gte=start, day__lte=end, clerk_id__isnull=False,
                                          category_id__isnull=False, served__gt=0)
            .values_list("clerk_id", "category_id").annotate(n=Sum("served")).order_by())
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for clerk_id, category_id, n in rows:
        out[int(clerk_id)][int(category_id)] = int(n)
    return dict(out)
