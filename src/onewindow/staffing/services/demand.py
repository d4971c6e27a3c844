"""Writes of the demand model (弹性调配, issue #15 part 1): fit a center's model on its half-hour slot
facts and keep it, with its error on held-out weeks, so that the sizing, the proposals and the live
advice read one model instead of refitting on every request.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.analytics import permissions as analytics_perms
from onewindow.analytics.selectors.slots import centers_with_slot_facts, slot_history
from onewindow.centers import permissions as center_perms
from onewindow.centers.models import Center
from onewindow.core.actors import Actor, is_system, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.calendar import WorkingDays
from onewindow.core.errors import DomainError, NotFound, PermissionDenied

from .. import forecast
from ..models import DemandModel
from ..selectors.demand import NoHistoryError

logger = logging.getLogger(__name__)


def _center(center_id: Any) -> Center:
    try:
        pk = int(getattr(center_id, "pk", center_id))
    except (TypeError, ValueError):
        pk = 0
    center = Center.objects.filter(pk=pk).first() if pk > 0 else None
    if center is None:
        raise NotFound(_("找不到该中心。"), code="staffing_center_not_found")
    return center


def _guard(by: Actor, center: Center) -> None:
    """The center's manager (a system admin for every center) or a job may build; a clerk of the
    center gets 403, anyone else 404 (the center is not theirs to see)."""
    if is_system(by) or analytics_perms.can_manage(by, center.pk):
        return
    if center.pk in center_perms.centers_of(by):
        raise PermissionDenied(_("只有中心负责人可以建立需求模型。"), code="staffing_forbidden")
    raise NotFound(_("找不到该中心。"), code="staffing_center_not_found")


def history_span(until: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The ``STAFFING_HISTORY_WEEKS`` weeks of history ending on ``until`` (both days included)."""
    return until - datetime.timedelta(weeks=settings.STAFFING_HISTORY_WEEKS) + datetime.timedelta(days=1), until


@transaction.atomic
def demand_model_build(*, by: Actor, center_id: Any, until: datetime.date | None = None) -> DemandModel:
    """Fit the center's demand model on ``STAFFING_HISTORY_WEEKS`` weeks of slot facts up to
    ``until`` (default yesterday) and store it with its error over the last
    ``STAFFING_HOLDOUT_WEEKS`` weeks held out (WAPE and MASE per category and overall, slot and day
    level; ``forecast.holdout_error``); audited. The open days are the days with any slot fact;
    the calendar (day types) is the core calendar with its administrator overrides.

    Refused: a center not found or not managed by ``by`` (404/403); ``until`` not a date (422
    ``staffing_invalid``); a center without any slot fact in the span, 409
    ``staffing_no_history`` — nothing written."""
    center = _center(center_id)
    _guard(by, center)
    if until is None:
        until = timezone.localdate() - datetime.timedelta(days=1)
    if not isinstance(until, datetime.date) or isinstance(until, datetime.datetime):
        raise DomainError(_("建模截止日期不正确。"), code="staffing_invalid", status=422,
                          fields={"until": [_("请输入有效的日期。")]})
    since, until = history_span(until)
    rows = slot_history(center.pk, since, until)
    if not rows:
        raise NoHistoryError(_("%(center)s 在 %(since)s 至 %(until)s 没有排队取号的历史数据，无法建立需求模型。")
                             % {"center": center.short_name or center.name, "since": since.isoformat(),
                                "until": until.isoformat()})
    days = sorted({r.day for r in rows})
    look = datetime.timedelta(days=forecast.LOOK_DAYS)
    calendar = WorkingDays(since - look, until + look)
    params = forecast.fit(rows, days, working=calendar.working)
    error = forecast.holdout_error(rows, days, settings.STAFFING_HOLDOUT_WEEKS, working=calendar.working)
    model = DemandModel.objects.create(center=center, built_at=timezone.now(), history_from=params.history_from,
                                       history_to=params.history_to, params=params.to_json(), error=error)
    overall = (error.get("slot") or {}).get("overall") or {}
    audit_record(actor=by, action="staffing.demand_model_build", target=model,
                 after={"center_id": center.pk, "history_from": params.history_from.isoformat(),
                        "history_to": params.history_to.isoformat(), "days": len(days),
                        "trend": round(params.trend, 6), "wape": overall.get("wape"), "mase": overall.get("mase")})
    return model


def demand_models_build_all(until: datetime.date | None = None) -> int:
    """The nightly build (issue #15): a new model for every active center with slot facts in the
    history span, each in its own transaction (one center's refusal does not stop the others);
    returns how many were built."""
    until = until or timezone.localdate() - datetime.timedelta(days=1)
    since, until = history_span(until)
    with_facts = set(centers_with_slot_facts(since, until))
    ids = list(Center.objects.filter(pk__in=with_facts, is_active=True).order_by("pk").values_list("pk", flat=True))
    actor = system_actor("staffing.demand_models_build_all")
    built = 0
    for center_id in ids:
        try:
            demand_model_build(by=actor, center_id=center_id, until=until)
        except DomainError as exc:
            logger.warning("demand model of center %s not built: %s", center_id, exc.code)
            continue
        built += 1
    return built
