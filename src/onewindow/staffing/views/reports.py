"""``/staffing/reports/``: the weekly report (issue #15 part 6): per day and slot the advice given
against what was done (applied, dismissed, expired) and the waits that resulted, as a table, an
ECharts chart per week (advice and applied per day; mean wait) and an xlsx download
(``/staffing/reports/xlsx/``). The center manager only; anyone else 404."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from onewindow.centers.models import Center
from onewindow.core.errors import DomainError

from .. import reports
from .common import chosen_center, day, error_page, managed, monday

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: HttpRequest) -> tuple[list[Center], Center, datetime.date]:
    centers = managed(request)
    center = chosen_center(request, centers)
    week = day(request.GET.get("week"), "week", required=False) or monday(timezone.localdate())
    return centers, center, monday(week)


def report_chart(report: dict[str, Any]) -> dict[str, Any]:
    days = [d for d in report["days"] if d["slots"]]
    return {"id": "report-chart", "title": gettext("每日建议与等候"),
            "categories": [f"{d['weekday']} {d['date']:%m-%d}" for d in days],
            "axes": [gettext("条"), gettext("分钟")],
            "series": [{"name": gettext("建议数"), "data": [d["total"]["advice"] for d in days]},
                       {"name": gettext("已采纳"), "data": [d["total"]["applied"] for d in days]},
                       {"name": gettext("平均等候（分钟）"), "axis": 1, "type": "line",
                        "data": [d["total"]["mean_wait_minutes"] for d in days]}]}


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    try:
        centers, center, week = _scope(request)
    except DomainError as exc:
        return error_page(request, exc, nav="reports")
    data = reports.weekly_report(center.pk, week)
    return render(request, "staffing/reports.html", {
        "centers": centers, "center": center, "manages": True, "nav": "reports", "week": week, "report": data,
        "earlier": week - datetime.timedelta(days=7), "later": week + datetime.timedelta(days=7),
        "charts": [report_chart(data)]})


@login_required
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    try:
        _centers, center, week = _scope(request)
    except DomainError as exc:
        return error_page(request, exc, nav="reports")
    response = HttpResponse(reports.weekly_report_xlsx(center.pk, week), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="staffing-report-{week:%Y%m%d}.xlsx"'
    return response


urlpatterns: list[URLPattern] = [
    path("reports/", report, name="reports"),
    path("reports/xlsx/", report_xlsx, name="report_xlsx"),
]
