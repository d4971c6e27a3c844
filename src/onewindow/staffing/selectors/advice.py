"""Live flags of today's slots (弹性调配 during the day, issue #15 part 5): for each open slot,
the windows the forecast needs — for the current slot corrected by the live queue — against the
windows open, flagged 人浮于事 (idle: open > need + ``STAFFING_IDLE_MARGIN``), 人少于事 (short:
open < need, or the live queue's expected wait beyond the target) or 人事相宜 (balanced).

Read-only. Windows open: now for the current and later slots; for a past slot, the windows whose
last state change before the slot's middle opened or resumed them (``centers.WindowEvent``)."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from onewindow.centers.choices import TicketStatus, WindowEventAction, WindowState
from onewindow.centers.facts import day_bounds
from onewindow.centers.models import Center, Ticket, TicketCategory, Window, WindowEvent
from onewindow.core.errors import DomainError

from ..choices import AdviceStatus, FlagKind
from ..models import Advice
from ..plans import SLOT_SECONDS, SlotNeed, slot_label


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
    from ..services.proposal import needs_for

    try:
        return {n.slot: n for n in needs_for(center_id, [day])}, ""
    except DomainError as exc:
        return {}, str(exc.message)


def flags_for(center_id: int, day: datetime.date, now: datetime.datetime) -> list[SlotFlag]:
    """The flag of every open slot of ``day`` at ``now`` (see the module's docstring)."""
    from ..services.proposal import _open_slots, target_of

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
    for slot in _open_slots(center, day):
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


def advice_text(advice: Advice, prefixes: dict[int, str] | None = None) -> str:
    """"开启7号窗口受理 B 至 11:30" and the like (the reason's ``text``, else built here)."""
    text: Any = (advice.reason or {}).get("text")
    return str(text) if text else f"{advice.kind} {advice.window_id}"
