"""统计分析 (issue #14 part 2): the center's figures over a period, read from the rollup tables only
(``analytics.models.facts``; never the raw history), so a page or an API call costs the same
number of SQL statements whatever the history holds.

Charts (``CHARTS``), each one table of rows (a dimension value) by measures, the same series for
the page's chart, its accessible table, its xlsx export and its API:

- volumes (办件量: cases received at the center, over all channels — issue #14's definition; and
  queue tickets taken) by ``items``, ``windows``, ``clerks``, ``channels``, ``hours``, ``weekdays``;
- ``waits`` (taken → first call), ``service_times`` (start → finish) and ``handling_times`` (case
  received → concluded) as distributions: count, median and p90 from the merged fixed-bucket
  histograms (``analytics.histogram``), and the histogram itself;
- ``ratings`` (好差评: count per level, average score, share 满意 and above, bad ratings and their
  follow-ups);
- ``overdue`` (cases received per month, of which overdue);
- ``compare``: the period against the same period one year earlier, with the difference.

Who (``analytics.permissions``): a center's manager (and a system admin) sees the whole center; a
clerk working there sees only the rows where they are the clerk; anyone else no center (a center
they may not see is "not found").
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from onewindow.cases.choices import CaseChannel
from onewindow.catalog.models import ServiceItem
from onewindow.centers import permissions as center_perms
from onewindow.centers.choices import TicketSource
from onewindow.centers.models import Center, Window
from onewindow.core.actors import Actor
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.xlsx import Sheet, workbook_bytes
from onewindow.ratings.choices import RatingLevel

from .. import histogram
from .. import permissions as perms
from ..models import CaseDayFact, RatingDayFact, TicketHourFact

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The longest period one request may cover (days); ``ANALYTICS_STATISTICS_MAX_DAYS``.
DEFAULT_MAX_DAYS = 366
#: 满意 and above (R3.2: 非常满意, 满意).
SATISFIED_LEVELS = (RatingLevel.VERY_SATISFIED, RatingLevel.SATISFIED)

CHART_TITLES: dict[str, Any] = {
    "items": _("按事项的办件量"),
    "windows": _("按窗口的办理量"),
    "clerks": _("按工作人员的办理量"),
    "channels": _("按渠道的办件量和取号量"),
    "hours": _("按时段的取号量"),
    "weekdays": _("按星期的办件量和取号量"),
    "waits": _("等候时间分布"),
    "service_times": _("窗口办理时长分布"),
    "handling_times": _("办件办理时长分布"),
    "ratings": _("评价"),
    "overdue": _("超期办件"),
    "compare": _("与上年同期比较"),
}
CHARTS: tuple[str, ...] = tuple(CHART_TITLES)
WEEKDAYS = (_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五"), _("星期六"), _("星期日"))


def max_days() -> int:
    return int(getattr(settings, "ANALYTICS_STATISTICS_MAX_DAYS", DEFAULT_MAX_DAYS))


@dataclass
class Row:
    key: str
    label: str
    values: list[float | int | None]


@dataclass
class Chart:
    """One chart's series: ``measures`` (key, label) are the columns, ``rows`` the dimension values;
    ``summary`` holds a distribution's count, median and p90 (seconds) or the rating figures."""

    name: str
    title: str
    dimension: str
    measures: list[tuple[str, str]]
    rows: list[Row] = field(default_factory=list)
    summary: dict[str, float | int | None] = field(default_factory=dict)
    summary_labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "chart": self.name, "title": self.title, "dimension": self.dimension,
            "measures": [{"key": k, "label": label} for k, label in self.measures],
            "rows": [{"key": r.key, "label": r.label, "values": r.values} for r in self.rows],
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Scope:
    """What one viewer sees of one center over one period: ``clerk_id`` set for a clerk's own rows."""

    center: Center
    start: datetime.date
    end: datetime.date
    clerk_id: int | None

    @property
    def previous(self) -> Scope:
        """The same period one year earlier (29 February → 28 February)."""
        return Scope(self.center, _year_before(self.start), _year_before(self.end), self.clerk_id)


