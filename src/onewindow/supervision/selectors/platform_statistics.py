"""Platform statistics of supervision per department and month (issue #12 part 9), counted from the
rows (one GROUP BY per measure, whatever the number of rows):

- ``draws``: draw plans drawn (drawn or closed; a cancelled plan drew nothing), by the plan's
  (lead) department and the month of the draw (双随机, DOMAIN.md R4.1);
- ``entities``: distinct entities those draws cover (their inspections), same department and month;
- ``problems``: inspections where a department recorded a result other than 未发现问题, by the
  result's department and the month it was recorded;
- ``joint_groups``: 联合检查组 of joint plans (distinct plan and group number), by the lead
  department and the month of the draw (DOMAIN.md R4.3);
- ``notices``: 双告知 tasks received by a department, by the month of the notice (DOMAIN.md R5.1);
- ``sanctions``: 联合惩戒 listings by listing department and month listed (DOMAIN.md R5.2);
- ``alerts``: 监管预警 by owner department and month raised.

Who: supervision staff of any department and system admins (platform-wide figures, 信息共享);
anyone else gets nothing.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import Department
from onewindow.market.models import SanctionListing

from .. import permissions as perms
from ..choices import DrawPlanKind, DrawPlanStatus, ResultOutcome
from ..models import Alert, DrawPlan, DualNoticeTask, Inspection, InspectionResult

MEASURES: tuple[str, ...] = ("draws", "entities", "problems", "joint_groups", "notices", "sanctions", "alerts")
MEASURE_LABELS: dict[str, Any] = {
    "draws": _("抽查任务"),
    "entities": _("抽查主体"),
    "problems": _("发现问题"),
    "joint_groups": _("联合检查组"),
    "notices": _("双告知"),
    "sanctions": _("联合惩戒"),
    "alerts": _("监管预警"),
}
DRAWN = (DrawPlanStatus.DRAWN, DrawPlanStatus.CLOSED)


def month_key(value: datetime.date | datetime.datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


@dataclass
class StatisticsRow:
    department_id: int
    department: str
    month: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MEASURES, 0))


@dataclass
class PlatformStatistics:
    """The counts per (department, month), per department, per month and in total."""

    rows: list[StatisticsRow]
    departments: list[tuple[int, str, dict[str, int]]]
    months: list[tuple[str, dict[str, int]]]
    totals: dict[str, int]

    def chart(self) -> dict[str, Any]:
        """The data the page's ECharts script reads (json_script)."""
        return {
            "measures": [[m, str(MEASURE_LABELS[m])] for m in MEASURES],
            "months": [m for m, _counts in self.months],
            "by_month": {m: [counts[m] for _month, counts in self.months] for m in MEASURES},
            "departments": [name for _pk, name, _counts in self.departments],
            "by_department": {m: [counts[m] for _pk, _name, counts in self.departments] for m in MEASURES},
        }


#: The lookups that are datetimes (compared with local midnights, not dates).
DATETIME_LOOKUPS = frozenset({"drawn_at", "plan__drawn_at", "recorded_at", "raised_at"})


def _bound(lookup: str, day: datetime.date) -> datetime.date | datetime.datetime:
    if lookup in DATETIME_LOOKUPS:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return day


def _in(qs: QuerySet[Any], lookup: str, first: datetime.date | None, last: datetime.date | None) -> QuerySet[Any]:
    if first is not None:
        qs = qs.filter(**{f"{lookup}__gte": _bound(lookup, first)})
    if last is not None:
        qs = qs.filter(**{f"{lookup}__lt": _bound(lookup, last + datetime.timedelta(days=1))})
    return qs


def _grouped(qs: QuerySet[Any], department: str, when: str, count: Any) -> Iterable[tuple[int, str, int]]:
    rows = qs.order_by().annotate(m=TruncMonth(when)).values(department, "m").annotate(n=count)
    for r in rows:
        if r[department] is not None and r["m"] is not None:
            yield r[department], month_key(r["m"]), r["n"]


def _joint_groups(first: datetime.date | None, last: datetime.date | None) -> Iterable[tuple[int, str, int]]:
    qs = _in(
        Inspection.objects.filter(plan__kind=DrawPlanKind.JOINT, plan__status__in=DRAWN), "plan__drawn_at", first, last
    )
    groups = (
        qs.order_by()
        .annotate(m=TruncMonth("plan__drawn_at"))
        .values_list("plan__department_id", "m", "plan_id", "group_number")
        .distinct()
    )
    counted: dict[tuple[int, str], int] = defaultdict(int)
    for department_id, month, _plan, _group in groups:
        if month is not None:
            counted[(department_id, month_key(month))] += 1
    return ((d, m, n) for (d, m), n in counted.items())


