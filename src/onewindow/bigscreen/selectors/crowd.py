"""The crowd snapshot of a business district (商圈客流, issue #16 part 3), in the payload shape of the
``crowd:<area>`` channel: people present now, origin shares, the last 7 days (day × hour heatmap
and an hourly line), today's peak against the same weekday last week, the zones' density levels
and the open density alerts (大客流预警).

It runs once per push interval for all screens (``bigscreen/broadcast.py``), so it reads in a
fixed number of queries whatever the history: the area, its zones, its active sources, the latest
two buckets, eight days of (bucket, present) pairs, the open alerts.

Rules (issue #16 parts 2–3):

* a missing bucket is never drawn as 0: the heatmap and the line lack that point; no data at all
  gives nulls (present now, origins, zones, peaks), never 0;
* ``stale`` (数据延迟) when an active source has sent no bucket ending within the area's
  ``stale_minutes`` before now (or none at all), when the latest bucket is that old, or when there is
  no data; ``late_sources`` names the late sources;
* public payloads are redacted by FlowKit's rule (``bigscreen/redaction.py``): every count below k
  is ``"<k"``, a share of a redacted count is null (an alert's peak share too, in a zone so small
  that its peak was below k); totals and levels come from the true values;
* times are Asia/Shanghai (+08:00); a bucket's ``present`` is counted at its end, so ``as_of`` and
  the peaks' ``at`` are bucket ends, while the heatmap and the line put a bucket in the hour it starts.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound

from .. import redaction
from ..choices import AlertLevel, OriginClass
from ..models import Area, CrowdAlert, CrowdAreaBucket, Source, Zone
from ..redaction import Count

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK_DAYS = 7


def iso(moment: datetime.datetime) -> str:
    """ISO 8601 with the +08:00 offset (the payload's time format)."""
    return moment.astimezone(SHANGHAI).isoformat()


def _round(value: float) -> int:
    """Half up (Python's round() is half-to-even, which would move a mean of x.5 by the parity of x)."""
    return math.floor(value + 0.5)


def zone_thresholds(zone: Zone) -> tuple[float, float]:
    """(amber, red) shares of the zone's capacity: its own when set (> 0), else the settings'
    BIGSCREEN_AMBER_SHARE / BIGSCREEN_RED_SHARE."""
    amber = zone.amber_share if zone.amber_share > 0 else float(settings.BIGSCREEN_AMBER_SHARE)
    red = zone.red_share if zone.red_share > 0 else float(settings.BIGSCREEN_RED_SHARE)
    return amber, red


def zone_level(zone: Zone, present: int | None) -> str | None:
    """The density level of ``present`` people in ``zone``: ``"red"`` at or above the red share of its
    capacity, ``"amber"`` at or above the amber share, else None (normal, or no count)."""
    if present is None:
        return None
    amber, red = zone_thresholds(zone)
    ratio = present / zone.capacity
    if ratio >= red:
        return AlertLevel.RED.value
    if ratio >= amber:
        return AlertLevel.AMBER.value
    return None


def zone_present(by_zone: Any, code: str) -> int | None:
    """People present in the zone ``code`` of a bucket's ``by_zone``; None when the zone is not in it."""
    entry = by_zone.get(code) if isinstance(by_zone, dict) else None
    if not isinstance(entry, dict) or entry.get("present") is None:
        return None
    return int(entry["present"])


def _origin_present(by_origin: Any, origin: str) -> int:
    # The origin classes partition every count, so a class absent from a bucket had no one.
    entry = by_origin.get(origin) if isinstance(by_origin, dict) else None
    return int(entry.get("present") or 0) if isinstance(entry, dict) else 0


def estimate_present(latest: Sequence[CrowdAreaBucket], bucket: datetime.timedelta,
                     now: datetime.datetime) -> int | None:
    """People present at ``now``: the latest bucket's count moved along the trend of the latest two
    buckets (when they are consecutive; a gap gives no trend) by the time from its end to ``now``,
    at most one bucket and never backwards; never below 0. None without any bucket."""
    if not latest:
        return None
    last = latest[0]
    value = float(last.present)
    if len(latest) > 1 and latest[1].bucket_start == last.bucket_start - bucket:
        seconds = bucket.total_seconds()
        ahead = min(max((now - (last.bucket_start + bucket)).total_seconds(), 0.0), seconds)
        value += (last.present - latest[1].present) * ahead / seconds
    return max(0, _round(value))


def crowd_snapshot(area_code: str, *, now: datetime.datetime | None = None, redact: bool = True) -> dict[str, Any]:
    """The ``crowd:<area_code>`` payload (payloads.md "crowd data") at ``now`` (default: now).

    ``redact`` (the public screens and the pushed channel: always) hides counts below the area's k.
    Raises ``NotFound`` ``bigscreen_area_not_found`` for an unknown or inactive area.
    """
    now = now or timezone.now()
    area = Area.objects.filter(code=str(area_code), is_active=True).first()
    if area is None:
        raise NotFound(_("找不到该商圈，或该商圈已停用。"), code="bigscreen_area_not_found")
    k = redaction.threshold_for(area)
    bucket = datetime.timedelta(minutes=area.bucket_minutes)
    today = now.astimezone(SHANGHAI).date()
    since = datetime.datetime.combine(today - datetime.timedelta(days=WEEK_DAYS), datetime.time(0), SHANGHAI)

    zones = list(Zone.objects.filter(area=area).order_by("position", "code"))
    sources = list(Source.objects.filter(area=area, is_active=True).order_by("name").only("name", "last_bucket_start"))
    latest = list(CrowdAreaBucket.objects.filter(area=area, bucket_start__lte=now).order_by("-bucket_start")
                  .only("bucket_start", "present", "by_origin", "by_zone")[:2])
    rows = list(CrowdAreaBucket.objects.filter(area=area, bucket_start__gte=since, bucket_start__lte=now)
                .order_by("bucket_start").values_list("bucket_start", "present"))
    alerts = list(CrowdAlert.objects.filter(area=area, closed_at__isnull=True).select_related("zone")
                  .order_by("zone__position", "zone__code"))

    def shown(value: int | None) -> Count:
        return redaction.redact(value, k) if redact else value

    def share(numerator: int | None, denominator: int | None) -> float | None:
        return redaction.share(numerator, denominator, k=k if redact else None)

    limit = now - datetime.timedelta(minutes=area.stale_minutes)
    late = [s.name for s in sources if s.last_bucket_start is None or s.last_bucket_start + bucket < limit]
    last = latest[0] if latest else None
    as_of = last.bucket_start + bucket if last is not None else None
    stale = as_of is None or as_of < limit or bool(late)

    total = last.present if last is not None else None
    origins = []
    for origin in OriginClass:
        present = _origin_present(last.by_origin, origin.value) if last is not None else None
        origins.append({"origin": origin.value, "label": str(origin.label), "present": shown(present),
                        "share": share(present, total)})

    zone_rows = []
    for zone in zones:
        present = zone_present(last.by_zone, zone.code) if last is not None else None
        zone_rows.append({"code": zone.code, "name": zone.name, "present": shown(present), "capacity": zone.capacity,
                          "share": share(present, zone.capacity),
                          "level": zone_level(zone, present) or "normal"})

    week, peaks = _week(rows, today, bucket)
    peak_today, peak_last = peaks
    ratio = None
    if peak_today[0] is not None and peak_last[0] is not None and peak_last[0] > 0 and not (
            redact and (redaction.is_hidden(peak_today[0], k) or redaction.is_hidden(peak_last[0], k))):
        ratio = round(peak_today[0] / peak_last[0], 4)

    return {
        "area": {"code": area.code, "name": area.name, "name_en": area.name_en},
        "bucket_minutes": area.bucket_minutes,
        "as_of": iso(as_of) if as_of is not None else None,
        "stale": stale,
        "late_sources": late,
        "redacted": redact,
        "threshold": k,
        "now": {"present": shown(estimate_present(latest, bucket, now)), "estimated": True, "at": iso(now)},
        "origins": origins,
        "week": {"days": week["days"],
                 "heatmap": [[day, hour, shown(mean)] for day, hour, mean in week["heatmap"]],
                 "line": [[hour, shown(mean)] for hour, mean in week["line"]]},
        "peak": {
            "today": {"present": shown(peak_today[0]), "at": _iso_or_none(peak_today[1])},
            "last_week": {"present": shown(peak_last[0]), "at": _iso_or_none(peak_last[1]),
                          "date": (today - datetime.timedelta(days=WEEK_DAYS)).isoformat()},
            "ratio": ratio,
        },
        "zones": zone_rows,
        "alerts": [{"zone": alert.zone.code, "level": alert.level, "since": iso(alert.opened_bucket + bucket),
                    "peak_share": None if redact and alert.peak_share * alert.zone.capacity < k - 1e-6
                    else round(alert.peak_share, 4)}
                   for alert in alerts],
    }


def _iso_or_none(moment: datetime.datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


Peak = tuple[int | None, datetime.datetime | None]


def _week(rows: Sequence[tuple[datetime.datetime, int]], today: datetime.date,
          bucket: datetime.timedelta) -> tuple[dict[str, Any], tuple[Peak, Peak]]:
    """The last 7 days (ending ``today``) of (bucket start, present) rows, oldest first: the day × hour
    means, the hourly line, and the peaks of today and of the same weekday a week ago (the first
    bucket wins a tie). Rows come ordered by bucket start."""
    first = today - datetime.timedelta(days=WEEK_DAYS - 1)
    last_week = today - datetime.timedelta(days=WEEK_DAYS)
    cells: dict[tuple[int, int], list[int]] = {}
    hours: dict[datetime.datetime, list[int]] = {}
    peak_today: Peak = (None, None)
    peak_last: Peak = (None, None)
    for start, present in rows:
        local = start.astimezone(SHANGHAI)
        day = local.date()
        end = start + bucket
        if day == last_week:
            if peak_last[0] is None or present > peak_last[0]:
                peak_last = (present, end)
            continue
        index = (day - first).days
        if not 0 <= index < WEEK_DAYS:
            continue
        cell = cells.setdefault((index, local.hour), [0, 0])
        cell[0] += present
        cell[1] += 1
        line = hours.setdefault(local.replace(minute=0, second=0, microsecond=0), [0, 0])
        line[0] += present
        line[1] += 1
        if day == today and (peak_today[0] is None or present > peak_today[0]):
            peak_today = (present, end)
    week = {
        "days": [(first + datetime.timedelta(days=i)).isoformat() for i in range(WEEK_DAYS)],
        "heatmap": [(day, hour, _round(total / count)) for (day, hour), (total, count) in sorted(cells.items())],
        "line": [(iso(hour), _round(total / count)) for hour, (total, count) in sorted(hours.items())],
    }
    return week, (peak_today, peak_last)
