"""The weekly staffing report (issue #15 part 6): per day and slot of a week, the advice given and
what became of it (applied, dismissed, expired, pending), the windows open (the centers' window
events: open/resume to pause/close, at the slot's middle), and the waits that resulted
(``analytics.selectors.slots.slot_history``: the rollup of the tickets taken in the slot), with
totals per day and for the week. As a dict for the page and its chart, and as xlsx (core.xlsx)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.utils.translation import gettext as _

from onewindow.analytics.selectors.slots import slot_history
from onewindow.centers.models import Center, Window
from onewindow.core.xlsx import Sheet, workbook_bytes

from .choices import AdviceStatus
from .models import Advice
from .plans import SLOT_SECONDS, slot_label
from .selectors.advice import window_changes, windows_open_at

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
STATUSES = [AdviceStatus.SUGGESTED, AdviceStatus.APPLIED, AdviceStatus.DISMISSED, AdviceStatus.EXPIRED]


def _empty_total() -> dict[str, Any]:
    return {"advice": 0, "applied": 0, "dismissed": 0, "expired": 0, "pending": 0, "arrivals": 0, "waits": 0,
            "wait_seconds": 0, "window_slots": 0}


def _add(total: dict[str, Any], row: dict[str, Any]) -> None:
    for key in ("advice", "applied", "dismissed", "expired", "pending", "arrivals", "waits", "wait_seconds"):
        total[key] += row[key]
    total["window_slots"] += row["windows_open"]


def _finish(total: dict[str, Any]) -> dict[str, Any]:
    total["mean_wait_minutes"] = round(total["wait_seconds"] / total["waits"] / 60, 2) if total["waits"] else None
    total["applied_share"] = round(total["applied"] / total["advice"], 4) if total["advice"] else None
    total["window_hours"] = total["window_slots"] * SLOT_SECONDS / 3600
    return total


def weekly_report(center_id: int, week_start: datetime.date) -> dict[str, Any]:
    """The report of the week starting ``week_start``: ``days`` (date, weekday, ``slots`` rows,
    ``total``) and ``total``. A slot row appears when anything happened in it (advice, arrivals or
    a window open): slot, label, advice (window number, kind, status, text), advice/applied/
    dismissed/expired/pending counts, windows open (count and numbers), arrivals, waits and their
    mean in minutes."""
    center = Center.objects.get(pk=center_id)
    days = [week_start + datetime.timedelta(days=d) for d in range(7)]
    numbers = dict(Window.objects.filter(center_id=center_id).values_list("pk", "number"))
    advice: dict[tuple[datetime.date, int], list[Advice]] = defaultdict(list)
    for a in Advice.objects.filter(center_id=center_id, date__gte=days[0], date__lte=days[-1]).order_by("slot", "id"):
        advice[(a.date, a.slot)].append(a)
    facts: dict[tuple[datetime.date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for fact_row in slot_history(center_id, days[0], days[-1]):
        fact = facts[(fact_row.day, fact_row.slot)]
        fact[0] += fact_row.arrivals
        fact[1] += fact_row.waits
        fact[2] += fact_row.wait_seconds
    week_total = _empty_total()
    out_days = []
    for day in days:
        changes = window_changes(center_id, day)
        day_total = _empty_total()
        rows = []
        for slot in range(48):
            given = advice.get((day, slot), [])
            open_ids = windows_open_at(changes, slot * SLOT_SECONDS + SLOT_SECONDS // 2)
            arrivals, waits, wait_seconds = facts.get((day, slot), [0, 0, 0])
            if not (given or open_ids or arrivals):
                continue
            counts = {s: sum(1 for a in given if a.status == s) for s in STATUSES}
            row = {"slot": slot, "label": slot_label(slot), "advice": [
                {"window": numbers.get(a.window_id), "kind": a.kind, "status": a.status,
                 "text": str((a.reason or {}).get("text", ""))} for a in given],
                   "advice_count": len(given), "applied": counts[AdviceStatus.APPLIED],
                   "dismissed": counts[AdviceStatus.DISMISSED], "expired": counts[AdviceStatus.EXPIRED],
                   "pending": counts[AdviceStatus.SUGGESTED], "windows_open": len(open_ids),
                   "windows": sorted(numbers.get(w, 0) for w in open_ids), "arrivals": arrivals, "waits": waits,
                   "wait_seconds": wait_seconds,
                   "mean_wait_minutes": round(wait_seconds / waits / 60, 2) if waits else None}
            _add(day_total, {**row, "advice": len(given)})
            rows.append(row)
        _add(week_total, {**day_total, "windows_open": day_total["window_slots"]})
        out_days.append({"date": day, "weekday": str(WEEKDAYS[day.weekday()]), "slots": rows,
                         "total": _finish(day_total)})
    return {"center": center.name, "week_start": week_start, "days": out_days, "total": _finish(week_total)}


_STATUS_TEXT = {AdviceStatus.SUGGESTED: "待处理", AdviceStatus.APPLIED: "已采纳", AdviceStatus.DISMISSED: "未采纳",
                AdviceStatus.EXPIRED: "已过时"}


def weekly_report_xlsx(center_id: int, week_start: datetime.date) -> bytes:
    """Sheets 时段明细 (one row per day and slot of the report) and 汇总 (one per day and the week)."""
    report = weekly_report(center_id, week_start)
    title = _("%(center)s 弹性调配周报（%(start)s 起）") % {"center": report["center"],
                                                        "start": week_start.isoformat()}
    detail = []
    for day in report["days"]:
        for row in day["slots"]:
            detail.append([day["date"], day["weekday"], row["label"], row["windows_open"],
                           "、".join(str(n) for n in row["windows"]), row["arrivals"], row["waits"],
                           row["mean_wait_minutes"], row["advice_count"], row["applied"], row["dismissed"],
                           row["expired"],
                           "；".join(f"{a['text']}（{_(_STATUS_TEXT.get(a['status'], a['status']))}）"
                                    for a in row["advice"])])
    summary = [[d["date"], d["weekday"], *_summary(d["total"])] for d in report["days"]]
    sheets = [
        Sheet(name=_("时段明细"), title=title, rows=detail, widths=(12, 6, 8, 8, 14, 8, 8, 10, 8, 8, 8, 8, 60),
              headers=[_("日期"), _("星期"), _("时段"), _("开放窗口数"), _("开放窗口"), _("取号数"), _("等候计数"),
                       _("平均等候（分钟）"), _("建议数"), _("已采纳"), _("未采纳"), _("已过时"), _("建议")]),
        Sheet(name=_("汇总"), title=title, rows=summary, footer=[_("合计"), "", *_summary(report["total"])],
              headers=[_("日期"), _("星期"), _("建议数"), _("已采纳"), _("未采纳"), _("已过时"), _("待处理"),
                       _("采纳率"), _("取号数"), _("等候计数"), _("平均等候（分钟）"), _("窗口工时")],
              widths=(12, 6, 8, 8, 8, 8, 8, 8, 8, 8, 10, 10)),
    ]
    return workbook_bytes(sheets)


def _summary(total: dict[str, Any]) -> list[Any]:
    return [total["advice"], total["applied"], total["dismissed"], total["expired"], total["pending"],
            total["applied_share"], total["arrivals"], total["waits"], total["mean_wait_minutes"],
            total["window_hours"]]
