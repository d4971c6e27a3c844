"""The government-service wall (政务服务大屏, issue #16 part 4): today across all service centers,
the 16 districts of Shanghai as a grid, and every center with its live queue.

"Read from rollups, plus live counters for now" (issue #16 part 4):

- live, from the centers (``centers.selectors.centers_live``): tickets waiting now and taken
  today, the average wait of today's called tickets (taken → call), windows open now, the last
  ticket called;
- the day's figures from the rollups (``analytics.selectors.wall``, refreshed every 5 minutes,
  decision 0017): cases received today, the top items, the ratings (好差评: the share of 非常满意
  and 满意, DOMAIN.md R3.2);
- two case counts the rollups do not hold, from the cases app's grouped counts: cases concluded
  (办结) today — CaseDayFact counts conclusions by the day a case was received, not the day it
  was decided — and open cases past their deadline now (超期).

Figures count at the center whose department received the case (受理单位). A district's figures
are the sums of its centers'; a district without a center has ``has_data`` false and nulls (the
screen shows 暂无数据, never 0). The districts are a grid (row, col), not a map: no online tiles
on the extranet, and no map is published without a 审图号 (issue #16 part 4).

``stale``: true when the rollups' day figures are behind — no successful rollup run finished in
the last ``BIGSCREEN_WALL_STALE_MINUTES`` (default 15: three missed 5-minute updates; a run is
recorded every 5 minutes even with no new event, so silence means the scheduler or the worker is
down), or none ever did. The live counters are read at each computation and are never stale.

Ten statements whatever the number of centers (grouped in SQL): the producer computes it once
per interval for every screen (bigscreen.broadcast).
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.utils import timezone

from onewindow.analytics.selectors import wall as day_figures
from onewindow.cases.selectors import concluded_counts, overdue_open_counts
from onewindow.centers.selectors import CenterLive, centers_live
from onewindow.core.selectors import region_list

#: Default of BIGSCREEN_WALL_STALE_MINUTES: three missed rollup updates (every 5 minutes).
STALE_MINUTES = 15
TOP_ITEMS = 5


class GridCell(NamedTuple):
    """A district's place in the grid and its English name (the Chinese name is core.Region's)."""

    code: str
    name: str
    name_en: str
    row: int
    col: int


#: The 16 districts of Shanghai (GB/T 2260 codes, core/data/regions_shanghai.json) as a tile grid
#: of 6 rows × 5 columns, roughly where they lie: 崇明 on top, 嘉定 and 宝山 below it; 青浦,
#: 普陀, 静安, 虹口, 杨浦 across the middle; 松江, 长宁, 徐汇, 黄浦 and 浦东 on the right; 闵行
#: below 徐汇; 金山 and 奉贤 at the bottom. ``name`` is used only if the region is not loaded.
DISTRICT_GRID: tuple[GridCell, ...] = (
    GridCell("310151", "崇明区", "Chongming", 0, 3),
    GridCell("310114", "嘉定区", "Jiading", 1, 1),
    GridCell("310113", "宝山区", "Baoshan", 1, 2),
    GridCell("310118", "青浦区", "Qingpu", 2, 0),
    GridCell("310107", "普陀区", "Putuo", 2, 1),
    GridCell("310106", "静安区", "Jing'an", 2, 2),
    GridCell("310109", "虹口区", "Hongkou", 2, 3),
    GridCell("310110", "杨浦区", "Yangpu", 2, 4),
    GridCell("310117", "松江区", "Songjiang", 3, 0),
    GridCell("310105", "长宁区", "Changning", 3, 1),
    GridCell("310104", "徐汇区", "Xuhui", 3, 2),
    GridCell("310101", "黄浦区", "Huangpu", 3, 3),
    GridCell("310115", "浦东新区", "Pudong", 3, 4),
    GridCell("310112", "闵行区", "Minhang", 4, 2),
    GridCell("310116", "金山区", "Jinshan", 5, 1),
    GridCell("310120", "奉贤区", "Fengxian", 5, 2),
)
GRID_ROWS, GRID_COLS = 6, 5


def stale_minutes() -> int:
    return int(getattr(settings, "BIGSCREEN_WALL_STALE_MINUTES", STALE_MINUTES))


def _iso(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _minutes(seconds: float, waits: int) -> float | None:
    """Average wait in minutes (one decimal), None when nothing was called."""
    return round(seconds / waits / 60, 1) if waits else None


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


def _center_row(c: CenterLive) -> dict[str, Any]:
    return {"code": c.code, "name": c.name, "district": c.district_code, "tickets_waiting": c.tickets_waiting,
            "windows_open": c.windows_open, "avg_wait_minutes": _minutes(c.wait_seconds, c.waits),
            "called_last": c.called_last}


def _districts(centers: list[CenterLive], received: dict[int, int], concluded: dict[int, int],
               day: datetime.date) -> list[dict[str, Any]]:
    names = {r.code: r.name for r in region_list(level="district", valid_on=day)}
    out = []
    for cell in DISTRICT_GRID:
        mine = [c for c in centers if c.district_code == cell.code]
        row: dict[str, Any] = {"code": cell.code, "name": names.get(cell.code, cell.name), "name_en": cell.name_en,
                               "row": cell.row, "col": cell.col, "has_data": bool(mine)}
        if mine:
            waits = sum(c.waits for c in mine)
            row.update(tickets_waiting=sum(c.tickets_waiting for c in mine),
                       windows_open=sum(c.windows_open for c in mine),
                       avg_wait_minutes=_minutes(sum(c.wait_seconds for c in mine), waits),
                       cases_received=sum(received.get(c.pk, 0) for c in mine),
                       cases_concluded=sum(concluded.get(c.pk, 0) for c in mine))
        else:
            row.update(tickets_waiting=None, windows_open=None, avg_wait_minutes=None, cases_received=None,
                       cases_concluded=None)
        out.append(row)
    return out


def _by_center(counts: dict[int, int], centers: list[CenterLive]) -> dict[int, int]:
    """Counts per receiving department → per center (the first center of a department, by code,
    as the rollups attribute a department's cases to one center)."""
    out: dict[int, int] = {}
    taken: set[int] = set()
    for c in centers:
        if c.department_id not in taken:
            taken.add(c.department_id)
            out[c.pk] = counts.get(c.department_id, 0)
    return out


def wall_snapshot(*, now: datetime.datetime | None = None) -> dict[str, Any]:
    """The wall's data (payload contract "wall data", issue #16): JSON-ready, public aggregates
    only (no personal data; counts of tickets, windows, cases and ratings). ``now`` defaults to
    the present moment; "today" is its local date (Asia/Shanghai)."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    centers = centers_live(day)
    departments = sorted({c.department_id for c in centers})
    received = day_figures.received_by_center(day)
    concluded = _by_center(concluded_counts(department_ids=departments, start=_day_bounds(day)[0],
                                            end=_day_bounds(day)[1]), centers)
    overdue = _by_center(overdue_open_counts(department_ids=departments), centers)
    levels = day_figures.ratings_by_level(day, center_ids=[c.pk for c in centers])
    as_of = day_figures.rollups_as_of()
    waits = sum(c.waits for c in centers)
    today = {
        "date": day.isoformat(),
        "tickets_waiting": sum(c.tickets_waiting for c in centers),
        "tickets_taken": sum(c.tickets_taken for c in centers),
        "avg_wait_minutes": _minutes(sum(c.wait_seconds for c in centers), waits),
        "windows_open": sum(c.windows_open for c in centers),
        "cases_received": sum(received.get(c.pk, 0) for c in centers),
        "cases_concluded": sum(concluded.values()),
        "overdue": sum(overdue.values()),
        "rating_good_share": day_figures.good_share(levels),
        "ratings": sum(levels.values()),
        "top_items": day_figures.top_items(day, center_ids=[c.pk for c in centers], limit=TOP_ITEMS),
    }
    return {
        "as_of": _iso(now),
        "stale": as_of is None or now - as_of > datetime.timedelta(minutes=stale_minutes()),
        "today": today,
        "districts": _districts(centers, received, concluded, day),
        "centers": [_center_row(c) for c in centers],
    }