def _year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


# --------------------------------------------------------------------------- the period asked for
def _bad_date(field_name: str) -> DomainError:
    message = _("日期格式应为 YYYY-MM-DD（月份为 YYYY-MM），例如 2017-09-05。")
    return DomainError(message, code="analytics_period_invalid", fields={field_name: [message]}, status=422)


def parse_period(*, month: str = "", start: str = "", end: str = "",
                 today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The period of a request: ``start``/``end`` (YYYY-MM-DD, both included; either may be left
    out: the month of the other), else a ``month`` (YYYY-MM, the whole month), else this month up
    to ``today``. Malformed input is 422 ``analytics_period_invalid`` naming the field."""
    def day(text: str, name: str) -> datetime.date:
        try:
            return datetime.date.fromisoformat(text.strip()) if len(text.strip()) == 10 else _raise(name)
        except ValueError:
            raise _bad_date(name) from None

    if start or end:
        first = day(start, "start") if start else None
        last = day(end, "end") if end else None
        if first is None and last is not None:
            first = last.replace(day=1)
        if last is None and first is not None:
            last = _month_end(first)
        assert first is not None and last is not None
        return first, last
    if month:
        try:
            first = datetime.date.fromisoformat(f"{month.strip()}-01") if len(month.strip()) == 7 else _raise("month")
        except ValueError:
            raise _bad_date("month") from None
        return first, _month_end(first)
    return today.replace(day=1), today


def _raise(name: str) -> datetime.date:
    raise _bad_date(name)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


# --------------------------------------------------------------------------- who sees which center
def visible_centers(by: Actor) -> list[Center]:
    """The centers whose statistics ``by`` sees (managed in full, or worked at for their own rows)."""
    ids = set(perms.managed_centers(by)) | set(perms.staff_centers(by))
    return list(Center.objects.filter(pk__in=ids).order_by("code"))


def statistics_scope(by: Actor, *, center_id: int | None, start: datetime.date,
                     end: datetime.date, centers: Sequence[Center] | None = None) -> Scope:
    """The scope of a request, or a refusal before anything is read: 403
    ``analytics_statistics_forbidden`` for someone who works at no center, 404
    ``analytics_center_not_found`` for a center not among theirs, 422 ``analytics_period_reversed``
    or ``analytics_period_too_long`` (more than ANALYTICS_STATISTICS_MAX_DAYS days)."""
    if end < start:
        message = _("截止日期不能早于起始日期。")
        raise DomainError(message, code="analytics_period_reversed", fields={"end": [message]}, status=422)
    if (end - start).days + 1 > max_days():
        too_long = str(_("统计期间最长 %(days)s 天，请缩短期间。") % {"days": max_days()})
        raise DomainError(too_long, code="analytics_period_too_long", fields={"end": [too_long]}, status=422)
    shown = list(centers) if centers is not None else visible_centers(by)
    if not shown:
        raise PermissionDenied(_("只有服务中心的工作人员可以查看统计分析。"), code="analytics_statistics_forbidden")
    center = shown[0] if center_id is None else next((c for c in shown if c.pk == center_id), None)
    if center is None:
        raise NotFound(_("找不到该服务中心。"), code="analytics_center_not_found")
    user = center_perms.user_of(by)
    clerk_id = None if perms.can_manage(by, center.pk) else int(user.pk)
    return Scope(center, start, end, clerk_id)


# --------------------------------------------------------------------------- fact querysets
def _tickets(s: Scope) -> QuerySet[TicketHourFact]:
    qs = TicketHourFact.objects.filter(center_id=s.center.pk, day__gte=s.start, day__lte=s.end)
    return qs if s.clerk_id is None else qs.filter(clerk_id=s.clerk_id)


def _cases(s: Scope) -> QuerySet[CaseDayFact]:
    qs = CaseDayFact.objects.filter(center_id=s.center.pk, day__gte=s.start, day__lte=s.end)
    return qs if s.clerk_id is None else qs.filter(clerk_id=s.clerk_id)


def _ratings(s: Scope) -> QuerySet[RatingDayFact]:
    qs = RatingDayFact.objects.filter(center_id=s.center.pk, day__gte=s.start, day__lte=s.end)
    return qs if s.clerk_id is None else qs.filter(clerk_id=s.clerk_id)


def _n(value: Any) -> int:
    return int(value or 0)


def _clerk_label(user: Any) -> str:
    person = getattr(user, "person", None)
    return str(person.name) if person is not None and person.name else str(user.get_username())


# --------------------------------------------------------------------------- volume charts
def _items(s: Scope) -> Chart:
    chart = Chart("items", str(CHART_TITLES["items"]), str(_("事项")),
                  [("received", str(_("收件数"))), ("accepted", str(_("受理数"))), ("concluded", str(_("办结数"))),
                   ("overdue", str(_("超期数")))])
    rows = list(_cases(s).filter(item_id__isnull=False).values("item_id")
                .annotate(received=Sum("received"), accepted=Sum("accepted"), concluded=Sum("concluded"),
                          overdue=Sum("overdue")).order_by("-received", "item_id"))
    names = dict(ServiceItem.objects.filter(pk__in=[r["item_id"] for r in rows]).values_list("pk", "name"))
    chart.rows = [Row(str(r["item_id"]), str(names.get(r["item_id"], r["item_id"])),
                      [_n(r["received"]), _n(r["accepted"]), _n(r["concluded"]), _n(r["overdue"])]) for r in rows]
    return chart


def _windows(s: Scope) -> Chart:
    chart = Chart("windows", str(CHART_TITLES["windows"]), str(_("窗口")),
                  [("served", str(_("办理数"))), ("no_shows", str(_("过号数"))), ("transfers", str(_("转窗数")))])
    rows = list(_tickets(s).filter(window_id__isnull=False).values("window_id")
                .annotate(served=Sum("served"), no_shows=Sum("no_shows"), transfers=Sum("transfers")))
    numbers = dict(Window.objects.filter(pk__in=[r["window_id"] for r in rows]).values_list("pk", "number"))
    rows.sort(key=lambda r: (numbers.get(r["window_id"], 0), r["window_id"]))
    chart.rows = [Row(str(r["window_id"]), str(_("%(n)s号窗口") % {"n": numbers.get(r["window_id"], "?")}),
                      [_n(r["served"]), _n(r["no_shows"]), _n(r["transfers"])]) for r in rows]
    return chart


def _clerks(s: Scope) -> Chart:
    from onewindow.accounts.models import User

    chart = Chart("clerks", str(CHART_TITLES["clerks"]), str(_("工作人员")),
                  [("served", str(_("办理号数"))), ("received", str(_("收件数")))])
    served = dict(_tickets(s).filter(clerk_id__isnull=False).values("clerk_id").annotate(n=Sum("served"))
                  .values_list("clerk_id", "n"))
    received = dict(_cases(s).filter(clerk_id__isnull=False).values("clerk_id").annotate(n=Sum("received"))
                    .values_list("clerk_id", "n"))
    ids = sorted(set(served) | set(received))
    users = {u.pk: u for u in User.objects.filter(pk__in=ids).select_related("person")}
    rows = [Row(str(pk), _clerk_label(users[pk]) if pk in users else str(pk),
                [_n(served.get(pk)), _n(received.get(pk))]) for pk in ids]
    chart.rows = sorted(rows, key=lambda r: (-int(r.values[0] or 0) - int(r.values[1] or 0), r.label))
    return chart


def _channels(s: Scope) -> Chart:
    chart = Chart("channels", str(CHART_TITLES["channels"]), str(_("渠道")),
                  [("received", str(_("收件数"))), ("arrivals", str(_("取号数")))])
    cases = dict(_cases(s).values("channel").annotate(n=Sum("received")).values_list("channel", "n"))
    tickets = dict(_tickets(s).values("source").annotate(n=Sum("arrivals")).values_list("source", "n"))
    case_labels = dict(CaseChannel.choices)
    ticket_labels = dict(TicketSource.choices)
    for code in sorted(set(cases) | set(tickets), key=lambda c: (c not in case_labels, c)):
        label = case_labels.get(code) or ticket_labels.get(code) or code
        chart.rows.append(Row(code, str(label), [_n(cases.get(code)), _n(tickets.get(code))]))
    return chart


def _hours(s: Scope) -> Chart:
    chart = Chart("hours", str(CHART_TITLES["hours"]), str(_("时段")),
                  [("arrivals", str(_("取号数"))), ("served", str(_("办理数")))])
    by_hour = {r["hour"]: r for r in
               _tickets(s).values("hour").annotate(arrivals=Sum("arrivals"), served=Sum("served"))}
    hours = sorted(by_hour)
    if hours:
        chart.rows = [Row(str(h), f"{h:02d}:00", [_n(by_hour.get(h, {}).get("arrivals")),
                                                  _n(by_hour.get(h, {}).get("served"))])
                      for h in range(hours[0], hours[-1] + 1)]
    return chart


def _weekdays(s: Scope) -> Chart:
    chart = Chart("weekdays", str(CHART_TITLES["weekdays"]), str(_("星期")),
                  [("received", str(_("收件数"))), ("arrivals", str(_("取号数")))])
    received: dict[int, int] = defaultdict(int)
    arrivals: dict[int, int] = defaultdict(int)
    # One row per day of the span (bounded by the maximum span), weekday taken in Python so the
    # query is the same on SQLite and PostgreSQL.
    for day, n in _cases(s).values("day").annotate(n=Sum("received")).values_list("day", "n"):
        received[day.weekday()] += _n(n)
    for day, n in _tickets(s).values("day").annotate(n=Sum("arrivals")).values_list("day", "n"):
        arrivals[day.weekday()] += _n(n)
    chart.rows = [Row(str(d + 1), str(WEEKDAYS[d]), [received[d], arrivals[d]]) for d in range(7)]
    return chart


# --------------------------------------------------------------------------- distributions
def _bucket_label(i: int) -> str:
    def fmt(seconds: int) -> str:
        if seconds < 60:
            return str(_("%(n)s秒") % {"n": seconds})
        if seconds < 3600:
            return str(_("%(n)s分") % {"n": seconds // 60})
        if seconds < 86400:
            return str(_("%(n)s小时") % {"n": round(seconds / 3600, 1)}).replace(".0", "")
        return str(_("%(n)s天") % {"n": seconds // 86400})

    low = histogram.EDGES[i]
    if i + 1 >= len(histogram.EDGES):
        return f"≥{fmt(low)}"
    return f"{fmt(low)}–{fmt(histogram.EDGES[i + 1])}"


def distribution(name: str, hists: Iterable[Sequence[int]]) -> Chart:
    """A distribution chart from histograms: one row per bucket up to the last non-empty one, and
    the count, median and p90 in seconds (None when empty)."""
    return _distribution_of(name, histogram.merge(*hists))


def _grouped(qs: QuerySet[Any], column: str) -> Chart:
    """The distribution of a histogram column over ``qs``, grouped by the histogram in SQL first:
    a fact row holds a few events, so a year's hundred thousand rows repeat a few thousand
    distinct histograms, and only those are decoded and merged (weighted by their count)."""
    pairs = qs.order_by().values(column).annotate(rows=Count("pk")).values_list(column, "rows")
    return _distribution_of(CHART_OF_COLUMN[column], histogram.merge_counted(pairs))


def _distribution_of(name: str, merged: list[int]) -> Chart:
    chart = Chart(name, str(CHART_TITLES[name]), str(_("时长")), [("count", str(_("件数")))])
    chart.rows = [Row(str(histogram.EDGES[i]), _bucket_label(i), [n]) for i, n in enumerate(merged)]
    median, p90 = histogram.quantile(merged, 0.5), histogram.quantile(merged, 0.9)
    chart.summary = {"count": histogram.count(merged), "median_seconds": None if median is None else round(median),
                     "p90_seconds": None if p90 is None else round(p90)}
    chart.summary_labels = {"count": str(_("件数")), "median_seconds": str(_("中位数")),
                            "p90_seconds": str(_("90% 分位"))}
    return chart


CHART_OF_COLUMN = {"wait_hist": "waits", "service_hist": "service_times", "handling_hist": "handling_times"}


def _waits(s: Scope) -> Chart:
    return _grouped(_tickets(s).filter(waits__gt=0), "wait_hist")


def _service_times(s: Scope) -> Chart:
    return _grouped(_tickets(s).filter(services__gt=0), "service_hist")


def _handling_times(s: Scope) -> Chart:
    return _grouped(_cases(s).filter(handling__gt=0), "handling_hist")


# --------------------------------------------------------------------------- ratings, overdue, compare
def _rating_totals(s: Scope) -> dict[str, Any]:
    totals = _ratings(s).aggregate(ratings=Sum("ratings"), score=Sum("score_total"), bad=Sum("bad"),
                                   followups=Sum("followups"), closed=Sum("followups_closed"),
                                   overdue=Sum("followups_overdue"))
    return {k: _n(v) for k, v in totals.items()}


def _ratings_chart(s: Scope) -> Chart:
    chart = Chart("ratings", str(CHART_TITLES["ratings"]), str(_("评价等级")), [("ratings", str(_("评价数")))])
    levels: dict[str, int] = defaultdict(int)
    totals = {"ratings": 0, "score": 0, "bad": 0, "followups": 0, "closed": 0, "overdue": 0}
    for row in _ratings(s).values("levels", "ratings", "score_total", "bad", "followups", "followups_closed",
                                  "followups_overdue"):
        for level, n in (row["levels"] or {}).items():
            levels[str(level)] += _n(n)
        totals["ratings"] += row["ratings"]
        totals["score"] += row["score_total"]
        totals["bad"] += row["bad"]
        totals["followups"] += row["followups"]
        totals["closed"] += row["followups_closed"]
        totals["overdue"] += row["followups_overdue"]
    chart.rows = [Row(str(level.value), str(level.label), [levels[str(level.value)]]) for level in RatingLevel]
    count = totals["ratings"]
    satisfied = sum(levels[str(level.value)] for level in SATISFIED_LEVELS)
    chart.summary = {
        "count": count,
        "average_score": round(totals["score"] / count, 2) if count else None,
        "satisfied_share": round(satisfied / count, 4) if count else None,
        "bad": totals["bad"], "followups": totals["followups"], "followups_closed": totals["closed"],
        "followups_overdue": totals["overdue"],
    }
    chart.summary_labels = {"count": str(_("评价数")), "average_score": str(_("平均分")),
                            "satisfied_share": str(_("满意及以上占比")), "bad": str(_("差评数")),
                            "followups": str(_("回访数")), "followups_closed": str(_("已办结回访")),
                            "followups_overdue": str(_("超期回访"))}
    return chart


def _overdue(s: Scope) -> Chart:
    chart = Chart("overdue", str(CHART_TITLES["overdue"]), str(_("月份")),
                  [("received", str(_("收件数"))), ("overdue", str(_("超期数"))), ("share", str(_("超期率")))])
    rows = (_cases(s).annotate(month=TruncMonth("day")).values("month")
            .annotate(received=Sum("received"), overdue=Sum("overdue")).order_by("month"))
    for r in rows:
        received, overdue = _n(r["received"]), _n(r["overdue"])
        month = f"{r['month']:%Y-%m}"
        chart.rows.append(Row(month, month, [received, overdue, round(overdue / received, 4) if received else None]))
    total_received = sum(int(r.values[0] or 0) for r in chart.rows)
    total_overdue = sum(int(r.values[1] or 0) for r in chart.rows)
    chart.summary = {"received": total_received, "overdue": total_overdue}
    chart.summary_labels = {"received": str(_("收件数")), "overdue": str(_("超期数"))}
    return chart


def period_totals(s: Scope) -> dict[str, int | float | None]:
    """The headline figures of a period (three statements): cases received, accepted, concluded,
    overdue; tickets taken and served; ratings, bad ratings, the share 满意 and above."""
    cases = _cases(s).aggregate(received=Sum("received"), accepted=Sum("accepted"), concluded=Sum("concluded"),
                                overdue=Sum("overdue"))
    tickets = _tickets(s).aggregate(arrivals=Sum("arrivals"), served=Sum("served"))
    ratings = _rating_totals(s)
    out: dict[str, int | float | None] = {k: _n(v) for k, v in {**cases, **tickets}.items()}
    out["ratings"] = ratings["ratings"]
    out["bad"] = ratings["bad"]
    out["average_score"] = round(ratings["score"] / ratings["ratings"], 2) if ratings["ratings"] else None
    return out


TOTAL_LABELS: dict[str, Any] = {
    "received": _("收件数"), "accepted": _("受理数"), "concluded": _("办结数"), "overdue": _("超期数"),
    "arrivals": _("取号数"), "served": _("办理号数"), "ratings": _("评价数"), "bad": _("差评数"),
    "average_score": _("平均分"),
}


def _compare(s: Scope) -> Chart:
    before = s.previous
    chart = Chart("compare", str(CHART_TITLES["compare"]), str(_("指标")),
                  [("current", f"{s.start:%Y-%m-%d}—{s.end:%Y-%m-%d}"),
                   ("previous", f"{before.start:%Y-%m-%d}—{before.end:%Y-%m-%d}"),
                   ("difference", str(_("差值")))])
    now, then = period_totals(s), period_totals(before)
    for key, label in TOTAL_LABELS.items():
        a, b = now[key], then[key]
        diff = None if a is None or b is None else round(a - b, 2)
        chart.rows.append(Row(key, str(label), [a, b, diff]))
    return chart


_BUILDERS = {
    "items": _items, "windows": _windows, "clerks": _clerks, "channels": _channels, "hours": _hours,
    "weekdays": _weekdays, "waits": _waits, "service_times": _service_times, "handling_times": _handling_times,
    "ratings": _ratings_chart, "overdue": _overdue, "compare": _compare,
}


def chart_for(scope: Scope, name: str) -> Chart:
    """One chart's series (404 ``analytics_chart_not_found`` for a name not in ``CHARTS``)."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotFound(_("没有这个统计图表。"), code="analytics_chart_not_found")
    return builder(scope)


def all_charts(scope: Scope) -> list[Chart]:
    """Every chart of the statistics page, in page order."""
    return [chart_for(scope, name) for name in CHARTS]


def month_summary(by: Actor, *, center_id: int, today: datetime.date) -> dict[str, int | float | None]:
    """This month's headline figures (1st to today) for the management home, in the viewer's scope."""
    scope = statistics_scope(by, center_id=center_id, start=today.replace(day=1), end=today)
    return period_totals(scope)


def charts_xlsx(charts: Sequence[Chart], *, scope: Scope) -> bytes:
    """The charts' series as an xlsx workbook, one sheet per chart (summary rows as its footer)."""
    period = f"{scope.start:%Y-%m-%d}—{scope.end:%Y-%m-%d}"
    sheets = []
    for chart in charts:
        footer: list[Any] = []
        for key, value in chart.summary.items():
            footer += [chart.summary_labels.get(key, key), value]
        sheets.append(Sheet(name=chart.title, title=f"{scope.center.name} {chart.title} {period}",
                            headers=[chart.dimension, *[label for _k, label in chart.measures]],
                            rows=[[r.label, *r.values] for r in chart.rows], footer=footer,
                            widths=[28] + [14] * len(chart.measures)))
    return workbook_bytes(sheets)

