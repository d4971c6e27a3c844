"""数据共享统计 (issue #13 part 6): exchanges per resource, consumer department and month, outcomes
and failures by code, uploads avoided by pre-fill; ECharts (served locally) and an xlsx export
(``core.xlsx``). For system admins (everything) and department admins (their departments as
consumer or provider); anyone else gets 403, anonymous visitors the login page.

Filters: ``from`` and ``to`` months (``YYYY-MM``, inclusive) and one ``department``. A malformed
month is refused with 422 (``statistics_month_invalid``), a department outside the user's scope
with 403 (``sharing_statistics_department_forbidden``); nothing is written either way.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError, PermissionDenied

from .. import permissions as perms
from ..selectors import statistics as stats_selectors

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
        message = _("月份格式应为 YYYY-MM，例如 2017-09。")
        raise DomainError(message, code="statistics_month_invalid", fields={"to" if end else "from": [message]},
                          status=422)
    year, month = int(match[1]), int(match[2])
    return datetime.date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def _filters(user: Any, g: QueryDict) -> tuple[Filters, list[tuple[int, str]]]:
    """The parsed filters and the departments the user may choose; refuses what it may not see."""
    if not stats_selectors.may_see_statistics(user):
        raise PermissionDenied(_("仅系统管理员和部门管理员可以查看数据共享统计。"), code="sharing_statistics_forbidden")
    text = {"from": g.get("from", "")[:7], "to": g.get("to", "")[:7], "department": g.get("department", "")[:12]}
    department = int(text["department"]) if text["department"].isdigit() else None
    first, last = _month(text["from"], end=False), _month(text["to"], end=True)
    departments = stats_selectors.statistics_departments(user)
    if department is not None and not perms.may_read_all_logs(user) and department not in {
        pk for pk, _name in departments
    }:
        raise PermissionDenied(_("您只能查看本部门的数据共享统计。"), code="sharing_statistics_department_forbidden")
    return Filters(first, last, department, text), departments


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "sharing/statistics_error.html", {"error": exc}, status=exc.status)


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """The statistics page: totals, charts, and tables per resource, consumer, month and failure."""
    try:
        f, departments = _filters(request.user, request.GET)
    except DomainError as exc:
        return _error(request, exc)
    stats = stats_selectors.sharing_statistics(request.user, first=f.first, last=f.last,
                                               department_id=f.department_id)
    return render(
        request,
        "sharing/statistics.html",
        {
            "nav": "statistics",
            "s": stats,
            "chart": stats.chart(),
            "labels": [(m, stats_selectors.MEASURE_LABELS[m]) for m in stats_selectors.MEASURES],
            "totals": [(m, stats_selectors.MEASURE_LABELS[m], stats.totals[m]) for m in stats_selectors.MEASURES],
            "f": f.text,
            "department": f.department_id,
            "departments": departments,
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    """The same figures as an xlsx file."""
    try:
        f, _departments = _filters(request.user, request.GET)
    except DomainError as exc:
        return _error(request, exc)
    stats = stats_selectors.sharing_statistics(request.user, first=f.first, last=f.last,
                                               department_id=f.department_id)
    content = stats_selectors.sharing_statistics_xlsx(stats, period=f.period)
    response = HttpResponse(content, content_type=stats_selectors.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="sharing-statistics.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("statistics/", statistics, name="statistics"),
    path("statistics/xlsx/", statistics_xlsx, name="statistics-xlsx"),
]
