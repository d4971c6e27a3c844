"""The government-service wall (issue #16 part 4): exact figures of today across the centers,
the 16-district grid (a district without a center has no data, never 0), the centers' live
queues, when the wall is stale, and a statement count that does not grow with the centers."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from onewindow.analytics.models import RollupRun
from onewindow.analytics.services.rollups import rollup_update
from onewindow.bigscreen.selectors.wall import DISTRICT_GRID, GRID_COLS, GRID_ROWS, wall_snapshot
from onewindow.cases import services as case_services
from onewindow.cases.models import Case
from onewindow.cases.testing import FORM
from onewindow.catalog.models import ServiceItem
from onewindow.centers.choices import CenterLevel, WindowState
from onewindow.centers.models import Center, OpeningHours, Ticket, TicketCategory, Window
from onewindow.centers.services import queue
from onewindow.centers.services.rating import service_rate_by_code
from onewindow.centers.testing import MONDAY_10, CenterWorld, take
from onewindow.ratings.models import Rating

pytestmark = pytest.mark.django_db

MON = MONDAY_10.date()
AT = MONDAY_10 + datetime.timedelta(minutes=60)  # the wall is read at 11:00
LAST_WEEK = MONDAY_10 - datetime.timedelta(days=7)
#: Statements of one snapshot: regions, centers, tickets, windows, cases received, top items,
#: ratings, concluded, overdue, the last rollup run.
QUERIES = 10


@dataclass
class Today:
    world: CenterWorld
    cases: dict[str, Case]


def _window_case(world: CenterWorld, item: ServiceItem, *, received: datetime.datetime, **columns: Any) -> Case:
    """A case received at the test center's window through the services, then moved to ``received``
    (and given ``columns``: status, decided_at, deadline_level) as the wall reads them."""
    cw = world.cw
    with transaction.atomic():
        case = case_services.case_create(by=cw.center_clerk, item_code=item.code, channel="window",
                                         form_data=dict(FORM), applicant_person=cw.p.citizen.person,
                                         receiving_department=cw.center)
    case = case_services.case_submit(by=cw.center_clerk, case_id=case.pk)
    Case.objects.filter(pk=case.pk).update(submitted_at=received, **columns)
    return case


def _serve(world: CenterWorld, window: Window, minutes: int) -> Ticket:
    return queue.ticket_call_next(by=world.clerk, window_id=window.pk, now=world.at(minutes))


def build_today(world: CenterWorld) -> Today:
    """Four tickets (A001 at 10:00, A002 at 10:05, B001 at 10:10, C001 at 10:15); window 1 calls
    A001 at 10:20 (waited 20 min), window 2 B001 at 10:25 (15 min); both are served and rated (5
    and 3); window 3 is closed. Cases: three received today at the center (two of the district
    item, one of the street item), one of them decided today, one received last week and decided
    today, one open past its deadline, one delivered past it (not open), one received online by
    the district department (not a center's)."""
    a1 = take(world, world.a, 0)
    take(world, world.a, 5)
    b1 = take(world, world.b, 10)
    take(world, world.c, 15)
    assert _serve(world, world.w1, 20).pk == a1.pk
    assert _serve(world, world.w2, 25).pk == b1.pk
    for ticket, level in ((a1, 5), (b1, 3)):
        queue.ticket_start(by=world.clerk, ticket_id=ticket.pk, now=world.at(30))
        queue.ticket_finish(by=world.clerk, ticket_id=ticket.pk, now=world.at(40))
        ticket.refresh_from_db()
        service_rate_by_code(status_code=ticket.status_code, level=level, channel="web")
    Rating.objects.update(created_at=world.at(45))
    Window.objects.filter(pk=world.w3.pk).update(state=WindowState.CLOSED)
    cw = world.cw
    cases = {
        "open": _window_case(world, cw.item, received=world.at(-30)),
        "decided": _window_case(world, cw.item, received=world.at(-60), status="approved",
                                decided_at=world.at(20)),
        "street": _window_case(world, cw.street_item, received=world.at(-10)),
        "old_decided": _window_case(world, cw.item, received=LAST_WEEK, status="approved",
                                    decided_at=world.at(-50)),
        "overdue": _window_case(world, cw.item, received=LAST_WEEK, status="accepted", deadline_level="red"),
        "delivered_late": _window_case(world, cw.item, received=LAST_WEEK, status="delivered",
                                       decided_at=LAST_WEEK, deadline_level="red"),
    }
    online = cw.submitted()
    Case.objects.filter(pk=online.pk).update(submitted_at=world.at(-20))
    rollup_update()
    return Today(world=world, cases=cases)


@pytest.fixture
def today(center_world: CenterWorld) -> Today:
    return build_today(center_world)


def test_today_across_the_centers_is_exact(today: Today) -> None:
    data = wall_snapshot(now=AT)
    assert data["as_of"] == "2026-03-02T11:00:00+08:00"
    assert data["stale"] is False
    assert data["today"] == {
        "date": "2026-03-02", "tickets_waiting": 2, "tickets_taken": 4, "avg_wait_minutes": 17.5,
        "windows_open": 2, "cases_received": 3, "cases_concluded": 2, "overdue": 1,
        "rating_good_share": 0.5, "ratings": 2,
        "top_items": [{"code": "TESTCASE0000000000000000000001", "name": "食品经营许可（测试）", "count": 2},
                      {"code": "TESTCASE0000000000000000000002", "name": "小餐饮经营许可（测试）", "count": 1}],
    }
    json.dumps(data)  # JSON-ready as it is


def test_the_centers_list_their_live_queue(today: Today) -> None:
    assert wall_snapshot(now=AT)["centers"] == [
        {"code": "TEST-LFL", "name": "临汾路中心", "district": "310106", "tickets_waiting": 2, "windows_open": 2,
         "avg_wait_minutes": 17.5, "called_last": "B001"}]


def test_the_district_grid_has_sixteen_cells_and_no_zero_for_a_district_without_a_center(today: Today) -> None:
    districts = wall_snapshot(now=AT)["districts"]
    assert len(districts) == 16
    assert len({d["code"] for d in districts}) == 16
    assert len({(d["row"], d["col"]) for d in districts}) == 16
    assert all(0 <= d["row"] < GRID_ROWS and 0 <= d["col"] < GRID_COLS for d in districts)
    by_code = {d["code"]: d for d in districts}
    assert by_code["310106"] == {"code": "310106", "name": "静安区", "name_en": "Jing'an", "row": 2, "col": 2,
                                 "has_data": True, "tickets_waiting": 2, "windows_open": 2,
                                 "avg_wait_minutes": 17.5, "cases_received": 3, "cases_concluded": 2}
    assert by_code["310104"] == {"code": "310104", "name": "徐汇区", "name_en": "Xuhui", "row": 3, "col": 2,
                                 "has_data": False, "tickets_waiting": None, "windows_open": None,
                                 "avg_wait_minutes": None, "cases_received": None, "cases_concluded": None}
    assert [d["code"] for d in districts if d["has_data"]] == ["310106"]


def test_the_grid_is_roughly_geographic() -> None:
    place = {cell.name: (cell.row, cell.col) for cell in DISTRICT_GRID}
    assert place["崇明区"][0] == min(r for r, _c in place.values())  # Chongming on top
    assert place["金山区"][0] == max(r for r, _c in place.values())  # Jinshan at the bottom
    assert place["浦东新区"][1] == max(c for _r, c in place.values())  # Pudong on the right
    assert place["青浦区"][1] == min(c for _r, c in place.values())  # Qingpu on the left


def test_a_day_without_activity_shows_zeros_for_the_centers_and_no_averages(center_world: CenterWorld) -> None:
    rollup_update()
    data = wall_snapshot(now=AT)
    assert data["today"] == {"date": "2026-03-02", "tickets_waiting": 0, "tickets_taken": 0, "avg_wait_minutes": None,
                             "windows_open": 3, "cases_received": 0, "cases_concluded": 0, "overdue": 0,
                             "rating_good_share": None, "ratings": 0, "top_items": []}
    assert data["centers"][0]["called_last"] is None and data["centers"][0]["avg_wait_minutes"] is None


def test_yesterdays_queue_is_not_todays(today: Today) -> None:
    data = wall_snapshot(now=AT + datetime.timedelta(days=1))
    assert data["today"]["tickets_waiting"] == 0 and data["today"]["tickets_taken"] == 0
    assert data["today"]["cases_received"] == 0 and data["today"]["cases_concluded"] == 0
    assert data["today"]["overdue"] == 1  # open past its deadline whatever the day
    assert data["centers"][0]["called_last"] is None


def test_stale_when_no_rollup_run_finished_recently(center_world: CenterWorld, settings: Any) -> None:
    assert wall_snapshot(now=AT)["stale"] is True  # the rollups never ran
    run = rollup_update()
    assert run.finished_at is not None
    assert wall_snapshot(now=run.finished_at + datetime.timedelta(minutes=14))["stale"] is False
    assert wall_snapshot(now=run.finished_at + datetime.timedelta(minutes=16))["stale"] is True
    settings.BIGSCREEN_WALL_STALE_MINUTES = 30
    assert wall_snapshot(now=run.finished_at + datetime.timedelta(minutes=16))["stale"] is False
    # a failed run does not count as fresh
    RollupRun.objects.create(kind="update", started_at=run.finished_at + datetime.timedelta(minutes=20),
                             finished_at=run.finished_at + datetime.timedelta(minutes=20), error="boom")
    assert wall_snapshot(now=run.finished_at + datetime.timedelta(minutes=40))["stale"] is True


def _second_center(world: CenterWorld) -> Center:
    """Another center in 徐汇区 (a district-level one) with its own queue: two tickets waiting."""
    district = world.cw.p.other_district
    center = Center.objects.create(code="TEST-XH", name="徐汇区行政服务中心（测试）", short_name="徐汇中心",
                                   level=CenterLevel.DISTRICT, region=district,
                                   department=world.cw.p.other_department)
    for weekday in range(5):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=datetime.time(8, 30),
                                    closes=datetime.time(17, 0), last_ticket=datetime.time(16, 30))
    category = TicketCategory.objects.create(center=center, prefix="A", name="综合", service_minutes=10)
    window = Window.objects.create(center=center, number=1, state=WindowState.OPEN)
    window.categories.set([category])
    for minutes in (0, 1):
        queue.ticket_take(by=None, center_id=center.pk, category_id=category.pk, now=world.at(minutes))
    return center


