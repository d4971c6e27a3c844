"""Live advice (弹性调配 during the day, issue #15 part 5): suggestions for the current and the
next slot from the live flags (``selectors.advice.flags_for``), and the manager's one click that
applies one through the existing centers services (``window_set_state``, ``window_set_categories``)
or dismisses it.

* a short slot (人少于事): open the windows the need opens that are not open (with the categories
  it gives them, until the end of the run of slots that keep needing them); if the live queue
  alone is the reason, let an open window whose own categories have nobody waiting also serve
  the waiting category (assign);
* an idle slot (人浮于事): pause the open windows the need does not use, beyond the margin;
* a refresh is idempotent: one suggestion per window and slot (the partial unique constraint),
  updated in place; the suggestions of slots that are over, or no longer given, expire.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onewindow.centers.choices import WindowState
from onewindow.centers.models import TicketCategory, Window
from onewindow.centers.permissions import user_of
from onewindow.centers.services.windows import window_set_categories, window_set_state
from onewindow.core.actors import Actor, is_system
from onewindow.core.audit import audit_record
from onewindow.core.errors import Conflict, NotFound

from .. import permissions
from ..choices import AdviceKind, AdviceStatus, FlagKind
from ..models import Advice
from ..plans import SLOT_SECONDS, slot_label, slot_time
from ..selectors.advice import SlotFlag, flags_for


def _until(flags: list[SlotFlag], index: int, window_id: int) -> int:
    """The end slot (exclusive) of the run of slots from ``index`` whose need keeps ``window_id``."""
    end = flags[index].slot + 1
    for row in flags[index + 1:]:
        if window_id not in row.by_window or row.slot != end:
            break
        end += 1
    return end


def _label(end_slot: int) -> str:
    return slot_label(end_slot) if end_slot < 48 else "24:00"


def _open_text(window: Window, cats: list[int], prefixes: dict[int, str], end: int) -> str:
    if not cats:
        return gettext("开启%(n)d号窗口，至%(until)s") % {"n": window.number, "until": _label(end)}
    return gettext("开启%(n)d号窗口受理%(cats)s类，至%(until)s") % {
        "n": window.number, "cats": "、".join(prefixes.get(c, "?") for c in cats), "until": _label(end)}


def _short(flags: list[SlotFlag], index: int, prefixes: dict[int, str],
           windows: dict[int, Window]) -> list[dict[str, Any]]:
    """人少于事: (1) open the windows the need opens that are closed, with the categories it gives
    them, until the end of the run of slots that keep needing them; (2) while the live need is
    not met, open other closed windows that serve a waiting category (their own categories, to the
    slot's end); (3) a waiting category no open window serves: an open window whose categories
    have nobody waiting also serves it (to the slot's end)."""
    row = flags[index]
    need = row.need if row.need is not None else row.open + 1
    out: list[dict[str, Any]] = []
    for window_id, cats in row.by_window.items():
        if window_id in row.open_ids or window_id not in windows or row.open + len(out) >= need:
            continue
        end = _until(flags, index, window_id)
        out.append({"window": window_id, "kind": AdviceKind.OPEN, "categories": cats, "until": end,
                    "text": _open_text(windows[window_id], cats, prefixes, end)})
    busy = sorted((c for c, n in row.waiting.items() if n), key=lambda c: (-row.waiting[c], c))
    taken = {w["window"] for w in out} | set(row.open_ids)
    for category_id in busy:
        for window in sorted(windows.values(), key=lambda w: w.number):
            if row.open + len(out) >= need:
                break
            own = sorted(c.pk for c in window.categories.all())
            if window.pk in taken or category_id not in own:
                continue
            taken.add(window.pk)
            out.append({"window": window.pk, "kind": AdviceKind.OPEN, "categories": [], "until": row.slot + 1,
                        "text": _open_text(window, own, prefixes, row.slot + 1)})
    served = {c for w in out for c in (w["categories"] or [])} | {
        c for cats in row.open_categories.values() for c in cats}
    for category_id in busy:
        if category_id in served or any(category_id in (w["categories"] or []) for w in out):
            continue
        for window_id, cats in row.open_categories.items():
            if not set(cats) & set(busy) and window_id in windows:
                new = sorted(set(cats) | {category_id})
                out.append({"window": window_id, "kind": AdviceKind.ASSIGN, "categories": new, "until": row.slot + 1,
                            "text": gettext("%(n)d号窗口兼办%(cats)s类，至%(until)s") % {
                                "n": windows[window_id].number,
                                "cats": "、".join(prefixes.get(c, "?") for c in new), "until": _label(row.slot + 1)}})
                served.add(category_id)
                break
    return out


def _wants(flags: list[SlotFlag], index: int, prefixes: dict[int, str], windows: dict[int, Window],
           margin: int) -> list[dict[str, Any]]:
    """The suggestions of one slot (see the module's docstring)."""
    row = flags[index]
    out: list[dict[str, Any]] = []
    reason = {"need": row.need, "forecast": row.forecast, "open": row.open, "waiting": row.waiting,
              "expected_wait": row.expected_wait, "flag": row.flag}
    if row.flag == FlagKind.SHORT:
        out = _short(flags, index, prefixes, windows)
    elif row.flag == FlagKind.IDLE and row.need is not None:
        spare = [w for w in row.open_ids if w not in row.by_window and w in windows]
        for window_id in spare[:max(0, row.open - row.need - margin)]:
            out.append({"window": window_id, "kind": AdviceKind.CLOSE, "categories": [], "until": row.slot + 1,
                        "text": gettext("暂停%(n)d号窗口") % {"n": windows[window_id].number}})
    for want in out:
        want["reason"] = {**reason, "text": want.pop("text")}
    return out


def advice_refresh(center_id: int, now: datetime.datetime | None = None) -> list[Advice]:
    """Write the suggestions of the current and the next slot of today (idempotent per window and
    slot); suggestions of earlier slots, or no longer given, expire. Returns the pending ones."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    day = local.date()
    flags = flags_for(center_id, day, now)
    current = (local.hour * 3600 + local.minute * 60 + local.second) // SLOT_SECONDS
    prefixes = dict(TicketCategory.objects.filter(center_id=center_id).values_list("pk", "prefix"))
    windows = {w.pk: w for w in Window.objects.filter(center_id=center_id).prefetch_related("categories")}
    margin = int(settings.STAFFING_IDLE_MARGIN)
    kept: list[int] = []
    # a suggestion the manager already applied or set aside in a slot is not made again in it
    decided = set(Advice.objects.filter(center_id=center_id, date=day, slot__in=[current, current + 1],
                                        status__in=[AdviceStatus.APPLIED, AdviceStatus.DISMISSED])
                  .values_list("slot", "window_id"))
    with transaction.atomic():
        Advice.objects.filter(center_id=center_id, status=AdviceStatus.SUGGESTED).filter(
            date__lt=day).update(status=AdviceStatus.EXPIRED)
        Advice.objects.filter(center_id=center_id, status=AdviceStatus.SUGGESTED, date=day,
                              slot__lt=current).update(status=AdviceStatus.EXPIRED)
        for index, row in enumerate(flags):
            if row.slot not in (current, current + 1):
                continue
            for want in _wants(flags, index, prefixes, windows, margin):
                if (row.slot, want["window"]) in decided:
                    continue
                until = slot_time(want["until"]) if want["until"] < 48 else datetime.time(23, 59)
                advice, _created = Advice.objects.update_or_create(
                    center_id=center_id, date=day, slot=row.slot, window_id=want["window"],
                    status=AdviceStatus.SUGGESTED,
                    defaults={"flag": row.flag, "kind": want["kind"], "categories": want["categories"],
                              "until": until, "reason": want["reason"], "created_at": now})
                kept.append(advice.pk)
        (Advice.objects.filter(center_id=center_id, date=day, slot__in=[current, current + 1],
                               status=AdviceStatus.SUGGESTED).exclude(pk__in=kept)
         .update(status=AdviceStatus.EXPIRED))
    return list(Advice.objects.filter(pk__in=kept).select_related("window").order_by("slot", "window__number"))


def _advice(by: Actor, advice_id: Any) -> Advice:
    raw = str(getattr(advice_id, "pk", advice_id) or "")
    advice = (Advice.objects.select_for_update().filter(pk=int(raw)).first()
              if raw.isdigit() and len(raw) < 19 else None)
    if advice is None or not (is_system(by) or permissions.can_manage(by, advice.center_id)):
        raise NotFound(_("找不到该调配建议。"), code="staffing_advice_not_found")
    if advice.status != AdviceStatus.SUGGESTED:
        raise Conflict(_("该建议已处理或已过时。"), code="staffing_advice_not_pending")
    return advice


def _over(advice: Advice, now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    end = datetime.datetime.combine(advice.date, datetime.time()) + datetime.timedelta(
        seconds=(advice.slot + 1) * SLOT_SECONDS)
    return local.replace(tzinfo=None) >= end


def advice_apply(*, by: Actor, advice_id: Any, now: datetime.datetime | None = None) -> Advice:
    """采纳: the manager applies a suggestion — open (and set the categories of) a window, pause
    it, or change its categories — through the centers services. Refusals (nothing changed):
    404 not the manager's; 409 ``staffing_advice_not_pending``, ``staffing_advice_expired`` (its
    slot is over), ``staffing_window_closed`` (an assign to a window not open); and the centers
    services' own (e.g. ``window_busy``)."""
    now = now or timezone.now()
    with transaction.atomic():
        advice = _advice(by, advice_id)
        if _over(advice, now):
            raise Conflict(_("该建议所属时段已过，不能再采纳。"), code="staffing_advice_expired")
        window = Window.objects.select_for_update().get(pk=advice.window_id)
        if advice.kind == AdviceKind.ASSIGN and window.state != WindowState.OPEN:
            raise Conflict(_("%(n)d号窗口未开放，不能调整其受理类别。") % {"n": window.number},
                           code="staffing_window_closed")
        if advice.kind == AdviceKind.CLOSE:
            window_set_state(by=by, window_id=window.pk, state=WindowState.PAUSED)
        else:
            if advice.categories:
                window_set_categories(by=by, window_id=window.pk, category_ids=list(advice.categories))
            if advice.kind == AdviceKind.OPEN and window.state != WindowState.OPEN:
                window_set_state(by=by, window_id=window.pk, state=WindowState.OPEN)
        return _decide(by, advice, AdviceStatus.APPLIED, now)


def advice_dismiss(*, by: Actor, advice_id: Any, now: datetime.datetime | None = None) -> Advice:
    """不采纳: the manager sets a suggestion aside (it stays for the weekly report)."""
    now = now or timezone.now()
    with transaction.atomic():
        advice = _advice(by, advice_id)
        return _decide(by, advice, AdviceStatus.DISMISSED, now)


def _decide(by: Actor, advice: Advice, status: str, now: datetime.datetime) -> Advice:
    before = advice.status
    advice.status = status
    advice.decided_by = None if is_system(by) else user_of(by)
    advice.decided_at = now
    advice.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=by, action=f"staffing.advice.{'apply' if status == AdviceStatus.APPLIED else 'dismiss'}",
                 target=advice, before={"status": before}, after={"status": status, "kind": advice.kind,
                                                                   "window": advice.window_id})
    return advice
