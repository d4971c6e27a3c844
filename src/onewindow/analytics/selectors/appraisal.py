"""绩效考核 (appraisal, issue #14 part 3): a center's monthly figures per clerk and per window, read
from the rollups only (TicketHourFact, CaseDayFact, RatingDayFact, DutyDayFact), with the weighted
score of the scheme valid that month (``AppraisalScheme``; without one, the default weights of
``settings.ANALYTICS_APPRAISAL_WEIGHTS``).

Who sees what (analytics.permissions): the center's manager (and a system admin) every clerk and
window of the center; a clerk of the center only their own row (no window rows); anyone else —
another center's manager included — 404 ``analytics_center_not_found``, as if the center did not
exist. Someone who works at no center: 403 ``analytics_appraisal_forbidden``.

The measures (the rules shown beside the figures, ``RULES``):
- ``served`` tickets served (办结的排队号) — TicketHourFact.served of the clerk or window;
- ``accepted`` cases accepted by the clerk (CaseDayFact.accepted, cases received that month at
  the center); windows have none (cases are not tied to a window);
- median and p90 service time (叫号办理时长: start → finish) from the merged service histograms;
- ``effective_share`` 有效受理时长 (seed): time serving tickets ÷ time on duty (DutyDayFact;
  on duty = sign-in → sign-out or close, less pauses);
- ratings, the average level (1–5), bad ratings (差评: levels 1–2), their follow-ups and the
  follow-ups closed and overdue (RatingDayFact);
- ``overdue`` cases accepted that month whose deadline has passed (CaseDayFact.overdue).

The score (0–100) is the weighted mean of the part scores (each 0–100): ``served`` and
``accepted`` relative to the best of the center that month (best = 100); ``effective_share`` the
share in percent (at most 100); ``satisfaction`` the average level ÷ 5; ``followup`` closed
follow-ups ÷ bad ratings (100 without bad ratings); ``on_time`` 100 × (1 − overdue ÷ accepted).
A part without data (no time on duty, no ratings, no accepted cases) is left out and the weights
of the others count in full.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from onewindow.centers.models import Center, Window
from onewindow.centers.selectors import user_name
from onewindow.core.actors import Actor
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import histogram
from .. import permissions as perms
from ..models import AppraisalScheme, CaseDayFact, DutyDayFact, RatingDayFact, TicketHourFact

#: The weighted parts of the score, in display order.
MEASURES: tuple[str, ...] = ("served", "accepted", "effective_share", "satisfaction", "followup", "on_time")
MEASURE_LABELS: dict[str, Any] = {
    "served": _("办理号数"), "accepted": _("受理办件数"), "effective_share": _("有效受理时长占比"),
    "satisfaction": _("满意度"), "followup": _("差评回访办结率"), "on_time": _("按时办结率"),
}
RULES: dict[str, Any] = {
    "served": _("本月办结的排队号数，以本中心当月最多者为100分折算。"),
    "accepted": _("本月受理的办件数，以本中心当月最多者为100分折算；窗口不计此项。"),
    "effective_share": _("办理排队号的时长 ÷ 在岗时长（上岗签到至离岗签退或关窗，扣除暂停），"
                         "按百分比计分，最高100分。"),
    "satisfaction": _("好差评平均等级 ÷ 5 × 100（非常满意为5，非常不满意为1）。"),
    "followup": _("已办结的差评回访 ÷ 差评数 × 100；没有差评记100分。"),
    "on_time": _("100 ×（1 − 超期办件 ÷ 受理办件）；窗口不计此项。"),
}
NO_DATA_RULE = _("某项没有数据（无在岗记录、无评价、无受理办件）时不计入，其余各项按权重折算。")
SERVICE_RULE = _("办理时长为叫号后开始办理至办结的时长，中位数与P90由汇总的时长分布计算（精确到分布区间内插）。")


#: The weights when neither a scheme nor ANALYTICS_APPRAISAL_WEIGHTS says otherwise.
DEFAULT_WEIGHTS: dict[str, int] = {"served": 25, "accepted": 15, "effective_share": 20, "satisfaction": 20,
                                   "followup": 10, "on_time": 10}


def default_weights() -> dict[str, int]:
    """ANALYTICS_APPRAISAL_WEIGHTS (measure → weight; unknown measures dropped), else DEFAULT_WEIGHTS."""
    configured: Mapping[str, Any] = getattr(settings, "ANALYTICS_APPRAISAL_WEIGHTS", None) or DEFAULT_WEIGHTS
    return {m: int(configured.get(m, 0)) for m in MEASURES}


@dataclass
class Row:
    """One clerk's or window's month."""

    key: int
    name: str
    served: int = 0
    service_hist: list[int] = field(default_factory=list)
    accepted: int | None = 0
    overdue: int | None = 0
    on_duty_seconds: int = 0
    serving_seconds: int = 0
    ratings: int = 0
    score_total: int = 0
    bad: int = 0
    followups: int = 0
    followups_closed: int = 0
    followups_overdue: int = 0
    parts: dict[str, float | None] = field(default_factory=dict)
    score: float | None = None

    @property
    def median_minutes(self) -> float | None:
        value = histogram.quantile(self.service_hist, 0.5)
        return None if value is None else round(value / 60, 1)

    @property
    def p90_minutes(self) -> float | None:
        value = histogram.quantile(self.service_hist, 0.9)
        return None if value is None else round(value / 60, 1)

    @property
    def effective_share(self) -> float | None:
        """Serving ÷ on duty, in percent (one decimal); None without time on duty."""
        return round(100 * self.serving_seconds / self.on_duty_seconds, 1) if self.on_duty_seconds else None

    @property
    def on_duty_hours(self) -> float:
        return round(self.on_duty_seconds / 3600, 1)

    @property
    def average_level(self) -> float | None:
        return round(self.score_total / self.ratings, 2) if self.ratings else None


@dataclass
class Appraisal:
    center: Center
    month: datetime.date
    weights: dict[str, int]
    scheme: AppraisalScheme | None
    own_only: bool
    clerks: list[Row]
    windows: list[Row]

    @property
    def rules(self) -> list[tuple[str, Any, int, Any]]:
        """(measure, label, weight, how it is computed) — shown beside the figures."""
        return [(m, MEASURE_LABELS[m], self.weights.get(m, 0), RULES[m]) for m in MEASURES]

    @property
    def scheme_rules(self) -> str:
        return self.scheme.rules if self.scheme is not None else ""


def parse_month(text: str, *, today: datetime.date, field_name: str = "month") -> datetime.date:
    """``YYYY-MM`` → its first day; empty → last month. 422 ``analytics_month_invalid`` naming
    ``field_name``."""
    text = (text or "").strip()
    if not text:
        return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    try:
        if len(text) != 7:
            raise ValueError(text)
        month = datetime.date.fromisoformat(f"{text}-01")
    except ValueError:
        message = _("月份格式应为 YYYY-MM，例如 2017-09。")
        raise DomainError(message, code="analytics_month_invalid", status=422,
                          fields={field_name: [message]}) from None
    if month.year < 2000:
        message = _("月份格式应为 YYYY-MM，例如 2017-09。")
        raise DomainError(message, code="analytics_month_invalid", status=422, fields={field_name: [message]})
    return month


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def appraisal_centers(by: Actor) -> list[Center]:
    """The centers whose appraisal ``by`` sees (managed in full, or worked at for their own row)."""
    ids = set(perms.managed_centers(by)) | set(perms.staff_centers(by))
    return list(Center.objects.filter(pk__in=ids).order_by("code"))


def appraisal_center(by: Actor, center_id: Any) -> tuple[Center, bool]:
    """The center asked for (default: the first of the viewer's) and whether only the viewer's own
    row is shown. 403 analytics_appraisal_forbidden; 404 analytics_center_not_found."""
    centers = appraisal_centers(by)
    if not centers:
        raise PermissionDenied(_("只有服务中心的工作人员可以查看绩效考核。"), code="analytics_appraisal_forbidden")
    if center_id in (None, ""):
        center = centers[0]
    else:
        found = [c for c in centers if str(c.pk) == str(center_id).strip()]
        if not found:
            raise NotFound(_("找不到该服务中心。"), code="analytics_center_not_found")
        center = found[0]
    return center, not perms.can_manage(by, center.pk)


def scheme_for(center_id: int, month: datetime.date) -> AppraisalScheme | None:
    """The scheme valid in ``month``: the latest one valid from that month or before."""
    return (AppraisalScheme.objects.filter(center_id=center_id, valid_from__lte=month)
            .order_by("-valid_from").first())


def schemes_of(center_id: int) -> list[AppraisalScheme]:
    return list(AppraisalScheme.objects.filter(center_id=center_id).select_related("created_by")
                .order_by("-valid_from"))


def _rows(facts: QuerySet[Any], key: str) -> Iterable[dict[str, Any]]:
    return facts.exclude(**{f"{key}__isnull": True}).values(key, *_FIELDS[facts.model])


_FIELDS: dict[type[Model], tuple[str, ...]] = {
    TicketHourFact: ("served", "service_hist"),
    CaseDayFact: ("accepted", "overdue"),
    DutyDayFact: ("on_duty_seconds", "serving_seconds"),
    RatingDayFact: ("ratings", "score_total", "bad", "followups", "followups_closed", "followups_overdue"),
}


def _collect(rows: dict[int, Row], make: Any, facts: QuerySet[Any], key: str) -> None:
    for values in _rows(facts, key):
        row = rows.get(values[key])
        if row is None:
            row = rows[values[key]] = make(values[key])
        for name, value in values.items():
            if name == key:
                continue
            if name == "service_hist":
                row.service_hist = histogram.merge(row.service_hist, value or [])
            else:
                setattr(row, name, (getattr(row, name) or 0) + (value or 0))


def _score(rows: list[Row], weights: dict[str, int], *, with_cases: bool) -> None:
    best_served = max((r.served for r in rows), default=0)
    best_accepted = max((r.accepted or 0 for r in rows), default=0)
    for r in rows:
        share = r.effective_share
        average = r.average_level
        parts: dict[str, float | None] = {
            "served": 100 * r.served / best_served if best_served else None,
            "accepted": (100 * (r.accepted or 0) / best_accepted if best_accepted else None) if with_cases else None,
            "effective_share": min(100.0, share) if share is not None else None,
            "satisfaction": 100 * average / 5 if average is not None else None,
            "followup": (100 * r.followups_closed / r.bad if r.bad else 100.0) if r.ratings else None,
            "on_time": (100 * (1 - (r.overdue or 0) / r.accepted) if r.accepted else None) if with_cases else None,
        }
        r.parts = {m: None if v is None else round(max(0.0, v), 1) for m, v in parts.items()}
        counted = [(weights.get(m, 0), v) for m, v in parts.items() if v is not None and weights.get(m, 0) > 0]
        total = sum(w for w, _v in counted)
        r.score = round(sum(w * v for w, v in counted) / total, 1) if total else None


def appraisal_for(by: Actor, *, center_id: Any = None, month: datetime.date) -> Appraisal:
    """The month's appraisal of a center as ``by`` may see it (see the module's rules)."""
    center, own_only = appraisal_center(by, center_id)
    first, last = month, month_end(month)
    span = Q(center_id=center.pk, day__gte=first, day__lte=last)
    scheme = scheme_for(center.pk, month)
    weights = {m: int(scheme.weights.get(m, 0)) for m in MEASURES} if scheme is not None else default_weights()
    viewer = getattr(by, "pk", None)

    from onewindow.accounts.models import User

    clerks: dict[int, Row] = {}

    def clerk(pk: int) -> Row:
        user = User.objects.select_related("person").filter(pk=pk).first()
        return Row(key=pk, name=user_name(user) if user is not None else str(pk))

    only = Q(clerk_id=viewer) if own_only else Q()
    _collect(clerks, clerk, TicketHourFact.objects.filter(span, only), "clerk_id")
    _collect(clerks, clerk, CaseDayFact.objects.filter(span, only), "clerk_id")
    _collect(clerks, clerk, DutyDayFact.objects.filter(span, only), "clerk_id")
    _collect(clerks, clerk, RatingDayFact.objects.filter(span, only), "clerk_id")
    if own_only and viewer is not None and viewer not in clerks:
        clerks[viewer] = clerk(viewer)
    clerk_rows = sorted(clerks.values(), key=lambda r: (r.name, r.key))
    if own_only:
        # the parts relative to the best are relative to the whole center, not to the viewer alone
        _score_against_center(clerk_rows, span, weights)
    else:
        _score(clerk_rows, weights, with_cases=True)

    window_rows: list[Row] = []
    if not own_only:
        numbers = dict(Window.objects.filter(center=center).values_list("pk", "number"))
        windows: dict[int, Row] = {}

        def window(pk: int) -> Row:
            return Row(key=pk, name=str(_("%(n)s 号窗口") % {"n": numbers.get(pk, pk)}), accepted=None,
                       overdue=None)

        _collect(windows, window, TicketHourFact.objects.filter(span), "window_id")
        _collect(windows, window, DutyDayFact.objects.filter(span), "window_id")
        _collect(windows, window, RatingDayFact.objects.filter(span), "window_id")
        window_rows = sorted(windows.values(), key=lambda r: (numbers.get(r.key, 10**6), r.key))
        _score(window_rows, weights, with_cases=False)
    return Appraisal(center=center, month=month, weights=weights, scheme=scheme, own_only=own_only,
                     clerks=clerk_rows, windows=window_rows)


def _score_against_center(rows: list[Row], span: Q, weights: dict[str, int]) -> None:
    """A clerk's own parts, with ``served`` and ``accepted`` relative to the best of the center
    (only the best counts are read, no other clerk's figures are shown)."""
    served: dict[int, int] = defaultdict(int)
    for pk, n in TicketHourFact.objects.filter(span, clerk_id__isnull=False).values_list("clerk_id", "served"):
        served[pk] += n
    accepted: dict[int, int] = defaultdict(int)
    for pk, n in CaseDayFact.objects.filter(span, clerk_id__isnull=False).values_list("clerk_id", "accepted"):
        accepted[pk] += n
    best = Row(key=0, name="", served=max(served.values(), default=0), accepted=max(accepted.values(), default=0))
    _score([*rows, best], weights, with_cases=True)
