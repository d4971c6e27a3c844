"""centers_live (the service wall's live counters, issue #16 part 4): exact counters per center,
the district a center lies in, and three statements whatever the number of centers."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.centers.choices import CenterLevel, WindowState
from onewindow.centers.models import Center, Window
from onewindow.centers.selectors import centers_live
from onewindow.centers.services import queue
from onewindow.centers.testing import MONDAY_10, CenterWorld, take

pytestmark = pytest.mark.django_db
DAY = MONDAY_10.date()


def test_live_counters_of_a_center(center_world: CenterWorld) -> None:
    w = center_world
    a1 = take(w, w.a, 0)
    take(w, w.b, 3)
    take(w, w.c, 4)
    queue.ticket_call_next(by=w.clerk, window_id=w.w2.pk, now=w.at(9))  # B001 waited 6 min
    queue.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(10))  # A001 waited 10 min
    queue.ticket_cancel(status_code=take(w, w.a, 12).status_code, now=w.at(13))
    Window.objects.filter(pk=w.w3.pk).update(state=WindowState.PAUSED)
    [row] = centers_live(DAY)
    assert (row.code, row.name, row.department_id, row.district_code) == (
        "TEST-LFL", "临汾路中心", w.cw.center.pk, "310106")
    assert (row.tickets_waiting, row.tickets_taken, row.waits, row.wait_seconds, row.windows_open) == (
        1, 4, 2, 960.0, 2)
    assert row.called_last == "A001" and a1.display == "A001"


def test_another_day_and_an_inactive_center(center_world: CenterWorld) -> None:
    take(center_world, center_world.a, 0)
    [row] = centers_live(DAY + datetime.timedelta(days=1))
    assert (row.tickets_waiting, row.tickets_taken, row.waits, row.called_last) == (0, 0, 0, None)
    Center.objects.filter(pk=center_world.center.pk).update(is_active=False)
    assert centers_live(DAY) == []


def test_the_district_of_a_center_and_constant_statements(center_world: CenterWorld,
                                                          django_assert_num_queries: Any) -> None:
    p = center_world.cw.p
    with django_assert_num_queries(3):
        centers_live(DAY)
    Center.objects.create(code="TEST-D", name="徐汇区中心", level=CenterLevel.DISTRICT, region=p.other_district,
                          department=p.other_department)
    Center.objects.create(code="TEST-CITY", name="市级中心", level=CenterLevel.CITY, region=p.city,
                          department=p.department)
    with django_assert_num_queries(3):
        rows = centers_live(DAY)
    assert [(r.code, r.name, r.district_code) for r in rows] == [
        ("TEST-CITY", "市级中心", None), ("TEST-D", "徐汇区中心", "310104"), ("TEST-LFL", "临汾路中心", "310106")]
