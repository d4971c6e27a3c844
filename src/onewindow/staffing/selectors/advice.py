"""The windows each half-hour needs and today's live flags (issue #15 parts 2 and 5). Both are
reads: the proposal (``services.proposal``) and the live advice (``services.advice``) build on them.

* :func:`needs_for` — per date and open slot: categories served by a dedicated (specialised)
  window are sized by Erlang C per category (``erlang.servers_needed``); the shared comprehensive
  windows (综合窗口: several categories, priorities) start from Erlang C on the pooled load and are
  then sized by **simulation** (Poisson arrivals at the forecast rate, a few fixed seeds, a warm
  half-hour before the slot) until the simulated target is met. Refusals (422):
  ``staffing_target_impossible`` naming the slot and why, ``staffing_no_history``.
* :func:`flags_for` — for each open slot of a day, the windows the forecast needs — for the current
  slot corrected by the live queue — against the windows open, flagged 人浮于事 (idle: open > need +
  ``STAFFING_IDLE_MARGIN``), 人少于事 (short: open < need, or the live queue's expected wait beyond
  the target) or 人事相宜 (balanced). Windows open: now for the current and later slots; for a past
  slot, the windows whose last state change before the slot's middle opened or resumed them
  (``centers.WindowEvent``).
"""

from __future__ import annotations

import datetime
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onewindow.centers.choices import TicketStatus, WindowEventAction, WindowKind, WindowState
from onewindow.centers.facts import day_bounds
from onewindow.centers.hours import hours_on
from onewindow.centers.models import Center, Ticket, TicketCategory, Window, WindowEvent
from onewindow.core.errors import DomainError, NotFound

from .. import erlang, simulation
from ..choices import AdviceKind, AdviceStatus, FlagKind
from ..forecast import NoHistory
from ..models import Advice, StaffingPolicy
from ..plans import SLOT_SECONDS, Arrival, SimResult, SlotDemand, SlotNeed, Span, Target, slot_label

WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
#: Seeds of the slot simulation (fixed: the same forecast always gives the same need).
SEEDS = (1, 2, 3, 4, 5)

class Impossible(DomainError):
    status = 422
    code = "staffing_target_impossible"


def slot_name(day: datetime.date, slot: int) -> str:
    """``周一 09:00–09:30``: how a refusal names a slot."""
    return f"{WEEKDAYS[day.weekday()]} {slot_label(slot)}–{slot_label(slot + 1) if slot < 47 else '24:00'}"


def target_of(center_id: int) -> Target:
    """The center's service target (its policy, else the settings' defaults)."""
    policy = StaffingPolicy.objects.filter(center_id=center_id).first()
    if policy is None:
        return Target(share=float(settings.STAFFING_TARGET_SHARE), minutes=float(settings.STAFFING_TARGET_MINUTES))
    return Target(kind=policy.target_kind, share=policy.target_share, minutes=float(policy.target_minutes))


def meets(result: SimResult, target: Target) -> bool:
    return measure(result, target) >= target.share if target.kind == "service_level" else \
        result.mean_wait() <= target.minutes * 60


def measure(result: SimResult, target: Target) -> float:
    """The measure the target is about: share within the minutes, or the mean wait in minutes."""
    if target.kind == "service_level":
        return result.share_within(target.minutes * 60)
    return result.mean_wait() / 60


def center_windows(center_id: int) -> list[tuple[Window, frozenset[int]]]:
    return [(w, frozenset(c.pk for c in w.categories.all()))
            for w in Window.objects.filter(center_id=center_id).prefetch_related("categories").order_by("number")]


