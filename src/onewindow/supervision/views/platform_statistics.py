"""监管平台统计 (issue #12 part 9): draws, entities covered, problems found, joint groups, 双告知
notices, 联合惩戒 listings and 监管预警 per department and month, with ECharts (served locally) and
an xlsx export (``core.xlsx``). For supervision staff and system admins; others get 403.

Filters: ``from`` and ``to`` months (``YYYY-MM``, inclusive) and one department. A malformed month
is refused with 422 (``statistics_month_invalid``); nothing is written either way.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from ..selectors import platform_statistics as stats_selectors
from .common import error_page, require_staff

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Filters:
    first: datetime.date | None
    last: datetime.date | None
    department_id: int | None
    text: dict[str, str]

    @property
    def period(self) -> str:
        return "—".join(v for v in (self.text["from"], self.text["to"]) if v)


def _month(value: str, *, end: bool) -> datetime.date | None:
    if not value:
        return None
    match = MONTH.match(value)
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise DomainError(
            _("月份格式应为 YYYY-MM，例如 2017-09。"),
            code="statistics_month_invalid",
            fields={"from" if not end else "to": [_("月份格式应为 YYYY-MM，例如 2017-09。")]},
            status=422,
        )
    year, month = int(match[1]), int(match[2])
    return datetime.date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def _filters(g: QueryDict) -> Filters:
    text = {"from": g.get("from", "")[:7], "to": g.get("to", "")[:7], "department": g.get("department", "")[:12]}
    department = int(text["department"]) if text["department"].isdigit() else None
    return Filters(_month(text["from"], end=False), _month(text["to"], end=True), department, text)


@login_required
@require_GET
def platform_statistics(request: HttpRequest) -> HttpResponse:
    """The statistics page: totals, per department, per month, and two charts."""
    try:
        require_staff(request.user)
        f = _filters(request.GET)
    except DomainError as exc:
        return error_page(request, exc)
    stats = stats_selectors.platform_statistics(request.user, first=f.first, last=f.last, department_id=f.department_id)
    return render(
        request,
        "supervision/platform_statistics.html",
        {
            "nav": "platform-statistics",
            "s": stats,
            "chart": stats.chart(),
            "labels": [(m, stats_selectors.MEASURE_LABELS[m]) for m in stats_selectors.MEASURES],
            "f": f.text,
            "department": f.department_id,
            "departments": [(pk, name) for pk, name, _counts in stats.departments],
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def platform_statistics_xlsx(request: HttpRequest) -> HttpResponse:
    """The same figures as an xlsx file."""
    try:
        require_staff(request.user)
        f = _filters(request.GET)
    except DomainError as exc:
        return error_page(request, exc)
    stats = stats_selectors.platform_statistics(request.user, first=f.first, last=f.last, department_id=f.department_id)
    content = stats_selectors.platform_statistics_xlsx(stats, period=f.period)
    response = HttpResponse(content, content_type=stats_selectors.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="supervision-platform-statistics.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("statistics/platform/", platform_statistics, name="platform-statistics"),
    path("statistics/platform/xlsx/", platform_statistics_xlsx, name="platform-statistics-xlsx"),
]