def test_the_statements_do_not_grow_with_the_centers(today: Today, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(QUERIES):
        wall_snapshot(now=AT)
    _second_center(today.world)
    with django_assert_num_queries(QUERIES):
        data = wall_snapshot(now=AT)
    assert [c["code"] for c in data["centers"]] == ["TEST-LFL", "TEST-XH"]
    assert data["centers"][1] == {"code": "TEST-XH", "name": "徐汇中心", "district": "310104", "tickets_waiting": 2,
                                  "windows_open": 1, "avg_wait_minutes": None, "called_last": None}
    assert data["today"]["tickets_waiting"] == 4 and data["today"]["windows_open"] == 3
    xuhui = next(d for d in data["districts"] if d["code"] == "310104")
    assert xuhui["has_data"] is True and xuhui["tickets_waiting"] == 2 and xuhui["cases_received"] == 0


def test_an_inactive_center_is_left_out(today: Today) -> None:
    Center.objects.filter(pk=today.world.center.pk).update(is_active=False)
    data = wall_snapshot(now=AT)
    assert data["centers"] == []
    assert data["today"]["tickets_waiting"] == 0 and data["today"]["cases_concluded"] == 0
    assert data["today"]["cases_received"] == 0 and data["today"]["top_items"] == []
    assert data["today"]["ratings"] == 0 and data["today"]["rating_good_share"] is None
    assert not any(d["has_data"] for d in data["districts"])


def test_as_of_is_now_in_shanghai_time(center_world: CenterWorld) -> None:
    moment = timezone.make_aware(datetime.datetime(2026, 3, 2, 23, 59, 30))
    data = wall_snapshot(now=moment)
    assert data["as_of"] == "2026-03-02T23:59:30+08:00" and data["today"]["date"] == "2026-03-02"