def open_slots(center: Center, day: datetime.date) -> list[int]:
    slots: set[int] = set()
    for period in hours_on(center, day):
        if period.opens is None or period.closes is None:
            continue
        start = period.opens.hour * 3600 + period.opens.minute * 60
        end = period.closes.hour * 3600 + period.closes.minute * 60
        slots.update(range(start // SLOT_SECONDS, math.ceil(end / SLOT_SECONDS)))
    return sorted(slots)


def _poisson(demands: Sequence[SlotDemand], start: int, end: int, seed: int) -> list[Arrival]:
    """Poisson arrivals of each category at its forecast rate over [start, end), gamma service
    times of the forecast mean and squared coefficient of variation."""
    rng = random.Random(seed)
    out: list[Arrival] = []
    for d in demands:
        rate = d.arrivals / SLOT_SECONDS
        if rate <= 0:
            continue
        t = start + rng.expovariate(rate)
        shape = 1 / max(d.service_scv, 0.05)
        while t < end:
            service = max(1, round(rng.gammavariate(shape, d.service_mean / shape)))
            out.append(Arrival(at=int(t), category_id=d.category_id, key=int(t), service=service))
            t += rng.expovariate(rate)
    out.sort(key=lambda a: (a.key, a.at))
    return out


def simulate_slot(demands: Sequence[SlotDemand], by_window: Mapping[int, frozenset[int]], slot: int) -> SimResult:
    """The slot at a steady state: a warm half-hour at the same rates before it, windows open from
    the warm-up until everyone is served; the waits of the slot's own arrivals (the run with the
    warm-up alone taken away: nobody of the warm-up is overtaken by a later key, so their waits are
    the same in both runs), over all seeds."""
    start = slot * SLOT_SECONDS - SLOT_SECONDS
    middle, end = slot * SLOT_SECONDS, (slot + 1) * SLOT_SECONDS
    spans = [Span(window_id=w, category_ids=cats, start=start, end=end + 4 * SLOT_SECONDS)
             for w, cats in by_window.items()]
    results = []
    for seed in SEEDS:
        arrivals = _poisson(demands, start, end, seed)
        full = simulation.simulate(arrivals, spans)
        warm = simulation.simulate([a for a in arrivals if a.at < middle], spans)
        waits = Counter(full.waits)
        waits.subtract(Counter(warm.waits))
        results.append(SimResult(waits=sorted(waits.elements()), staff_seconds=full.staff_seconds,
                                 busy_seconds=full.busy_seconds, events=full.events,
                                 unserved=max(0, full.unserved - warm.unserved)))
    return simulation.merge(results)


def _erlang_expected(arrivals: float, service_mean: float, servers: int, target: Target) -> float:
    """Erlang C's share within target (or mean wait in minutes) of ``servers`` windows."""
    value = erlang.predicted(erlang.offered_load(arrivals, service_mean), servers, service_mean, target)
    return float(value) if target.kind == "service_level" else float(value) / 60


def _need_one(day: datetime.date, slot: int, demands: list[SlotDemand], windows: list[tuple[Window, frozenset[int]]],
              target: Target) -> SlotNeed:
    """The need of one slot (see the module's docstring)."""
    need = SlotNeed(date=day, slot=slot, windows=0)
    by_cat: dict[int, list[SlotDemand]] = defaultdict(list)
    for d in demands:
        if d.arrivals > 0:
            by_cat[d.category_id].append(d)
            need.arrivals[d.category_id] = need.arrivals.get(d.category_id, 0.0) + d.arrivals
            need.service_mean[d.category_id] = d.service_mean
    load = sum(need.arrivals[c] * need.service_mean[c] for c in need.arrivals) / SLOT_SECONDS
    if load >= len(windows):
        raise Impossible(_("%(slot)s：负荷 %(load).1f 爱尔兰 ≥ 中心全部 %(n)d 个窗口，利用率不低于 1，"
                           "无法达到服务目标。") % {"slot": slot_name(day, slot), "load": load, "n": len(windows)})
    specialised = [(w, cats) for w, cats in windows if w.kind == WindowKind.SPECIALISED]
    comprehensive = [(w, cats) for w, cats in windows if w.kind != WindowKind.SPECIALISED]
    pooled: list[int] = []
    fixed: list[tuple[Window, frozenset[int]]] = []  # the own windows of a category that overflows
    expected: list[float] = []
    for category_id in sorted(by_cat):
        own = [w for w, cats in specialised if category_id in cats]
        arrivals, mean = need.arrivals[category_id], need.service_mean[category_id]
        if not own:
            pooled.append(category_id)
            continue
        try:
            n = erlang.servers_needed(arrivals, mean, target, max_servers=len(own))
        except erlang.Infeasible:
            n = None
        if n is None or n > len(own):
            if any(category_id in cats for _w, cats in comprehensive):
                # beyond its own windows: they all open for it, the comprehensive ones take the rest
                pooled.append(category_id)
                fixed.extend((w, frozenset({category_id})) for w in own)
                continue
            raise Impossible(_("%(slot)s：类别所需窗口超过其 %(n)d 个专业窗口，无法达到服务目标。")
                             % {"slot": slot_name(day, slot), "n": len(own)})
        for w in own[:n]:
            need.by_window[w.pk] = frozenset({category_id})
        expected.append(_erlang_expected(arrivals, mean, n, target))
    if pooled:
        _size_pooled(need, [d for c in pooled for d in by_cat[c]], pooled, comprehensive, fixed, target)
        if need.expected is not None:
            expected.append(need.expected)
    if not need.by_window and windows:  # an open slot keeps one window open: the one serving most
        w, cats = min(comprehensive or windows, key=lambda pair: (-len(pair[1]), pair[0].number))
        need.by_window[w.pk] = cats
    need.windows = len(need.by_window)
    need.utilisation = round(load / need.windows, 4) if need.windows else 0.0
    if expected:
        need.expected = round(min(expected) if target.kind == "service_level" else max(expected), 4)
    return need


def _size_pooled(need: SlotNeed, demands: list[SlotDemand], pooled: list[int],
                 comprehensive: list[tuple[Window, frozenset[int]]], fixed: list[tuple[Window, frozenset[int]]],
                 target: Target) -> None:
    """Comprehensive windows (beside ``fixed``: the specialised windows of the categories their own
    windows cannot serve alone, all open): Erlang C on the pooled load as the start, then one
    window more at a time until the simulated slot meets the target (windows covering the most
    load first)."""
    day, slot = need.date, need.slot
    wanted = set(pooled)
    weight = {c: need.arrivals[c] * need.service_mean[c] for c in pooled}
    order = sorted((pair for pair in comprehensive if pair[1] & wanted),
                   key=lambda pair: (-sum(weight.get(c, 0.0) for c in pair[1]), pair[0].number))
    if not order or set().union(*(cats for _w, cats in [*order, *fixed])) < wanted:
        raise Impossible(_("%(slot)s：有排队类别没有可受理的窗口。") % {"slot": slot_name(day, slot)})
    total = sum(need.arrivals[c] for c in pooled)
    mean = sum(weight.values()) / total
    most = len(order) + len(fixed)
    if total * mean / SLOT_SECONDS >= most:
        raise Impossible(_("%(slot)s：综合窗口负荷 %(load).1f 爱尔兰 ≥ 可受理的 %(n)d 个窗口，利用率不低于 1。")
                         % {"slot": slot_name(day, slot), "load": total * mean / SLOT_SECONDS, "n": most})
    try:
        n = erlang.servers_needed(total, mean, target, max_servers=most) - len(fixed)
    except erlang.Infeasible:
        n = len(order)
    n = min(len(order), max(1, n))
    while True:
        chosen = {w.pk: cats for w, cats in [*fixed, *order[:n]]}  # a window serves all it may
        result = simulate_slot(demands, chosen, slot)
        if meets(result, target):
            break
        if n >= len(order):
            raise Impossible(_("%(slot)s：服务目标需要的窗口多于中心可受理的 %(n)d 个。")
                             % {"slot": slot_name(day, slot), "n": most})
        n += 1
    need.by_window.update(chosen)
    need.method = "simulation"
    need.expected = round(measure(result, target), 4)


def apply_override(need: SlotNeed, count: int, windows: list[tuple[Window, frozenset[int]]]) -> None:
    if count < 0 or count > len(windows):
        raise DomainError(_("%(slot)s：窗口数须在 0 到 %(n)d 之间。") % {"slot": slot_name(need.date, need.slot),
                                                                  "n": len(windows)},
                          code="staffing_override_invalid", status=422)
    ids = list(need.by_window)
    if count < len(ids):
        need.by_window = {w: need.by_window[w] for w in ids[:count]}
    else:
        spare = sorted((pair for pair in windows if pair[0].pk not in need.by_window),
                       key=lambda pair: (pair[0].kind == WindowKind.SPECIALISED, pair[0].number))
        for w, cats in spare[:count - len(ids)]:
            need.by_window[w.pk] = cats
    need.windows = len(need.by_window)
    need.method = "override"


DAY_TYPES = {"mon": _("周一"), "tue": _("周二"), "wed": _("周三"), "thu": _("周四"), "fri": _("周五"),
             "sat": _("周六"), "sun": _("周日"),
             "holiday": _("节假日"), "holiday_eve": _("节前最后一个工作日"), "after_holiday": _("节后第一个工作日"),
             "adjusted": _("调休工作日")}


def no_history(exc: NoHistory) -> DomainError:
    """422 ``staffing_no_history`` naming the day type and, where known, the slot."""
    kind = str(DAY_TYPES.get(exc.day_type, exc.day_type))
    where = kind if exc.slot is None else f"{kind} {slot_label(exc.slot)}–{slot_label(exc.slot + 1)}"
    return DomainError(_("%(where)s没有历史数据，无法预测需求、测算窗口。") % {"where": where},
                       code="staffing_no_history", status=422)


def _demand(center_id: int, days: list[datetime.date]) -> list[SlotDemand]:
    """The forecast demand of ``days`` (``selectors.demand.demand_for``, the latest demand model);
    its want of history (no model, a day type never seen) is this service's 422, like a slot's."""
    from ..selectors import demand as demand_selectors

    try:
        return demand_selectors.demand_for(center_id, days)
    except demand_selectors.NoHistoryError as exc:
        raise DomainError(exc.message, code="staffing_no_history", status=422) from None


def needs_for(center_id: int, dates: Iterable[datetime.date], *, target: Target | None = None,
              overrides: Mapping[tuple[datetime.date, int], int] | None = None) -> list[SlotNeed]:
    """The windows every open slot of ``dates`` needs for ``target`` (the center's by default),
    with the windows to open (``by_window``) and why. Refusals (422): ``staffing_target_impossible``
    naming the slot and the reason; ``staffing_no_history`` naming the day type and slot (from the
    demand model); ``staffing_override_invalid`` for a what-if count outside 0..windows."""
    center = Center.objects.filter(pk=center_id).first()
    if center is None:
        raise NotFound(_("找不到该中心。"), code="center_not_found")
    target = target or target_of(center_id)
    opened = {day: open_slots(center, day) for day in sorted(set(dates))}
    days = [day for day, slots in opened.items() if slots]  # a closed date needs nothing
    if not days:
        return []
    try:
        demand = _demand(center_id, days)
    except NoHistory as exc:
        raise no_history(exc) from None
    by_slot: dict[tuple[datetime.date, int], list[SlotDemand]] = defaultdict(list)
    for d in demand:
        by_slot[(d.date, d.slot)].append(d)
    windows = center_windows(center_id)
    overrides = overrides or {}
    out = []
    for day in days:
        for slot in opened[day]:
            need = _need_one(day, slot, by_slot.get((day, slot), []), windows, target)
            if (day, slot) in overrides:
                apply_override(need, int(overrides[(day, slot)]), windows)
            out.append(need)
    return out




@dataclass
class SlotFlag:
    """One slot of today: ``need`` windows (``forecast`` before the live correction), ``open`` the
    windows open (ids in ``open_ids``, their categories in ``open_categories``), ``waiting`` tickets
    per category id now and the live queue's ``expected_wait`` in minutes (current slot only),
    ``flag`` (choices.FlagKind), ``by_window`` the windows the need would open with their categories,
    ``note`` why the need is unknown (no history, impossible target) when it is."""

    slot: int
    label: str
    need: int | None
    forecast: int | None
    open: int
    flag: str
    open_ids: list[int] = field(default_factory=list)
    open_categories: dict[int, list[int]] = field(default_factory=dict)
    by_window: dict[int, list[int]] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)
    expected_wait: float | None = None
    current: bool = False
    past: bool = False
    note: str = ""


def window_changes(center_id: int, day: datetime.date) -> dict[int, list[tuple[int, bool]]]:
    """Per window, its state changes of ``day``: (seconds of the day, open after it)."""
    start, end = day_bounds(day)
    out: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    A = WindowEventAction
    rows = (WindowEvent.objects.filter(center_id=center_id, at__gte=start, at__lt=end,
                                       action__in=[A.OPEN, A.RESUME, A.PAUSE, A.CLOSE])
            .order_by("at", "id").values_list("window_id", "action", "at"))
    for window_id, action, at in rows:
        out[window_id].append((int((at - start).total_seconds()), action in (A.OPEN, A.RESUME)))
    return out


def windows_open_at(changes: dict[int, list[tuple[int, bool]]], second: int) -> list[int]:
    return sorted(w for w, rows in changes.items() if [o for t, o in rows if t <= second][-1:] == [True])


def live_queue(center_id: int, day: datetime.date) -> dict[int, int]:
    """Tickets waiting now, per category id."""
    out: dict[int, int] = {}
    rows = Ticket.objects.filter(center_id=center_id, date=day, status=TicketStatus.WAITING).values_list(
        "category_id", flat=True)
    for category_id in rows:
        out[category_id] = out.get(category_id, 0) + 1
    return out


def _needs(center_id: int, day: datetime.date) -> tuple[dict[int, SlotNeed], str]:
    try:
        return {n.slot: n for n in needs_for(center_id, [day])}, ""
    except DomainError as exc:
        return {}, str(exc.message)


def flags_for(center_id: int, day: datetime.date, now: datetime.datetime) -> list[SlotFlag]:
    """The flag of every open slot of ``day`` at ``now`` (see the module's docstring)."""
    center = Center.objects.get(pk=center_id)
    target = target_of(center_id)
    needs, note = _needs(center_id, day)
    local = timezone.localtime(now)
    second = int((local.replace(tzinfo=None) - datetime.datetime.combine(day, datetime.time())).total_seconds())
    current_slot = second // SLOT_SECONDS
    windows = list(Window.objects.filter(center_id=center_id).prefetch_related("categories").order_by("number"))
    cats = {w.pk: sorted(c.pk for c in w.categories.all()) for w in windows}
    open_now = [w.pk for w in windows if w.state == WindowState.OPEN]
    changes = window_changes(center_id, day)
    waiting = live_queue(center_id, day) if local.date() == day else {}
    means = {c.pk: 60.0 * c.service_minutes for c in TicketCategory.objects.filter(center_id=center_id)}
    margin = int(settings.STAFFING_IDLE_MARGIN)
    out = []
    for slot in open_slots(center, day):
        need = needs.get(slot)
        past = local.date() > day or (local.date() == day and slot < current_slot)
        open_ids = windows_open_at(changes, slot * SLOT_SECONDS + SLOT_SECONDS // 2) if past else open_now
        forecast = need.windows if need is not None else None
        row = SlotFlag(slot=slot, label=slot_label(slot), need=forecast, forecast=forecast, open=len(open_ids),
                       flag=FlagKind.BALANCED, open_ids=open_ids, open_categories={w: cats[w] for w in open_ids},
                       by_window={w: sorted(c) for w, c in (need.by_window.items() if need else [])},
                       current=local.date() == day and slot == current_slot, past=past, note=note)
        if need is not None:
            for c, m in need.service_mean.items():
                means[c] = m
        if row.current:
            row.waiting = dict(waiting)
            row.expected_wait, queue_need = _queue_wait(waiting, means, row.open_categories, target.minutes)
            row.need = max(forecast or 0, queue_need) if (forecast is not None or queue_need) else None
        row.flag = _flag(row, margin, target.minutes)
        out.append(row)
    return out


def _queue_wait(waiting: dict[int, int], means: dict[int, float], open_categories: dict[int, list[int]],
                minutes: float) -> tuple[float | None, int]:
    """The live queue's expected wait in minutes (the slowest category: its waiting work shared by
    the open windows serving it; inf if none serves it) and the windows that would clear the
    waiting work within the target."""
    if not waiting:
        return 0.0, 0
    worst = 0.0
    for category_id, n in waiting.items():
        serving = sum(1 for c in open_categories.values() if category_id in c)
        work = n * means.get(category_id, 480.0)
        worst = max(worst, math.inf if serving == 0 else work / serving / 60)
    total = sum(n * means.get(c, 480.0) for c, n in waiting.items())
    return (round(worst, 2) if math.isfinite(worst) else None), math.ceil(total / (minutes * 60)) if minutes else 0


def _flag(row: SlotFlag, margin: int, minutes: float) -> str:
    if row.current and row.waiting and (row.expected_wait is None or row.expected_wait > minutes):
        return FlagKind.SHORT
    if row.need is None:
        return FlagKind.BALANCED
    if row.open < row.need:
        return FlagKind.SHORT
    if row.open > row.need + margin:
        return FlagKind.IDLE
    return FlagKind.BALANCED


def advice_of_day(center_id: int, day: datetime.date) -> list[Advice]:
    """The advice of a center's day, by slot, with the window."""
    return list(Advice.objects.filter(center_id=center_id, date=day).select_related("window").order_by("slot", "id"))


def pending_advice(center_id: int, day: datetime.date) -> list[Advice]:
    return [a for a in advice_of_day(center_id, day) if a.status == AdviceStatus.SUGGESTED]


def advice_text(advice: Advice, prefixes: Mapping[int, str] | None = None) -> str:
    """"开启7号窗口受理B类，至11:30" and the like: the text the refresh wrote in the reason, else one
    built from the advice's fields (``prefixes``: category id → its letter)."""
    text: Any = (advice.reason or {}).get("text")
    if text:
        return str(text)
    number = advice.window.number
    until = f"{advice.until:%H:%M}" if advice.until else ""
    cats = "、".join((prefixes or {}).get(int(c), "?") for c in advice.categories or [])
    if advice.kind == AdviceKind.CLOSE:
        return gettext("暂停%(n)d号窗口") % {"n": number}
    if advice.kind == AdviceKind.ASSIGN:
        return gettext("%(n)d号窗口兼办%(cats)s类，至%(until)s") % {"n": number, "cats": cats, "until": until}
    if cats:
        return gettext("开启%(n)d号窗口受理%(cats)s类，至%(until)s") % {"n": number, "cats": cats, "until": until}
    return gettext("开启%(n)d号窗口，至%(until)s") % {"n": number, "until": until}
