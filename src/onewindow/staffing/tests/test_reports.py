"""The weekly staffing report (issue #15 part 6): advice against what was done, the windows open and
the waits that resulted, with exact figures, and its xlsx opened with openpyxl."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from onewindow.analytics.models import TicketSlotFact
from onewindow.centers.choices import WindowEventAction
from onewindow.centers.models import WindowEvent
from onewindow.centers.testing import CenterWorld
from onewindow.staffing.choices import AdviceKind, AdviceStatus, FlagKind
from onewindow.staffing.models import Advice
from onewindow.staffing.reports import weekly_report, weekly_report_xlsx
from onewindow.staffing.testing import MONDAY, StaffingWorld, build_staffing_world

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def world(center_world: CenterWorld) -> StaffingWorld:
    return build_staffing_world(center_world)


def _at(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _plant(sw: StaffingWorld) -> None:
    """Monday: window 1 open 08:30–17:00, window 3 open 10:05–11:00 after the advice to open it
    (applied), the advice to pause window 2 dismissed; 15 waits of 10 minutes on average in the
    10:00 slot. Tuesday: an expired advice at 15:00 and 4 waits of 4 minutes, no window event."""
    w = sw.windows
    for window, action, at in [(w[1], WindowEventAction.OPEN, _at(MONDAY, 8, 30)),
                               (w[1], WindowEventAction.CLOSE, _at(MONDAY, 17, 0)),
                               (w[3], WindowEventAction.OPEN, _at(MONDAY, 10, 5)),
                               (w[3], WindowEventAction.PAUSE, _at(MONDAY, 11, 0))]:
        WindowEvent.objects.create(center=sw.center, window=window, action=action, at=at)
    for day, slot, window, kind, status, text in [
            (MONDAY, 20, w[3], AdviceKind.OPEN, AdviceStatus.APPLIED, "开启3号窗口受理A、C类，至11:00"),
            (MONDAY, 20, w[2], AdviceKind.CLOSE, AdviceStatus.DISMISSED, "暂停2号窗口"),
            (TUESDAY, 30, w[4], AdviceKind.CLOSE, AdviceStatus.EXPIRED, "暂停4号窗口")]:
        Advice.objects.create(center=sw.center, date=day, slot=slot, flag=FlagKind.SHORT, kind=kind, window=window,
                              status=status, reason={"text": text}, created_at=_at(day, 10, 0))
    a, c = sw.categories["A"], sw.categories["C"]
    for day, slot, category, n, seconds in [(MONDAY, 20, a, 12, 7200), (MONDAY, 20, c, 3, 1800),
                                            (TUESDAY, 30, a, 4, 960)]:
        TicketSlotFact.objects.create(center=sw.center, day=day, slot=slot, category=category, arrivals=n, waits=n,
                                      wait_seconds=seconds, served=n)


def test_weekly_report_figures(world: StaffingWorld) -> None:
    sw = world
    _plant(sw)
    report = weekly_report(sw.center.pk, MONDAY)
    monday, tuesday = report["days"][0], report["days"][1]
    assert [s["slot"] for s in monday["slots"]] == list(range(17, 34))
    row = next(s for s in monday["slots"] if s["slot"] == 20)
    assert {k: row[k] for k in ("label", "windows_open", "windows", "arrivals", "waits", "mean_wait_minutes",
                                "advice_count", "applied", "dismissed", "expired", "pending")} == {
        "label": "10:00", "windows_open": 2, "windows": [1, 3], "arrivals": 15, "waits": 15, "mean_wait_minutes": 10.0,
        "advice_count": 2, "applied": 1, "dismissed": 1, "expired": 0, "pending": 0}
    assert [a["window"] for a in row["advice"]] == [3, 2]
    assert next(s for s in monday["slots"] if s["slot"] == 22)["windows"] == [1]
    assert {k: monday["total"][k] for k in ("advice", "applied", "dismissed", "arrivals", "waits",
                                             "mean_wait_minutes", "applied_share", "window_hours")} == {
        "advice": 2, "applied": 1, "dismissed": 1, "arrivals": 15, "waits": 15, "mean_wait_minutes": 10.0,
        "applied_share": 0.5, "window_hours": 9.5}
    assert [(s["slot"], s["windows_open"], s["expired"], s["mean_wait_minutes"]) for s in tuesday["slots"]] == [
        (30, 0, 1, 4.0)]
    assert report["days"][2]["slots"] == [] and report["days"][2]["total"]["mean_wait_minutes"] is None
    total = report["total"]
    assert {k: total[k] for k in ("advice", "applied", "dismissed", "expired", "pending", "arrivals", "waits",
                                  "wait_seconds", "mean_wait_minutes", "applied_share", "window_hours")} == {
        "advice": 3, "applied": 1, "dismissed": 1, "expired": 1, "pending": 0, "arrivals": 19, "waits": 19,
        "wait_seconds": 9960, "mean_wait_minutes": 8.74, "applied_share": 0.3333, "window_hours": 9.5}


def test_weekly_report_xlsx_opens_with_the_figures(world: StaffingWorld) -> None:
    sw = world
    _plant(sw)
    book = openpyxl.load_workbook(io.BytesIO(weekly_report_xlsx(sw.center.pk, MONDAY)))
    assert book.sheetnames == ["时段明细", "汇总"]
    detail = list(book["时段明细"].iter_rows(values_only=True))
    assert detail[0][0] == f"{sw.center.name} 弹性调配周报（2026-03-02 起）"
    assert detail[1][:3] == ("日期", "星期", "时段")
    assert len(detail) == 2 + 17 + 1
    row = next(r for r in detail[2:] if r[1] == "周一" and r[2] == "10:00")
    assert row == (datetime.datetime(2026, 3, 2), "周一", "10:00", 2, "1、3", 15, 15, 10, 2, 1, 1, 0,
                   "开启3号窗口受理A、C类，至11:00（已采纳）；暂停2号窗口（未采纳）")
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[1] == ("日期", "星期", "建议数", "已采纳", "未采纳", "已过时", "待处理", "采纳率", "取号数",
                          "等候计数", "平均等候（分钟）", "窗口工时")
    assert summary[2] == (datetime.datetime(2026, 3, 2), "周一", 2, 1, 1, 0, 0, 0.5, 15, 15, 10, 9.5)
    assert summary[-1] == ("合计", None, 3, 1, 1, 1, 0, 0.3333, 19, 19, 8.74, 9.5)
    assert len(summary) == 2 + 7 + 1
