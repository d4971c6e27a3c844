"""Reads of the demand model (弹性调配, issue #15 part 1): the latest fitted model of a center and the
expected demand of its dates, which the Erlang C sizing, the proposal and the live advice take.

Not scoped to a user: the callers (services, pages) check who may see the center first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from onewindow.centers.facts import booked_by_slot
from onewindow.centers.models import TicketCategory
from onewindow.core.calendar import WorkingDays
from onewindow.core.errors import Conflict

from .. import forecast
from ..models import DemandModel
from ..plans import SlotDemand, slot_label


class NoHistoryError(Conflict):
    """A refusal for want of history (issue #15 "Bad input: a slot with no history"): the center has
    no slot facts or no demand model yet, or a date is of a day type (or a slot outside the hours)
    the history never had."""

    code = "staffing_no_history"


_DAY_TYPE_NAMES = {"mon": _("周一"), "tue": _("周二"), "wed": _("周三"), "thu": _("周四"), "fri": _("周五"),
                   "sat": _("周六"), "sun": _("周日"), "holiday": _("节假日"), "adjusted": _("调休工作日"),
                   "after_holiday": _("节后第一个工作日"), "holiday_eve": _("节前最后一个工作日")}


def day_type_name(kind: str) -> str:
    return str(_DAY_TYPE_NAMES.get(kind, kind))


def latest_model(center_id: int) -> DemandModel | None:
    """The center's most recently built demand model, or None (one query)."""
    return DemandModel.objects.filter(center_id=center_id).order_by("-built_at", "-id").first()


def params_of(model: DemandModel) -> forecast.DemandParams:
    """The fitted parameters of a stored model; a model stored by another version of the code
    counts as no model (refused ``staffing_no_history``: build it again)."""
    try:
        return forecast.DemandParams.from_json(model.params)
    except ValueError:
        raise NoHistoryError(_("需求模型已过期，请重新建模。")) from None


def service_of(params: forecast.DemandParams) -> dict[int, tuple[float, float]]:
    """Category id → (mean service seconds, squared coefficient of variation) of the fitted service
    times; categories never timed are absent."""
    return {c: (s.mean, s.scv) for c, s in params.service.items() if s.count and s.mean > 0}


def demand_for(center_id: int, dates: Iterable[datetime.date], *, model: DemandModel | None = None,
               strict: bool = True) -> list[SlotDemand]:
    """The expected demand of each (date, slot, category): the walk-ins the model predicts and the
    appointments already booked for the slot (``centers.facts.booked_by_slot``). Booked people are
    *included* in the arrivals, not added to them — the history the model was fitted on counts the
    tickets of checked-in appointments as arrivals — so a slot's arrivals are max(forecast,
    booked). The slots are those the history had on the date's day type, plus any with bookings.
    Each row carries its category's service mean and scv (the fitted ones; the category's planned
    minutes with scv 1 for a category never timed).

    ``strict``: a date of a day type the model never saw (a Saturday of a center closed on
    Saturdays, a holiday) is refused ``staffing_no_history`` (409) naming it; otherwise such a
    date is left out. Refused too: a center without a model. Ordered by (date, slot, category)."""
    model = model or latest_model(center_id)
    if model is None:
        raise NoHistoryError(_("本中心尚无需求模型：需要先有排队取号的历史数据并建模。"))
    params = params_of(model)
    days = sorted(set(dates))
    if not days:
        return []
    calendar = WorkingDays(days[0] - datetime.timedelta(days=forecast.LOOK_DAYS), days[-1]
                           + datetime.timedelta(days=forecast.LOOK_DAYS))
    booked = booked_by_slot(center_id, days)
    service = service_of(params)
    planned = dict(TicketCategory.objects.filter(center_id=center_id).values_list("pk", "service_minutes"))
    out: list[SlotDemand] = []
    for day in days:
        try:
            predicted = forecast.predict(params, day, working=calendar.working)
        except forecast.NoHistory as exc:
            if not strict:
                continue
            raise NoHistoryError(_("%(day)s（%(kind)s）没有历史数据，无法预测需求。")
                                 % {"day": day.isoformat(), "kind": day_type_name(exc.day_type)}) from None
        cells = dict(predicted)
        for d, slot, category_id in booked:
            if d == day:
                cells.setdefault((slot, category_id), 0.0)
        for (slot, category_id), arrivals in sorted(cells.items()):
            n_booked = booked.get((day, slot, category_id), 0)
            mean, scv = service.get(category_id) or (float(planned.get(category_id) or 0) * 60, 1.0)
            out.append(SlotDemand(date=day, slot=slot, category_id=category_id, arrivals=max(arrivals, n_booked),
                                  booked=n_booked, service_mean=mean, service_scv=scv))
    return out


def slot_refusal(day: datetime.date, kind: str, slot: int) -> NoHistoryError:
    """The refusal of a slot the history never had (for the sizing of a single slot)."""
    return NoHistoryError(_("%(day)s（%(kind)s）%(slot)s 时段没有历史数据，无法预测需求。")
                          % {"day": day.isoformat(), "kind": day_type_name(kind), "slot": slot_label(slot)})
