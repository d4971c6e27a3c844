"""统计分析 pages (issue #14 part 2): the center's statistics over a period, every chart with its
accessible table, an xlsx export of its series and the same series in the API
(``/api/v1/analytics/statistics/<chart>``). Read from the rollups only (selectors.statistics).

Filters: ``center`` (one the viewer sees), ``month`` (YYYY-MM) or ``start``/``end`` (YYYY-MM-DD).
Refusals are pages with the stable code: 403 ``analytics_statistics_forbidden`` (works at no
center), 404 ``analytics_center_not_found`` / ``analytics_chart_not_found``, 422
``analytics_period_invalid`` / ``analytics_period_reversed`` / ``analytics_period_too_long``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from onewindow.core.errors import DomainError

from ..selectors import statistics as stats


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def scope_of(user: Any, g: QueryDict) -> tuple[stats.Scope, list[Any], dict[str, str]]:
    """The scope asked for by the query string, the centers the viewer may choose, the raw filters."""
    text = {k: g.get(k, "")[:12] for k in ("center", "month", "start", "end")}
    start, end = stats.parse_period(month=text["month"], start=text["start"], end=text["end"],
                                    today=timezone.localdate())
    centers = stats.visible_centers(user)
    center_id = _int(text["center"])
    if text["center"] and center_id is None:
        center_id = 0  # not a number: no such center (404)
    scope = stats.statistics_scope(user, center_id=center_id, start=start, end=end, centers=centers)
    return scope, centers, text


def _error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "analytics/statistics_error.html", {"error": exc}, status=exc.status)


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """The statistics page: every chart of ``stats.CHARTS`` with its table and export link."""
    try:
        scope, centers, text = scope_of(request.user, request.GET)
    except DomainError as exc:
        return _error(request, exc)
    charts = stats.all_charts(scope)
    query = QueryDict(mutable=True)
    query.update({"center": str(scope.center.pk), "start": f"{scope.start:%Y-%m-%d}", "end": f"{scope.end:%Y-%m-%d}"})
    return render(request, "analytics/statistics.html", {
        "scope": scope, "centers": centers, "f": text, "charts": charts,
        "data": {"charts": [c.as_dict() for c in charts]}, "query": query.urlencode(),
        "own_only": scope.clerk_id is not None,
    })


def _xlsx(scope: stats.Scope, charts: list[stats.Chart], filename: str) -> HttpResponse:
    response = HttpResponse(stats.charts_xlsx(charts, scope=scope), content_type=stats.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    """Every chart's series in one workbook (one sheet per chart)."""
    try:
        scope, _centers, _text = scope_of(request.user, request.GET)
    except DomainError as exc:
        return _error(request, exc)
    return _xlsx(scope, stats.all_charts(scope), f"statistics-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.xlsx")


@login_required
@require_GET
def chart_xlsx(request: HttpRequest, chart: str) -> HttpResponse:
    """One chart's series as an xlsx file."""
    try:
        scope, _centers, _text = scope_of(request.user, request.GET)
        one = stats.chart_for(scope, chart)
    except DomainError as exc:
        return _error(request, exc)
    return _xlsx(scope, [one], f"statistics-{one.name}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.xlsx")


urlpatterns: list[URLPattern] = [
    path("statistics/", statistics, name="statistics"),
    path("statistics/xlsx/", statistics_xlsx, name="statistics-xlsx"),
    path("statistics/<slug:chart>/xlsx/", chart_xlsx, name="statistics-chart-xlsx"),
]
