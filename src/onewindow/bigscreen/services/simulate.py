"""The simulated 南京西路商圈 crowd feed (issue #16 part 7): what a mobile-operator feed would send
for the business district, so that the demo's screens move.

**Every parameter below is illustrative, not a published figure.** The seed article names the
views (real-time total, the last 7 days, the 国内/市内/国际 shares) but gives no number for
南京西路, and ``shared/seed/figures.json`` holds none (its ``big_data_display`` entry lists only the
place and the three views), so nothing here is calibrated: the shapes are chosen to look like a
central Shanghai shopping district and the zone capacities are round guesses.

The model. A zone's people present at instant *t*, for origin class *o*, is the sum of two
components, visitors (shoppers, diners, tourists) and commuters (the office towers' staff)::

    present(z, o, t) = capacity(z) × Σ_c share_c(z) × curve_c(t) × day_c(t) × weather_c(t)
                                          × shares_c(o, t) × noise(z, t)

- ``share_c(z)`` — the zone's visitors at the ordinary weekday's evening peak, and its commuters
  at their desks, as shares of its capacity (:data:`ZONES`; a zone the table does not know gets
  :data:`DEFAULT_PROFILE`). Capacities: 恒隆广场 12,000, 中信泰富 6,000, 兴业太古汇 12,000,
  静安嘉里中心 10,000, 张园 4,000, 吴江路 5,000 (illustrative). 张园 runs fullest, so weekends
  turn it amber and Golden Week red (大客流预警 has something to show).
- ``curve_c`` — the diurnal curve, hourly knots interpolated linearly (:data:`VISITOR_CURVE`:
  shops open 10:00–22:00, a lunch peak at 12:00–13:00, a dip mid-afternoon, the evening peak at
  19:00, a small night floor for hotels and residents; a flatter afternoon on days off;
  :data:`COMMUTER_CURVE`: desks filled 9:00–17:30, empty by 21:00).
- ``day_c`` — the day's kind (:func:`day_kind`, chinese-calendar's holidays and adjusted
  workdays): visitors Monday 0.92 … Friday 1.10, Saturday 1.45, Sunday 1.30; Golden Week
  (National Day, and a Mid-autumn Festival that falls in October) 1.70, Labour Day 1.55, the
  other holidays 1.35, the Spring Festival 0.95 (the city empties, the visitors come); commuters
  1.0 on a workday (调休 weekends included), 0.10 on a weekend, 0.05 on a holiday, 0.03 at the
  Spring Festival. Years the package does not know keep their weekends and the fixed-date
  holidays (New Year's Day, 1–3 May, 1–7 October); the Spring Festival, lunar, is not guessed.
  Between midnight and 06:00 the previous day's factor fades into the new one, so a Saturday
  does not jump at 00:00.
- ``weather_c`` — a slow, weather-like day factor: z_d is an AR(1) series (φ = 0.6, unit
  variance) computed in its moving-average form over 24 days of seeded shocks, so any day is
  known alone; visitors × exp(0.06 z_d), and a "rainy day" (z_d < −1, about one day in six)
  × 0.80 more; commuters × (1 + 0.02 z_d).
- ``shares_c(o, ·)`` — origin shares (市内, 国内, 国际). Commuters 0.78 / 0.20 / 0.02 always;
  visitors on a workday 0.52 / 0.36 / 0.12, on a weekend 0.58 / 0.32 / 0.10, Golden Week
  0.30 / 0.62 / 0.08, Labour Day 0.40 / 0.52 / 0.08, other holidays 0.50 / 0.42 / 0.08, the
  Spring Festival 0.42 / 0.50 / 0.08: more 国内 visitors on holidays.
- ``noise`` — a slow factor (lognormal, σ = 0.05, seeded knots every 30 minutes interpolated)
  times a fast one (σ = 0.015 per instant), per zone.

Arrivals are consistent with the present counts (turnover): for each component, over a bucket
from *t₀* to *t₁*, ``arrivals = max(0, p(t₁) − p(t₀) + mean(p) × minutes / dwell)`` with a mean
dwell of 75 minutes for visitors and 540 for commuters — people who came, less the change in who
is there, are those who left. Counts are rounded per zone and origin; a count never exceeds
twice the zone's capacity (the ingest refuses above ten times), and is never negative.

Everything is a pure function of (seed, zone code, capacity, instant): the same seed gives the
same counts, whatever order the buckets are computed in (the catch-up after downtime and the demo's
history agree).

The feed (below the generator): the simulator is a registered source of its area named
:data:`SOURCE_NAME` (its own token, like any operator's feed). :func:`simulate_send` sends each
closed bucket it has not sent yet, up to now, through the ingest service
(``crowd_report_ingest(..., via="simulator")``: the same refusals, revisions, merged buckets and
alerts as any feed); after downtime it catches up at most one day. The demo's 14 days of history go
through :func:`simulate_history`, a bulk path that writes the same rows the ingest would.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from ..buckets import bucket_floor, local_zone
from ..choices import OriginClass
from ..models import CrowdAreaBucket, CrowdCount, CrowdReport, CrowdRevision, Source, Zone
from . import alerts
from .ingest import Prepared, area_bucket_recompute, crowd_report_ingest, merged_figures, prepare

#: The demo's random seed: the seed article's date (the same as ``demo_data --seed``'s default).
DEFAULT_SEED = 20170929

AREA_CODE = "nanjingxilu"
AREA_NAME = "南京西路商圈"
AREA_NAME_EN = "West Nanjing Road"
#: The registered source the simulator sends as (one per area; the task finds it by this name).
SOURCE_NAME = "南京西路模拟数据源"

ORIGINS = (OriginClass.LOCAL.value, OriginClass.DOMESTIC.value, OriginClass.INTERNATIONAL.value)


@dataclass(frozen=True)
class ZoneProfile:
    """A zone of the simulated area: its capacity (illustrative) and how full its visitors
    (ordinary weekday evening peak) and commuters (at their desks) make it, as shares of it."""

    code: str
    name: str
    name_en: str
    capacity: int
    visitors: float
    commuters: float


ZONES: tuple[ZoneProfile, ...] = (
    ZoneProfile("plaza66", "恒隆广场", "Plaza 66", 12000, 0.40, 0.18),
    ZoneProfile("citic", "中信泰富", "CITIC Square", 6000, 0.38, 0.20),
    ZoneProfile("taikoohui", "兴业太古汇", "HKRI Taikoo Hui", 12000, 0.42, 0.15),
    ZoneProfile("kerry", "静安嘉里中心", "Jing'an Kerry Centre", 10000, 0.38, 0.25),
    ZoneProfile("zhangyuan", "张园", "Zhangyuan", 4000, 0.54, 0.03),
    ZoneProfile("wujianglu", "吴江路", "Wujiang Road", 5000, 0.50, 0.04),
)
DEFAULT_PROFILE = ZoneProfile("", "", "", 0, 0.40, 0.12)
_PROFILES = {z.code: z for z in ZONES}

#: Hourly knots 0:00 … 24:00 (fraction of the component's peak), interpolated linearly.
VISITOR_CURVE = (0.10, 0.06, 0.04, 0.03, 0.03, 0.03, 0.05, 0.08, 0.12, 0.18, 0.35, 0.55, 0.80,
                 0.78, 0.62, 0.58, 0.62, 0.72, 0.88, 1.00, 0.95, 0.70, 0.40, 0.20, 0.10)
VISITOR_CURVE_OFF = (0.10, 0.06, 0.04, 0.03, 0.03, 0.03, 0.04, 0.06, 0.09, 0.14, 0.30, 0.50, 0.76,
                     0.80, 0.80, 0.82, 0.85, 0.86, 0.92, 1.00, 0.96, 0.74, 0.44, 0.22, 0.10)
COMMUTER_CURVE = (0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.03, 0.10, 0.45, 0.85, 1.00, 1.00, 0.90,
                  0.95, 1.00, 1.00, 1.00, 0.90, 0.55, 0.30, 0.18, 0.10, 0.05, 0.03, 0.02)
VISITOR_DWELL_MINUTES = 75
COMMUTER_DWELL_MINUTES = 540
#: Visitors' factor by weekday (Monday first) on a working day and on a weekend.
WEEKDAY_VISITORS = (0.92, 0.92, 0.95, 0.97, 1.10, 1.45, 1.30)
COMMUTER_SHARES = (0.78, 0.20, 0.02)
WEATHER_PHI = 0.6
WEATHER_LAGS = 24
RAIN_BELOW = -1.0
RAIN_FACTOR = 0.80
SLOW_SIGMA, FAST_SIGMA, SLOW_KNOT_SECONDS = 0.05, 0.015, 1800
NIGHT_FADE_MINUTES = 360


@dataclass(frozen=True)
class DayKind:
    """How a day moves the crowd: ``key`` (workday, weekend, golden_week, labour_day,
    spring_festival, holiday), the commuters' and visitors' factors, and the visitors' origin
    shares (市内, 国内, 国际)."""

    key: str
    commuters: float
    visitors: float
    shares: tuple[float, float, float]


_HOLIDAY_KINDS = {
    "golden_week": (0.05, 1.70, (0.30, 0.62, 0.08)),
    "labour_day": (0.05, 1.55, (0.40, 0.52, 0.08)),
    "spring_festival": (0.03, 0.95, (0.42, 0.50, 0.08)),
    "holiday": (0.05, 1.35, (0.50, 0.42, 0.08)),
}
WORKDAY_SHARES = (0.52, 0.36, 0.12)
WEEKEND_SHARES = (0.58, 0.32, 0.10)


def _fixed_holiday(day: datetime.date) -> str | None:
    """The Gregorian-dated holidays of a year chinese-calendar does not know yet."""
    if (day.month, day.day) == (1, 1):
        return "New Year's Day"
    if day.month == 5 and day.day <= 3:
        return "Labour Day"
    if day.month == 10 and day.day <= 7:
        return "National Day"
    return None


def _calendar(day: datetime.date) -> tuple[bool, str | None]:
    """(a working day, the holiday's name or None) — chinese-calendar's, with adjusted workdays."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return chinese_calendar.is_workday(day), (name if on_holiday else None)
    except NotImplementedError:
        name = _fixed_holiday(day)
        return name is None and day.weekday() < 5, name


@functools.lru_cache(maxsize=4096)
def day_kind(day: datetime.date) -> DayKind:
    """The kind of ``day`` (see the module docstring)."""
    workday, name = _calendar(day)
    if name is not None:
        if name == "National Day" or (name == "Mid-autumn Festival" and day.month == 10):
            key = "golden_week"
        elif name == "Labour Day":
            key = "labour_day"
        elif name == "Spring Festival":
            key = "spring_festival"
        else:
            key = "holiday"
        commuters, visitors, shares = _HOLIDAY_KINDS[key]
        return DayKind(key, commuters, visitors, shares)
    weekday = day.weekday()
    if workday:  # an adjusted working Saturday or Sunday (调休) draws like an ordinary Thursday
        return DayKind("workday", 1.0, WEEKDAY_VISITORS[weekday if weekday < 5 else 3], WORKDAY_SHARES)
    return DayKind("weekend", 0.10, WEEKDAY_VISITORS[weekday if weekday >= 5 else 6], WEEKEND_SHARES)


# ---- seeded noise (a pure function of its key) ---------------------------------------------------

def _uniform(*key: object) -> float:
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / 2.0**64


def _normal(*key: object) -> float:
    return math.sqrt(-2.0 * math.log(_uniform(*key, "a"))) * math.cos(2.0 * math.pi * _uniform(*key, "b"))


@functools.lru_cache(maxsize=4096)
def weather(seed: int, day: datetime.date) -> float:
    """The day's weather-like latent z_d ~ N(0, 1): AR(1) with φ = WEATHER_PHI, as its moving
    average over WEATHER_LAGS days of seeded shocks (the truncated tail weighs φ^24 ≈ 5e-6)."""
    ordinal = day.toordinal()
    scale = math.sqrt(1.0 - WEATHER_PHI**2)
    return scale * sum(WEATHER_PHI**k * _normal(seed, "weather", ordinal - k) for k in range(WEATHER_LAGS))


def is_rainy(seed: int, day: datetime.date) -> bool:
    return weather(seed, day) < RAIN_BELOW


def _weather_factors(seed: int, day: datetime.date) -> tuple[float, float]:
    z = weather(seed, day)
    visitors = math.exp(0.06 * z) * (RAIN_FACTOR if z < RAIN_BELOW else 1.0)
    return visitors, 1.0 + 0.02 * z


def _noise(seed: int, zone: str, instant: datetime.datetime) -> float:
    seconds = instant.timestamp()
    knot = math.floor(seconds / SLOW_KNOT_SECONDS)
    frac = seconds / SLOW_KNOT_SECONDS - knot
    slow = (1 - frac) * _normal(seed, "slow", zone, knot) + frac * _normal(seed, "slow", zone, knot + 1)
    fast = _normal(seed, "fast", zone, int(seconds))
    return math.exp(SLOW_SIGMA * slow + FAST_SIGMA * fast)


def _curve(knots: Sequence[float], minute: float) -> float:
    hour = int(minute // 60)
    frac = minute / 60 - hour
    return knots[hour] * (1 - frac) + knots[hour + 1] * frac


# ---- the counts ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Levels:
    """Per component, the people present per unit of capacity share, by origin, at one instant."""

    visitors: tuple[float, float, float]
    commuters: tuple[float, float, float]


def _day_levels(seed: int, day: datetime.date, minute: float) -> tuple[float, float, tuple[float, float, float]]:
    """(visitors, commuters) per unit of capacity share at ``minute`` of ``day``, and the
    visitors' origin shares."""
    kind = day_kind(day)
    w_visitors, w_commuters = _weather_factors(seed, day)
    curve = VISITOR_CURVE if kind.key == "workday" else VISITOR_CURVE_OFF
    return (_curve(curve, minute) * kind.visitors * w_visitors,
            _curve(COMMUTER_CURVE, minute) * kind.commuters * w_commuters, kind.shares)


@functools.lru_cache(maxsize=8192)
def _levels(seed: int, instant: datetime.datetime) -> _Levels:
    local = instant.astimezone(local_zone())  # the grid's zone (Asia/Shanghai), whatever zone is active
    minute = local.hour * 60 + local.minute + local.second / 60
    visitors, commuters, shares = _day_levels(seed, local.date(), minute)
    if minute < NIGHT_FADE_MINUTES:  # the previous day's factors fade out until 06:00
        w = minute / NIGHT_FADE_MINUTES
        p_visitors, p_commuters, p_shares = _day_levels(seed, local.date() - datetime.timedelta(days=1), minute)
        visitors, commuters = (1 - w) * p_visitors + w * visitors, (1 - w) * p_commuters + w * commuters
        shares = ((1 - w) * p_shares[0] + w * shares[0], (1 - w) * p_shares[1] + w * shares[1],
                  (1 - w) * p_shares[2] + w * shares[2])
    return _Levels(visitors=(visitors * shares[0], visitors * shares[1], visitors * shares[2]),
                   commuters=(commuters * COMMUTER_SHARES[0], commuters * COMMUTER_SHARES[1],
                              commuters * COMMUTER_SHARES[2]))


def profile_of(code: str) -> ZoneProfile:
    """The simulated profile of a zone code (:data:`DEFAULT_PROFILE`'s shares for an unknown one)."""
    return _PROFILES.get(code, DEFAULT_PROFILE)


def _present(seed: int, code: str, capacity: int, instant: datetime.datetime) -> tuple[list[float], list[float]]:
    """(visitors by origin, commuters by origin) present in the zone at ``instant``, unrounded."""
    profile = profile_of(code)
    levels = _levels(seed, instant)
    factor = capacity * _noise(seed, code, instant)
    return ([factor * profile.visitors * v for v in levels.visitors],
            [factor * profile.commuters * c for c in levels.commuters])


def _arrivals(before: float, after: float, minutes: float, dwell: float) -> float:
    return max(0.0, after - before + (before + after) / 2 * minutes / dwell)


def bucket_counts(zones: Sequence[tuple[str, int]], bucket_start: datetime.datetime, *, bucket_minutes: int = 5,
                  seed: int = DEFAULT_SEED) -> list[dict[str, object]]:
    """The simulated counts of one bucket: for each (zone code, capacity) of ``zones`` and each
    origin class, ``{"zone", "origin", "present", "arrivals"}`` — present at the bucket's end,
    arrivals during it (the ingest's count shape, in zone then OriginClass order)."""
    end = bucket_start + datetime.timedelta(minutes=bucket_minutes)
    counts: list[dict[str, object]] = []
    for code, capacity in zones:
        v0, c0 = _present(seed, code, capacity, bucket_start)
        v1, c1 = _present(seed, code, capacity, end)
        cap = 2 * capacity
        for i, origin in enumerate(ORIGINS):
            present = min(cap, round(v1[i] + c1[i]))
            arrivals = min(cap, round(_arrivals(v0[i], v1[i], bucket_minutes, VISITOR_DWELL_MINUTES)
                                      + _arrivals(c0[i], c1[i], bucket_minutes, COMMUTER_DWELL_MINUTES)))
            counts.append({"zone": code, "origin": origin, "present": max(0, present),
                           "arrivals": max(0, arrivals)})
    return counts


# ---- the feed ------------------------------------------------------------------------------------

#: How far back a catch-up after downtime reaches (issue #16 part 7: at most one day).
CATCH_UP = datetime.timedelta(days=1)


def _zones_of(source: Source) -> list[tuple[str, int]]:
    return list(source.area.zones.order_by("position", "code").values_list("code", "capacity"))


def _unsent(source: Source, now: datetime.datetime) -> list[datetime.datetime]:
    """The closed buckets (ended at or before ``now``) after the source's last one, at most
    :data:`CATCH_UP` back, oldest first."""
    step = datetime.timedelta(minutes=source.area.bucket_minutes)
    last_closed = bucket_floor(now, source.area.bucket_minutes) - step
    first = last_closed - CATCH_UP + step
    if source.last_bucket_start is not None:
        first = max(first, source.last_bucket_start + step)
    return [first + n * step for n in range(int((last_closed - first) / step) + 1)] if first <= last_closed else []


def simulate_send(source: Source, *, now: datetime.datetime | None = None, seed: int = DEFAULT_SEED) -> int:
    """Send the simulated counts of every closed bucket ``source`` has not sent yet, oldest
    first, each through the ingest service in its own transaction (a failure keeps what was
    sent, and the next run resumes after it). Returns how many buckets were sent."""
    now = now or timezone.now()
    zones = _zones_of(source)
    if not zones:
        return 0
    sent = 0
    for start in _unsent(source, now):
        crowd_report_ingest(source=source, area_code=source.area.code, bucket_start=start,
                            counts=bucket_counts(zones, start, bucket_minutes=source.area.bucket_minutes, seed=seed),
                            via="simulator", now=now)
        sent += 1
    return sent


def simulator_sources() -> list[Source]:
    """The active simulator sources of active areas (named :data:`SOURCE_NAME`)."""
    return list(Source.objects.filter(name=SOURCE_NAME, is_active=True, area__is_active=True)
                .select_related("area").order_by("pk"))


def simulate_sources_send(*, now: datetime.datetime | None = None, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """:func:`simulate_send` for every simulator source (the periodic task's body)."""
    sources = simulator_sources()
    return {"sources": len(sources), "buckets": sum(simulate_send(s, now=now, seed=seed) for s in sources)}


# ---- the demo's history in bulk ------------------------------------------------------------------

def _merged(prepared: Prepared, received_at: datetime.datetime) -> CrowdAreaBucket:
    """The area bucket of a single report (``ingest.merged_figures``, as the ingest merges it); a
    bucket another source also reports is recomputed instead."""
    figures = merged_figures((zone.code, origin, present, arrivals)
                             for zone, origin, present, arrivals in prepared.counts)
    return CrowdAreaBucket(area_id=prepared.area.pk, bucket_start=prepared.bucket_start, **figures, sources=1,
                           computed_at=received_at)


def _write_day(source: Source, prepared: list[Prepared]) -> None:
    """The rows the ingest writes for first reports (report, revision 1, counts, area bucket),
    in bulk; each as received at its bucket's end, as if sent live."""
    step = datetime.timedelta(minutes=source.area.bucket_minutes)
    CrowdReport.objects.bulk_create([
        CrowdReport(source=source, area_id=p.area.pk, bucket_start=p.bucket_start, revision=1, digest=p.digest,
                    received_at=p.bucket_start + step) for p in prepared], batch_size=500)
    ids = dict(CrowdReport.objects.filter(source=source, bucket_start__gte=prepared[0].bucket_start,
                                          bucket_start__lte=prepared[-1].bucket_start)
               .values_list("bucket_start", "pk"))
    CrowdRevision.objects.bulk_create([
        CrowdRevision(report_id=ids[p.bucket_start], revision=1, counts=p.canonical, digest=p.digest,
                      received_at=p.bucket_start + step, via="simulator") for p in prepared], batch_size=500)
    CrowdCount.objects.bulk_create([
        CrowdCount(report_id=ids[p.bucket_start], zone=zone, origin=origin, present=present, arrivals=arrivals)
        for p in prepared for zone, origin, present, arrivals in p.counts], batch_size=2000)
    CrowdAreaBucket.objects.bulk_create(
        [_merged(p, p.bucket_start + step) for p in prepared], batch_size=500, update_conflicts=True,
        unique_fields=["area", "bucket_start"],
        update_fields=["present", "arrivals", "by_origin", "by_zone", "sources", "computed_at"])
    shared = set(CrowdReport.objects.filter(area_id=source.area_id, bucket_start__gte=prepared[0].bucket_start,
                                            bucket_start__lte=prepared[-1].bucket_start)
                 .exclude(source=source).values_list("bucket_start", flat=True))
    for start in sorted(shared):  # another source reports these buckets too: merge as the ingest does
        area_bucket_recompute(area_id=source.area_id, bucket_start=start, now=start + step)


def simulate_history(source: Source, *, days: int, now: datetime.datetime | None = None, seed: int = DEFAULT_SEED,
                     progress: Callable[[int], object] = lambda n: None) -> int:
    """The demo's history: the simulated counts of every closed bucket of the last ``days`` days
    up to ``now`` that ``source`` has not sent (those after its last bucket), validated by the
    ingest's own ``prepare`` (the same refusals and digest, so a later resend of a bucket is
    ``unchanged``) and written in bulk, a day per round, in one transaction: the same report,
    revision (``via="simulator"``), count and merged-bucket rows as the ingest, without its
    per-report statements (the demo's two weeks are 4,032 reports). The source's last bucket moves
    to the latest one and the alerts are evaluated on it after the commit. Returns the number of
    buckets written."""
    now = now or timezone.now()
    area = source.area
    step = datetime.timedelta(minutes=area.bucket_minutes)
    last_closed = bucket_floor(now, area.bucket_minutes) - step
    first = last_closed - datetime.timedelta(days=days) + step
    if source.last_bucket_start is not None:
        first = max(first, source.last_bucket_start + step)
    zones = _zones_of(source)
    if first > last_closed or not zones:
        return 0
    starts = [first + n * step for n in range(int((last_closed - first) / step) + 1)]
    per_day = int(datetime.timedelta(days=1) / step)
    cache: dict[int, dict[str, Zone]] = {}
    with transaction.atomic():
        for index in range(0, len(starts), per_day):
            chunk = starts[index:index + per_day]
            _write_day(source, [prepare(source, {"area": area.code, "bucket_start": start, "counts": bucket_counts(
                zones, start, bucket_minutes=area.bucket_minutes, seed=seed)}, now=now, zones=cache)
                for start in chunk])
            progress(len(chunk))
        Source.objects.filter(pk=source.pk).update(last_bucket_start=last_closed, last_received_at=last_closed + step)
        source.last_bucket_start, source.last_received_at = last_closed, last_closed + step
        transaction.on_commit(lambda: alerts.alerts_evaluate(area_id=area.pk, bucket_start=last_closed), robust=True)
    return len(starts)
