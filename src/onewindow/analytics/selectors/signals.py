"""Rating and handling-time figures per item and per clerk from the rollups, for the training
signals (培训预警: low ratings, long handling times) and a course's effect (before/after a session,
issue #14 part 5). Medians merge the ``*_hist`` histograms (``analytics.histogram``)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max

from .. import histogram
from ..models import CaseDayFact, RatingDayFact


@dataclass
class Figures:
    """Ratings (count, score total, bad) and handling times (count, total seconds, histogram)."""

    ratings: int = 0
    score_total: int = 0
    bad: int = 0
    handled: int = 0
    handling_seconds: int = 0
    hist: list[int] = field(default_factory=list)

    @property
    def average_score(self) -> float | None:
        return round(self.score_total / self.ratings, 2) if self.ratings else None

    @property
    def bad_share(self) -> float | None:
        return round(self.bad / self.ratings, 4) if self.ratings else None

    @property
    def median_hours(self) -> float | None:
        median = histogram.quantile(self.hist, 0.5)
        return None if median is None else round(median / 3600, 1)

    def as_dict(self) -> dict[str, Any]:
        return {"ratings": self.ratings, "average_score": self.average_score, "bad": self.bad,
                "bad_share": self.bad_share, "handled": self.handled, "median_hours": self.median_hours}


def latest_case_day(*, center_id: int) -> datetime.date | None:
    """The last day with cases in the center's rollups (None before the first rollup)."""
    day: datetime.date | None = CaseDayFact.objects.filter(center_id=center_id).aggregate(d=Max("day"))["d"]
    return day


def _collect(*, center_id: int, start: datetime.date, end: datetime.date, key: str,
             item_ids: list[int] | None = None, clerk_ids: list[int] | None = None) -> dict[int, Figures]:
    out: dict[int, Figures] = defaultdict(Figures)
    ratings = RatingDayFact.objects.filter(center_id=center_id, day__gte=start, day__lte=end,
                                           **{f"{key}_id__isnull": False})
    cases = CaseDayFact.objects.filter(center_id=center_id, day__gte=start, day__lte=end,
                                       **{f"{key}_id__isnull": False})
    if item_ids is not None:
        ratings, cases = ratings.filter(item_id__in=item_ids), cases.filter(item_id__in=item_ids)
    if clerk_ids is not None:
        ratings, cases = ratings.filter(clerk_id__in=clerk_ids), cases.filter(clerk_id__in=clerk_ids)
    for ref, n, total, bad in ratings.values_list(f"{key}_id", "ratings", "score_total", "bad"):
        fig = out[ref]
        fig.ratings += n
        fig.score_total += total
        fig.bad += bad
    for ref, n, seconds, hist in cases.values_list(f"{key}_id", "handling", "handling_seconds", "handling_hist"):
        fig = out[ref]
        fig.handled += n
        fig.handling_seconds += seconds
        fig.hist = histogram.merge(fig.hist, hist or [])
    return dict(out)


def item_figures(*, center_id: int, start: datetime.date, end: datetime.date,
                 item_ids: list[int] | None = None) -> dict[int, Figures]:
    """Per item of the center: its ratings and the handling times of its cases over the span."""
    return _collect(center_id=center_id, start=start, end=end, key="item", item_ids=item_ids)


def clerk_figures(*, center_id: int, start: datetime.date, end: datetime.date,
                  clerk_ids: list[int] | None = None) -> dict[int, Figures]:
    """Per clerk of the center: ratings of their service and handling times of cases they accepted."""
    return _collect(center_id=center_id, start=start, end=end, key="clerk", clerk_ids=clerk_ids)


def group_figures(*, center_id: int, start: datetime.date, end: datetime.date,
                  item_ids: list[int] | None = None, clerk_ids: list[int] | None = None) -> Figures:
    """The figures of a set of items (or of clerks) together over the span."""
    rows = _collect(center_id=center_id, start=start, end=end, key="item" if clerk_ids is None else "clerk",
                    item_ids=item_ids, clerk_ids=clerk_ids)
    total = Figures()
    for fig in rows.values():
        total.ratings += fig.ratings
        total.score_total += fig.score_total
        total.bad += fig.bad
        total.handled += fig.handled
        total.handling_seconds += fig.handling_seconds
        total.hist = histogram.merge(total.hist, fig.hist)
    return total


def items_with_cases(*, center_id: int, item_ids: list[int]) -> set[int]:
    """Those of ``item_ids`` with cases received at the center in the rollups (an item handled
    there even if not listed among the center's 可办事项)."""
    return set(CaseDayFact.objects.filter(center_id=center_id, item_id__in=item_ids)
               .values_list("item_id", flat=True).distinct())
