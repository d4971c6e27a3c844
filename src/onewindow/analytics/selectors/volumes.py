"""Item volumes from the rollups (办件量: cases received for an item at the center, over all
channels; issue #14's definition), shared by item decisions, key training and the statistics."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Max, Sum
from django.db.models.functions import TruncMonth

from ..models import CaseDayFact


def item_volumes(*, center_id: int, start: datetime.date, end: datetime.date) -> dict[int, int]:
    """Cases received per item at the center from ``start`` to ``end`` (both included); items
    with no case are absent (callers add the center's items at zero)."""
    rows = (CaseDayFact.objects.filter(center_id=center_id, day__gte=start, day__lte=end, item_id__isnull=False)
            .values("item_id").annotate(n=Sum("received")).values_list("item_id", "n"))
    return {item_id: n for item_id, n in rows if n}


def item_monthly_volumes(*, center_id: int, item_ids: list[int], start: datetime.date,
                         end: datetime.date) -> dict[int, dict[str, int]]:
    """Per item, cases received per month (``"YYYY-MM"`` → count; months without cases absent)."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (CaseDayFact.objects.filter(center_id=center_id, item_id__in=item_ids, day__gte=start, day__lte=end)
            .annotate(month=TruncMonth("day")).values("item_id", "month").annotate(n=Sum("received"))
            .values_list("item_id", "month", "n"))
    for item_id, month, n in rows:
        if n:
            out[item_id][f"{month:%Y-%m}"] = n
    return dict(out)


def item_last_received(*, center_id: int, item_ids: list[int], end: datetime.date) -> dict[int, datetime.datetime]:
    """Per item, the time of the last case received at the center up to ``end``."""
    rows = (CaseDayFact.objects.filter(center_id=center_id, item_id__in=item_ids, day__lte=end, received__gt=0)
            .values("item_id").annotate(last=Max("last_received_at")).values_list("item_id", "last"))
    return {item_id: last for item_id, last in rows if last is not None}


def item_channels(*, center_id: int, item_ids: list[int], start: datetime.date,
                  end: datetime.date) -> dict[int, dict[str, int]]:
    """Per item, cases received per channel over the span."""
    out: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (CaseDayFact.objects.filter(center_id=center_id, item_id__in=item_ids, day__gte=start, day__lte=end)
            .values("item_id", "channel").annotate(n=Sum("received")).values_list("item_id", "channel", "n"))
    for item_id, channel, n in rows:
        if n:
            out[item_id][channel] = n
    return dict(out)
