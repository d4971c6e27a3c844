"""绩效考核 in the JSON API (issue #14 part 3):

- ``GET /api/v1/analytics/appraisal?center=&month=YYYY-MM`` — the month's figures per clerk and
  window with the part scores, the score, the weights and the rules (default: last month of the
  first center the caller sees). A manager sees the center; a clerk their own row only.
- ``POST /api/v1/analytics/appraisal/schemes`` — a new scheme of the center (manager) valid from a
  month: ``{center, valid_from: "YYYY-MM", weights: {measure: 0..100}, rules}``; 201.

Session or a token of a user with the ``analytics`` scope. Refusals: 401 no credential; 403
``analytics_appraisal_forbidden`` (works at no center), ``analytics_scheme_forbidden`` (a clerk),
``insufficient_scope``; 404 ``analytics_center_not_found`` (another center, as if it did not
exist); 409 ``analytics_scheme_exists``; 422 ``analytics_month_invalid``, ``analytics_scheme_invalid``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from onewindow.accounts.api_auth import require_user, session_or_token
from onewindow.core.normalize import NfkcInt, NfkcStr

from ..selectors import appraisal as selectors
from ..services.appraisal import appraisal_scheme_save

router = Router()
SCOPE = "analytics"
MAX_ID = 2**31 - 1


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class RowOut(Schema):
    id: int
    name: str
    served: int
    accepted: int | None
    median_minutes: float | None
    p90_minutes: float | None
    on_duty_hours: float
    effective_share: float | None = Field(description="有效受理时长占比（%）")
    ratings: int
    average_level: float | None
    bad: int
    followups: int
    followups_closed: int
    followups_overdue: int
    overdue: int | None
    parts: dict[str, float | None]
    score: float | None


class RuleOut(Schema):
    measure: str
    label: str
    weight: int
    rule: str


class AppraisalOut(Schema):
    center: int
    month: str
    own_only: bool = Field(description="仅本人的考核数据（工作人员）")
    scheme_valid_from: str | None
    scheme_rules: str
    rules: list[RuleOut]
    clerks: list[RowOut]
    windows: list[RowOut]


class SchemeIn(Schema):
    center: NfkcInt = Field(..., ge=1, le=MAX_ID)
    valid_from: NfkcStr = Field(..., max_length=7, description="YYYY-MM")
    weights: dict[str, NfkcInt]
    rules: str = Field("", max_length=2000)


class SchemeOut(Schema):
    id: int
    center: int
    valid_from: str
    weights: dict[str, int]
    rules: str


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _row(r: selectors.Row) -> dict[str, Any]:
    return {"id": r.key, "name": r.name, "served": r.served, "accepted": r.accepted,
            "median_minutes": r.median_minutes, "p90_minutes": r.p90_minutes, "on_duty_hours": r.on_duty_hours,
            "effective_share": r.effective_share, "ratings": r.ratings, "average_level": r.average_level,
            "bad": r.bad, "followups": r.followups, "followups_closed": r.followups_closed,
            "followups_overdue": r.followups_overdue, "overdue": r.overdue, "parts": r.parts, "score": r.score}


@router.get("/appraisal", auth=session_or_token, response={200: AppraisalOut, **ERRORS},
            summary="绩效考核月度数据（中心负责人：全中心；工作人员：本人）",
            description="month=YYYY-MM（默认上月）；center=中心编号（默认第一个可见中心）。")
def appraisal(request: HttpRequest, center: NfkcInt | None = Query(None, ge=1, le=MAX_ID),  # noqa: B008
              month: NfkcStr = Query("", max_length=7)) -> dict[str, Any]:  # noqa: B008
    user = require_user(request, SCOPE)
    first = selectors.parse_month(month, today=timezone.localdate())
    one = selectors.appraisal_for(user, center_id=center, month=first)
    return {"center": one.center.pk, "month": f"{one.month:%Y-%m}", "own_only": one.own_only,
            "scheme_valid_from": f"{one.scheme.valid_from:%Y-%m}" if one.scheme else None,
            "scheme_rules": one.scheme_rules,
            "rules": [{"measure": m, "label": str(label), "weight": w, "rule": str(rule)}
                      for m, label, w, rule in one.rules],
            "clerks": [_row(r) for r in one.clerks], "windows": [_row(r) for r in one.windows]}


@router.post("/appraisal/schemes", auth=session_or_token, response={201: SchemeOut, **ERRORS, 409: ErrorOut},
             summary="设置考核方案（中心负责人，自某月起适用）",
             description="weights 的指标：" + "、".join(selectors.MEASURES) + "；每项 0–100 的整数。")
def scheme_save(request: HttpRequest, payload: SchemeIn) -> Status[SchemeOut]:
    user = require_user(request, SCOPE)
    valid_from = selectors.parse_month(payload.valid_from or "x", today=timezone.localdate(), field_name="valid_from")
    scheme = appraisal_scheme_save(by=user, center_id=payload.center, valid_from=valid_from,
                                   weights=dict(payload.weights), rules=payload.rules)
    return Status(201, SchemeOut(id=scheme.pk, center=scheme.center_id, valid_from=f"{scheme.valid_from:%Y-%m}",
                                 weights=scheme.weights, rules=scheme.rules))
