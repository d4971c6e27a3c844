"""The demand model of elastic staffing (弹性调配, issue #15 part 1): how many people of each ticket
category arrive in each half-hour of a date, and how long each category takes at the window.
Pure code: no queries (the calendar is passed in as ``working``; by default the packaged holiday
calendar, ``core.calendar.library_says_working``).

The model (multiplicative, fitted on the slot facts of the open days of a history):

    arrivals(day, slot, category) = rate[category][day type][slot]
                                    × season[category][month of day] × trend(day)

- **day types** (``day_type``): ``mon`` … ``fri`` for ordinary working days; ``adjusted`` for a
  weekend day worked by State Council decision (调休上班); ``after_holiday``, the first working day
  after a break longer than a weekend; ``holiday_eve``, the last working day before one (the
  statutory holidays, DOMAIN.md "working days"); closed days are ``sat``, ``sun`` or ``holiday``
  (a center open on Saturdays gets its Saturdays modelled like any other type);
- **rate**: the level of the category on that day type (total over the day, by a ratio estimator
  that counts every open day, a day or slot without any ticket as 0 — zeros matter) spread over the
  slots by the day type's profile, shrunk towards the category's profile over all day types by
  ``pool_days`` days' worth of arrivals (rare day types — six holiday eves a year — would otherwise
  carry the noise of a handful of days);
- **season**: a factor per category and calendar month, averaging 1 over the history's days, 1.0
  for a month the history does not hold, shrunk towards 1 by ``SEASON_PRIOR`` arrivals (a month
  seen on a day or two would otherwise swing on their noise);
- **trend**: linear on the weekly level, relative per week, ``trend(day) = 1 + trend × weeks from
  the history's last day``. It is estimated year over year — the day-type-adjusted level of a
  calendar month against the same month a year earlier — because within one year a trend and
  month seasonality cannot be told apart (a regression of 52 weekly totals on time would read
  January's peak as a falling trend). A history without a month seen in two years has no trend (0).

Service times per category from the merged ``service_hist`` histograms of the slot facts
(effective handling time, start → finish; ``analytics.histogram``): the exact mean (total seconds /
count), median and p90 (within one bucket) and the squared coefficient of variation: the variance
of the bucket midpoints less Sheppard's correction for grouping (the width squared over 12), over
the mean squared (within ~5 % of the sample's on lognormal service times).

Forecast error (issue #15: "WAPE or MASE: MAPE is undefined in empty half-hour slots"): ``wape``,
``mase`` (against the seasonal naive forecast, the same slot one week earlier) and
``holdout_error`` (fit on all but the last weeks, forecast those).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from onewindow.analytics import histogram
from onewindow.core.calendar import library_says_working

from .plans import SLOTS_PER_DAY

Working = Callable[[datetime.date], bool]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
#: The types of a working day, in the order the pages list them.
DAY_TYPES = (*WEEKDAYS, "adjusted", "after_holiday", "holiday_eve")
#: The types of a day off (a center open then is modelled on its own history of those days).
CLOSED_TYPES = ("sat", "sun", "holiday")
#: A break between working days longer than a weekend: the previous (next) working day is more
#: than this many days away (as the demo generator counts ``AFTER_HOLIDAY_FACTOR``).
BREAK_GAP = 3
LOOK_DAYS = 20  #: the longest run of days off looked through (the Spring Festival is 8 or 9 days)
_ITERATIONS = 12
#: A month's factor is (arrivals + SEASON_PRIOR) / (expected at factor 1 + SEASON_PRIOR): a month
#: seen on one day (the first day of a 52-week history) has a factor with a sampling error of 1 over
#: the root of that day's arrivals, and would swing the whole month's forecast. 50 arrivals is the
#: weight a prior spread of month factors of ±14 % (1/√50) gives; a month of a year's history
#: (hundreds of arrivals and more) is barely moved.
SEASON_PRIOR = 50.0
_MIN_TREND_FACTOR = 0.05


class NoHistory(ValueError):
    """The model has no history for ``day_type`` (e.g. a Saturday of a center never open on
    Saturdays), or none for ``slot`` of it (outside the hours it was open on such days)."""

    def __init__(self, day_type: str, slot: int | None = None) -> None:
        self.day_type, self.slot = day_type, slot
        where = day_type if slot is None else f"{day_type} slot {slot}"
        super().__init__(f"no history for {where}")


class SlotRowLike(Protocol):
    """What ``fit`` reads of a slot fact (``analytics.selectors.slots.SlotRow`` has it)."""

    @property
    def day(self) -> datetime.date: ...
    @property
    def slot(self) -> int: ...
    @property
    def category_id(self) -> int: ...
    @property
    def arrivals(self) -> float: ...
    @property
    def services(self) -> int: ...
    @property
    def service_seconds(self) -> int: ...
    @property
    def service_hist(self) -> Sequence[int]: ...


# ---- day types ---------------------------------------------------------------------------------


def _named_holiday(day: datetime.date) -> bool:
    """Whether ``chinese_calendar`` names ``day`` a statutory holiday; a year the package does not
    know has none (as ``core.calendar.library_says_working`` falls back to Monday–Friday)."""
    try:
        import chinese_calendar

        holiday, name = chinese_calendar.get_holiday_detail(day)  # (False, name) on a day worked for it
        return bool(holiday) and name is not None
    except NotImplementedError:
        return False


def day_type(day: datetime.date, working: Working = library_says_working) -> str:
    """The day type of ``day`` (see the module docstring): a working day is ``after_holiday`` if the
    working day before it is more than ``BREAK_GAP`` days earlier, else ``holiday_eve`` if the next
    is more than ``BREAK_GAP`` days later, else ``adjusted`` on a weekend, else its weekday; a day
    off is ``holiday`` (a weekday off, or a statutory holiday on a weekend) or ``sat``/``sun``."""
    if not working(day):
        if day.weekday() < 5 or _named_holiday(day):
            return "holiday"
        return CLOSED_TYPES[day.weekday() - 5]
    one = datetime.timedelta(days=1)
    before = next((n for n in range(1, LOOK_DAYS + 1) if working(day - n * one)), LOOK_DAYS + 1)
    if before > BREAK_GAP:
        return "after_holiday"
    after = next((n for n in range(1, LOOK_DAYS + 1) if working(day + n * one)), LOOK_DAYS + 1)
    if after > BREAK_GAP:
        return "holiday_eve"
    if day.weekday() >= 5:
        return "adjusted"
    return WEEKDAYS[day.weekday()]


# ---- the parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceStats:
    """A category's service times (seconds): how many were timed, mean, squared coefficient of
    variation, median and p90 (None without any)."""

    count: int
    mean: float
    scv: float
    median: float | None
    p90: float | None


@dataclass
class DemandParams:
    """A fitted demand model (see the module docstring). ``rates``: category id → day type → 48
    arrivals per slot (at season 1 and trend 1); ``season``: category id → 12 month factors;
    ``trend``: relative change per week from ``trend_origin`` (``trend_pairs`` month pairs a year
    apart gave it); ``service``: category id → its service times; ``slots``: day type → the slots
    with any arrival in the history (the hours open); ``days``: day type → open days fitted."""

    history_from: datetime.date
    history_to: datetime.date
    rates: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    season: dict[int, list[float]] = field(default_factory=dict)
    trend: float = 0.0
    trend_origin: datetime.date | None = None
    trend_pairs: int = 0
    service: dict[int, ServiceStats] = field(default_factory=dict)
    slots: dict[str, list[int]] = field(default_factory=dict)
    days: dict[str, int] = field(default_factory=dict)

    VERSION = 1

    def categories(self) -> list[int]:
        return sorted(set(self.rates) | set(self.service))

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ``DemandModel.params`` (keys as text, floats rounded)."""
        return {
            "version": self.VERSION,
            "history_from": self.history_from.isoformat(),
            "history_to": self.history_to.isoformat(),
            "rates": {str(c): {t: [round(x, 6) for x in r] for t, r in sorted(types.items())}
                      for c, types in sorted(self.rates.items())},
            "season": {str(c): [round(x, 6) for x in f] for c, f in sorted(self.season.items())},
            "trend": round(self.trend, 8),
            "trend_origin": self.trend_origin.isoformat() if self.trend_origin else None,
            "trend_pairs": self.trend_pairs,
            "service": {str(c): {"count": s.count, "mean": round(s.mean, 3), "scv": round(s.scv, 6),
                                 "median": None if s.median is None else round(s.median, 3),
                                 "p90": None if s.p90 is None else round(s.p90, 3)}
                        for c, s in sorted(self.service.items())},
            "slots": {t: list(s) for t, s in sorted(self.slots.items())},
            "days": dict(sorted(self.days.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> DemandParams:
        """Read the JSON form back; ``ValueError`` if it is not one (another version, a bad shape)."""
        try:
            if data.get("version") != cls.VERSION:
                raise ValueError(f"demand params version {data.get('version')!r}")

            def floats(values: Any, n: int) -> list[float]:
                out = [float(v) for v in values]
                if len(out) != n or any(not math.isfinite(v) or v < 0 for v in out):
                    raise ValueError("bad factors")
                return out

            def opt(value: Any) -> float | None:
                return None if value is None else float(value)

            origin = data.get("trend_origin")
            return cls(
                history_from=datetime.date.fromisoformat(data["history_from"]),
                history_to=datetime.date.fromisoformat(data["history_to"]),
                rates={int(c): {str(t): floats(r, SLOTS_PER_DAY) for t, r in types.items()}
                       for c, types in data["rates"].items()},
                season={int(c): floats(f, 12) for c, f in data["season"].items()},
                trend=float(data["trend"]),
                trend_origin=datetime.date.fromisoformat(origin) if origin else None,
                trend_pairs=int(data.get("trend_pairs", 0)),
                service={int(c): ServiceStats(count=int(s["count"]), mean=float(s["mean"]), scv=float(s["scv"]),
                                              median=opt(s["median"]), p90=opt(s["p90"]))
                         for c, s in data["service"].items()},
                slots={str(t): sorted(int(s) for s in slots) for t, slots in data["slots"].items()},
                days={str(t): int(n) for t, n in data["days"].items()},
            )
        except (AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"not demand params: {exc}") from None


# ---- fitting -----------------------------------------------------------------------------------


def _weeks(day: datetime.date, origin: datetime.date) -> float:
    return (day - origin).days / 7


def _trend_factor(trend: float, weeks: float) -> float:
    return max(_MIN_TREND_FACTOR, 1 + trend * weeks)


def service_stats(hist: Sequence[int], count: int, seconds: int) -> ServiceStats:
    """The service times of a merged histogram (``count`` timed services of ``seconds`` in all)."""
    n = sum(hist)
    mean = seconds / count if count else 0.0
    scv = 0.0
    if n and mean:
        edges = histogram.EDGES
        m1 = m2 = grouping = 0.0
        for i, k in enumerate(hist):
            if not k:
                continue
            low = float(edges[i])
            high = float(edges[i + 1]) if i + 1 < len(edges) else low
            middle = (low + high) / 2
            m1 += k * middle
            m2 += k * middle * middle
            grouping += k * (high - low) ** 2 / 12
        m1, m2, grouping = m1 / n, m2 / n, grouping / n
        scv = max(0.0, m2 - m1 * m1 - grouping) / (mean * mean)
    return ServiceStats(count=count, mean=mean, scv=scv, median=histogram.quantile(hist, 0.5),
                        p90=histogram.quantile(hist, 0.9))


def _year_over_year(daily: dict[datetime.date, dict[int, float]], types: dict[datetime.date, str],
                    level: dict[int, dict[str, float]], origin: datetime.date) -> tuple[float, int]:
    """The weekly trend from each calendar month seen in two years: its level (arrivals over
    the arrivals its days' types predict at season 1) a year later against a year earlier."""
    months: dict[tuple[int, int], list[datetime.date]] = defaultdict(list)
    for day in daily:
        months[day.year, day.month].append(day)
    estimates: list[tuple[float, float]] = []
    for (year, month), later in months.items():
        earlier = months.get((year - 1, month))
        if not earlier:
            continue
        levels = []
        for days in (earlier, later):
            seen = sum(sum(daily[d].values()) for d in days)
            weights = [sum(level[c].get(types[d], 0.0) for c in level) for d in days]
            expected = sum(weights)
            if not expected:
                break
            # the week of the month's level: its days weighted as its arrivals are
            at = sum(w * _weeks(d, origin) for w, d in zip(weights, days, strict=True)) / expected
            levels.append((seen / expected, at))
        if len(levels) < 2:
            continue
        (a1, t1), (a2, t2) = levels
        if a1 <= 0 or a2 <= 0:
            continue
        ratio = a2 / a1
        denominator = t2 - ratio * t1
        if denominator <= 0:
            continue
        estimates.append(((ratio - 1) / denominator, float(min(len(earlier), len(later)))))
    weight = sum(w for _g, w in estimates)
    if not weight:
        return 0.0, 0
    return sum(g * w for g, w in estimates) / weight, len(estimates)


def fit(rows: Iterable[SlotRowLike], days: Iterable[datetime.date], *, working: Working = library_says_working,
        pool_days: float = 3.0, season_prior: float = SEASON_PRIOR) -> DemandParams:
    """Fit the model on the slot facts ``rows`` of the open ``days`` (a day with a row counts as
    open too; every slot of an open day without a row is 0 arrivals). ``pool_days``: the weight of
    the category's profile in a day type's (in days of arrivals); ``season_prior``: the weight of
    factor 1 in a month's factor (in arrivals). ``ValueError`` without any open day."""
    arrivals: dict[tuple[datetime.date, int], list[float]] = {}
    hists: dict[int, list[list[int]]] = defaultdict(list)
    timed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    open_days = set(days)
    for row in rows:
        open_days.add(row.day)
        if row.arrivals:
            key = (row.day, row.category_id)
            if key not in arrivals:
                arrivals[key] = [0.0] * SLOTS_PER_DAY
            arrivals[key][row.slot] += row.arrivals
        if row.services:
            hists[row.category_id].append(list(row.service_hist))
            timed[row.category_id][0] += row.services
            timed[row.category_id][1] += row.service_seconds
    if not open_days:
        raise ValueError("no open day to fit on")
    ordered = sorted(open_days)
    origin = ordered[-1]
    types = {d: day_type(d, working) for d in ordered}
    categories = sorted({c for _d, c in arrivals} | set(hists))
    daily: dict[datetime.date, dict[int, float]] = {d: {} for d in ordered}
    for (d, c), values in arrivals.items():
        daily[d][c] = sum(values)
    by_type: dict[str, list[datetime.date]] = defaultdict(list)
    for d in ordered:
        by_type[types[d]].append(d)
    by_month: dict[int, list[datetime.date]] = defaultdict(list)
    for d in ordered:
        by_month[d.month].append(d)

    season = {c: [1.0] * 12 for c in categories}
    level: dict[int, dict[str, float]] = {c: {} for c in categories}
    trend, pairs = 0.0, 0
    factor = {d: 1.0 for d in ordered}
    for iteration in range(_ITERATIONS):
        for c in categories:
            for t, t_days in by_type.items():
                denominator = sum(season[c][d.month - 1] * factor[d] for d in t_days)
                level[c][t] = sum(daily[d].get(c, 0.0) for d in t_days) / denominator if denominator else 0.0
            for month, m_days in by_month.items():
                denominator = sum(level[c][types[d]] * factor[d] for d in m_days) + season_prior
                season[c][month - 1] = ((sum(daily[d].get(c, 0.0) for d in m_days) + season_prior) / denominator
                                        if denominator else 1.0)
            mean = sum(season[c][d.month - 1] for d in ordered) / len(ordered)
            if mean > 0:
                season[c] = [f / mean if m + 1 in by_month else 1.0 for m, f in enumerate(season[c])]
                level[c] = {t: v * mean for t, v in level[c].items()}
        if iteration % 3 == 0:
            trend, pairs = _year_over_year(daily, types, level, origin)
            factor = {d: _trend_factor(trend, _weeks(d, origin)) for d in ordered}

    slots = {t: sorted({s for d in t_days for c in categories for s, n in enumerate(arrivals.get((d, c), ())) if n})
             for t, t_days in by_type.items()}
    rates: dict[int, dict[str, list[float]]] = {}
    for c in categories:
        pooled = [0.0] * SLOTS_PER_DAY
        for d in ordered:
            for s, n in enumerate(arrivals.get((d, c), ())):
                pooled[s] += n
        per_day = sum(pooled) / len(ordered)
        rates[c] = {}
        for t, t_days in by_type.items():
            counts = [0.0] * SLOTS_PER_DAY
            for d in t_days:
                for s, n in enumerate(arrivals.get((d, c), ())):
                    counts[s] += n
            open_slots = slots[t]
            pool_total = sum(pooled[s] for s in open_slots)
            prior = pool_days * per_day if pool_total else 0.0
            total = sum(counts) + prior
            profile = [0.0] * SLOTS_PER_DAY
            if total:
                for s in open_slots:
                    profile[s] = (counts[s] + (prior * pooled[s] / pool_total if prior else 0.0)) / total
            rates[c][t] = [level[c][t] * p for p in profile]
    service = {c: service_stats(histogram.merge(*hists[c]), *timed[c]) for c in categories if c in timed}
    return DemandParams(history_from=ordered[0], history_to=origin, rates=rates, season=season, trend=trend,
                        trend_origin=origin, trend_pairs=pairs, service=service, slots=slots,
                        days={t: len(t_days) for t, t_days in by_type.items()})


# ---- forecasting -------------------------------------------------------------------------------


def predict(params: DemandParams, day: datetime.date, *, slots: Iterable[int] | None = None,
            working: Working = library_says_working) -> dict[tuple[int, int], float]:
    """Expected arrivals on ``day``: (slot, category id) → arrivals in the slot, for every
    category and the slots with history of the day's type (or the ``slots`` asked for). Raises
    ``NoHistory(day type, slot)`` for a day type never seen, or a slot asked for that it never had."""
    kind = day_type(day, working)
    have = params.slots.get(kind)
    wanted = None if slots is None else list(slots)
    if not have:
        raise NoHistory(kind, wanted[0] if wanted else None)
    if wanted is None:
        wanted = have
    else:
        missing = next((s for s in wanted if s not in have), None)
        if missing is not None:
            raise NoHistory(kind, missing)
    weeks = _weeks(day, params.trend_origin or params.history_to)
    trend = _trend_factor(params.trend, weeks)
    out: dict[tuple[int, int], float] = {}
    for c in sorted(params.rates):
        rates = params.rates[c].get(kind)
        factor = params.season.get(c, [1.0] * 12)[day.month - 1] * trend
        for s in wanted:
            out[s, c] = rates[s] * factor if rates else 0.0
    return out


# ---- forecast error ----------------------------------------------------------------------------


def wape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Weighted absolute percentage error Σ|a − f| / Σa; None when nothing arrived (Σa = 0)."""
    total = sum(actual)
    if not total:
        return None
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / total


def mase(actual: Sequence[float], forecast: Sequence[float], naive: Sequence[float]) -> float | None:
    """Mean absolute error of ``forecast`` over that of the ``naive`` forecast of the same points
    (below 1: better than the naive forecast); None when the naive forecast is exact or no points."""
    error = sum(abs(a - n) for a, n in zip(actual, naive, strict=True))
    if not error:
        return None
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / error


def _scores(points: dict[Any, list[float | None]]) -> dict[str, float | None]:
    """WAPE over all points (actual, forecast, naive), MASE over those with a naive forecast."""
    values = list(points.values())
    with_naive = [p for p in values if p[2] is not None]

    def rounded(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {"wape": rounded(wape([p[0] or 0.0 for p in values], [p[1] or 0.0 for p in values])),
            "mase": rounded(mase([p[0] or 0.0 for p in with_naive], [p[1] or 0.0 for p in with_naive],
                                 [p[2] or 0.0 for p in with_naive])),
            "points": len(values)}


def holdout_error(rows: Sequence[SlotRowLike], days: Iterable[datetime.date], weeks: int, *,
                  working: Working = library_says_working, pool_days: float = 3.0) -> dict[str, Any]:
    """Fit on all but the last ``weeks`` weeks of the history, forecast those, and score: WAPE and
    MASE per category and overall (the categories summed), at slot level (per half-hour) and at
    day level. The naive forecast of a day is the same slot (the day) of the last open day one to
    four weeks earlier (a week earlier unless that day was closed); MASE counts the days that have
    one. A held-out day of a type the fit never saw is skipped (listed). MAPE is not reported: it
    is undefined in empty half-hour slots (issue #15)."""
    open_days = sorted(set(days) | {r.day for r in rows})
    out: dict[str, Any] = {"weeks": weeks, "from": None, "to": None, "days": 0, "skipped": [],
                           "slot": None, "day": None}
    if not open_days:
        return out
    cutoff = open_days[-1] - datetime.timedelta(days=7 * weeks)
    train_days = [d for d in open_days if d <= cutoff]
    test_days = [d for d in open_days if d > cutoff]
    if not train_days or not test_days:
        return out
    params = fit([r for r in rows if r.day <= cutoff], train_days, working=working, pool_days=pool_days)
    actual: dict[datetime.date, dict[tuple[int, int], float]] = defaultdict(dict)
    for r in rows:
        if r.arrivals:
            actual[r.day][r.slot, r.category_id] = actual[r.day].get((r.slot, r.category_id), 0.0) + r.arrivals
    opened = set(open_days)
    slot_cat: dict[tuple[Any, ...], list[float | None]] = {}
    day_cat: dict[tuple[Any, ...], list[float | None]] = {}
    evaluated = []
    for d in test_days:
        try:
            forecast = predict(params, d, working=working)
        except NoHistory:
            out["skipped"].append(d.isoformat())
            continue
        evaluated.append(d)
        before = next((d - datetime.timedelta(days=7 * k) for k in range(1, 5)
                       if d - datetime.timedelta(days=7 * k) in opened), None)
        naive = actual.get(before, {}) if before is not None else None
        keys = set(forecast) | set(actual.get(d, {})) | set(naive or {})
        for key in keys:
            point = [actual[d].get(key, 0.0) if d in actual else 0.0, forecast.get(key, 0.0),
                     None if naive is None else naive.get(key, 0.0)]
            slot_cat[d, *key] = point
            total = day_cat.setdefault((d, key[1]), [0.0, 0.0, None if naive is None else 0.0])
            for i in range(3):
                if point[i] is not None:
                    total[i] = (total[i] or 0.0) + (point[i] or 0.0)
    if not evaluated:
        return out

    def summed(points: dict[tuple[Any, ...], list[float | None]], key: Callable[[tuple[Any, ...]], Any],
               ) -> dict[Any, list[float | None]]:
        acc: dict[Any, list[float | None]] = {}
        for k, p in points.items():
            total = acc.setdefault(key(k), [0.0, 0.0, None if p[2] is None else 0.0])
            for i in range(3):
                if p[i] is not None and total[i] is not None:
                    total[i] = (total[i] or 0.0) + (p[i] or 0.0)
        return acc

    def level(points: dict[tuple[Any, ...], list[float | None]], overall: Callable[[tuple[Any, ...]], Any],
              ) -> dict[str, Any]:
        categories = sorted({k[-1] for k in points})
        return {"overall": _scores(summed(points, overall)),
                "categories": {str(c): _scores({k: p for k, p in points.items() if k[-1] == c}) for c in categories}}

    out.update({"from": evaluated[0].isoformat(), "to": evaluated[-1].isoformat(), "days": len(evaluated),
                "slot": level(slot_cat, lambda k: k[:2]), "day": level(day_cat, lambda k: k[0])})
    return out