def platform_statistics(
    user: Any,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    department_id: int | None = None,
) -> PlatformStatistics:
    """The counts of :data:`MEASURES` per department and month for dates ``first``..``last``
    (inclusive; all when not given), of one department when ``department_id`` is given; empty
    for anyone but supervision staff and system admins."""
    if not perms.is_supervision_staff(user):
        return PlatformStatistics([], [], [], dict.fromkeys(MEASURES, 0))
    sources: dict[str, Iterable[tuple[int, str, int]]] = {
        "draws": _grouped(
            _in(DrawPlan.objects.filter(status__in=DRAWN), "drawn_at", first, last),
            "department_id",
            "drawn_at",
            Count("id"),
        ),
        "entities": _grouped(
            _in(Inspection.objects.filter(plan__status__in=DRAWN), "plan__drawn_at", first, last),
            "plan__department_id",
            "plan__drawn_at",
            Count("organization_id", distinct=True),
        ),
        "problems": _grouped(
            _in(InspectionResult.objects.filter(~Q(outcome=ResultOutcome.NO_PROBLEM)), "recorded_at", first, last),
            "department_id",
            "recorded_at",
            Count("inspection_id", distinct=True),
        ),
        "joint_groups": _joint_groups(first, last),
        "notices": _grouped(
            _in(DualNoticeTask.objects.filter(department__isnull=False), "notified_on", first, last),
            "department_id",
            "notified_on",
            Count("id"),
        ),
        "sanctions": _grouped(
            _in(SanctionListing.objects.all(), "listed_on", first, last), "department_id", "listed_on", Count("id")
        ),
        "alerts": _grouped(
            _in(Alert.objects.all(), "raised_at", first, last), "department_id", "raised_at", Count("id")
        ),
    }
    cells: dict[tuple[int, str], dict[str, int]] = {}
    for measure, counted in sources.items():
        for dept, month, n in counted:
            if department_id is not None and dept != department_id:
                continue
            cell = cells.setdefault((dept, month), dict.fromkeys(MEASURES, 0))
            cell[measure] += n
    known = Department.objects.filter(pk__in={d for d, _m in cells}).values_list("pk", "name", "code")
    names = {pk: name for pk, name, _code in known}
    codes = {pk: code for pk, _name, code in known}
    ordered = sorted(cells.items(), key=lambda kv: (codes.get(kv[0][0], ""), kv[0][1]))
    rows = [StatisticsRow(d, names.get(d, ""), m, counts) for (d, m), counts in ordered]
    per_dept: dict[int, dict[str, int]] = {}
    per_month: dict[str, dict[str, int]] = {}
    totals = dict.fromkeys(MEASURES, 0)
    for row in rows:
        d = per_dept.setdefault(row.department_id, dict.fromkeys(MEASURES, 0))
        mo = per_month.setdefault(row.month, dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            d[m] += row.counts[m]
            mo[m] += row.counts[m]
            totals[m] += row.counts[m]
    departments = [(pk, names.get(pk, ""), counts) for pk, counts in per_dept.items()]
    return PlatformStatistics(
        rows=rows,
        departments=departments,
        months=sorted(per_month.items()),
        totals=totals,
    )


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def platform_statistics_xlsx(stats: PlatformStatistics, *, period: str = "") -> bytes:
    """The statistics as an xlsx workbook (``core.xlsx``: every string a text cell): one sheet per
    department and month, one per department, one per month, each with a total row. Small (one row
    per department and month), so it is made inline; no export job."""
    from onewindow.core.xlsx import Sheet, workbook_bytes

    labels = [str(MEASURE_LABELS[m]) for m in MEASURES]
    total = [str(_("合计"))]
    title = str(_("监管平台统计")) + (f"（{period}）" if period else "")
    sheets = [
        Sheet(
            name=str(_("按部门和月份")),
            title=title,
            headers=[str(_("部门")), str(_("月份")), *labels],
            rows=[[r.department, r.month, *(r.counts[m] for m in MEASURES)] for r in stats.rows],
            footer=[*total, "", *(stats.totals[m] for m in MEASURES)],
            widths=[36, 10, *([12] * len(MEASURES))],
        ),
        Sheet(
            name=str(_("按部门")),
            title=title,
            headers=[str(_("部门")), *labels],
            rows=[[name, *(counts[m] for m in MEASURES)] for _pk, name, counts in stats.departments],
            footer=[*total, *(stats.totals[m] for m in MEASURES)],
            widths=[36, *([12] * len(MEASURES))],
        ),
        Sheet(
            name=str(_("按月份")),
            title=title,
            headers=[str(_("月份")), *labels],
            rows=[[month, *(counts[m] for m in MEASURES)] for month, counts in stats.months],
            footer=[*total, *(stats.totals[m] for m in MEASURES)],
            widths=[10, *([12] * len(MEASURES))],
        ),
    ]
    return workbook_bytes(sheets)
