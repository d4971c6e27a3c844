"""The day figures of the service wall (政务服务大屏, issue #16 part 4), read from the rollups only
(``analytics.models.facts``): cases received per center, the most received items, the ratings'
levels, and how fresh the rollups are. Public aggregates of every center (no personal data, no
clerk); each function is one statement whatever the number of centers or the history.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Sum

from onewindow.ratings.choices import RatingLevel

from ..models import CaseDayFact, RatingDayFact, RollupRun

#: 好差评 good ratings: 非常满意 and 满意 (DOMAIN.md R3.2; as statistics' "满意及以上").
GOOD_LEVELS = (str(RatingLevel.VERY_SATISFIED.value), str(RatingLevel.SATISFIED.value))


def received_by_center(day: datetime.date) -> dict[int, int]:
    """Cases received (收件) on ``day`` per center (CaseDayFact.received: the case's receiving
    department is the center's); centers without a case are absent."""
    rows = (CaseDayFact.objects.filter(day=day, center_id__isnull=False).order_by().values("center_id")
            .annotate(n=Sum("received")).values_list("center_id", "n"))
    return {center_id: int(n) for center_id, n in rows if n}


def top_items(day: datetime.date, *, center_ids: list[int], limit: int = 5) -> list[dict[str, Any]]:
    """The items most received at the centers ``center_ids`` on ``day`` (办件量, issue #14's
    definition), most first (ties by item code): ``{"code", "name", "count"}``."""
    rows = (CaseDayFact.objects.filter(day=day, center_id__in=center_ids, item_id__isnull=False).order_by()
            .values("item_id", "item__code", "item__name").annotate(n=Sum("received"))
            .filter(n__gt=0).order_by("-n", "item__code")[:limit])
    return [{"code": str(r["item__code"] or ""), "name": str(r["item__name"] or ""), "count": int(r["n"])}
            for r in rows]


def ratings_by_level(day: datetime.date, *, center_ids: list[int]) -> dict[str, int]:
    """Ratings (好差评) given on ``day`` to the services and cases of the centers ``center_ids``,
    per level "1".."5" (levels without a rating absent)."""
    levels: dict[str, int] = defaultdict(int)
    for row in RatingDayFact.objects.filter(day=day, center_id__in=center_ids).values_list("levels", flat=True):
        for level, n in (row or {}).items():
            levels[str(level)] += int(n or 0)
    return {level: n for level, n in levels.items() if n}


def good_share(levels: dict[str, int]) -> float | None:
    """The share of 非常满意 and 满意 among the ratings (4 decimals); None without a rating."""
    total = sum(levels.values())
    return round(sum(levels.get(level, 0) for level in GOOD_LEVELS) / total, 4) if total else None


def rollups_as_of() -> datetime.datetime | None:
    """When the last rollup run (update or rebuild) that did not fail finished: the facts hold
    every event written before it started; None if the rollups never ran. The newest run by id
    (the primary key's index, not a scan of the runs)."""
    return (RollupRun.objects.filter(error="", finished_at__isnull=False).order_by("-id")
            .values_list("finished_at", flat=True).first())
