"""统计分析 in the JSON API (issue #14 part 2): ``GET /api/v1/analytics/statistics/{chart}`` returns
one chart's series, the same the page draws and exports (selectors.statistics), for the center
and period asked for (``center``, ``month`` or ``start``/``end``; default this month of the first
center the caller sees). Session or a token of a user with the ``analytics`` scope.

Refusals: 401 no credential; 403 ``analytics_statistics_forbidden`` (works at no center) or
``insufficient_scope``; 404 ``analytics_chart_not_found``, ``analytics_center_not_found``; 422
``analytics_period_invalid``, ``analytics_period_reversed``, ``analytics_period_too_long``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt, NfkcStr

from ..selectors import statistics as stats

router = Router()
SCOPE = "analytics"
MAX_ID = 2**31 - 1


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class MeasureOut(Schema):
    key: str
    label: str


class RowOut(Schema):
    key: str
    label: str
    values: list[float | int | None]


class ChartOut(Schema):
    chart: str
    title: str
    dimension: str
    center: int
    start: str
    end: str
    own_only: bool = Field(description="仅本人经办的数据（工作人员）")
    measures: list[MeasureOut]
    rows: list[RowOut]
    summary: dict[str, float | int | None]


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/statistics/{chart}", auth=session_or_token, response={200: ChartOut, **ERRORS},
            summary="统计图表数据（中心负责人：全中心；工作人员：本人）",
            description="图表：" + "、".join(stats.CHARTS) + "。期间：month=YYYY-MM，或 start、end=YYYY-MM-DD。")
def statistics_chart(request: HttpRequest, chart: str = Path(..., max_length=40),
                     center: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
                     month: NfkcStr = Query("", max_length=7),  # noqa: B008
                     start: NfkcStr = Query("", max_length=10),  # noqa: B008
                     end: NfkcStr = Query("", max_length=10)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, SCOPE)
    first, last = stats.parse_period(month=month, start=start, end=end, today=timezone.localdate())
    scope = stats.statistics_scope(user, center_id=center, start=first, end=last)
    one = stats.chart_for(scope, chart)
    return {**one.as_dict(), "center": scope.center.pk, "start": f"{scope.start:%Y-%m-%d}",
            "end": f"{scope.end:%Y-%m-%d}", "own_only": scope.clerk_id is not None}
