"""Platform statistics (issue #12 part 9): the numbers per department and month counted from rows
written here, the page (who may open it, filters, a refused month), and the xlsx export's cells."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.supervision.choices import DrawPlanKind, DrawPlanStatus, ResultOutcome
from onewindow.supervision.models import Alert, DualNoticeTask
from onewindow.supervision.selectors.platform_statistics import MEASURES, platform_statistics
from onewindow.supervision.services.alert_scan import alerts_scan
from onewindow.supervision.testing import FOOD_SCOPE, SupervisionWorld

from . import alerts_world as w

SUPERVISION = {"manager", "admin", "regulator", "data_clerk", "regulator_other", "culture_regulator"}
D = datetime.date


def counts(**values: int) -> dict[str, int]:
    return {m: values.get(m, 0) for m in MEASURES}


@pytest.fixture
def figures(world: SupervisionWorld) -> SupervisionWorld:
    """Rows in 2017-08 and 2017-09 for the market bureau (``department``) and the culture bureau."""
    dept, culture = world.department, world.culture
    orgs = [world.organization(f"上海统计{i}有限公司") for i in range(5)]
    # Market bureau, August: two drawn plans (one closed) over 3 distinct entities, one cancelled
    # and one only published (neither counts).
    p1 = w.plan(dept, drawn_on=D(2017, 8, 3))
    p2 = w.plan(dept, drawn_on=D(2017, 8, 20), status=DrawPlanStatus.CLOSED)
    w.plan(dept, status=DrawPlanStatus.CANCELLED)
    w.plan(dept, status=DrawPlanStatus.PUBLISHED)
    i1, i2 = w.inspection(p1, orgs[0]), w.inspection(p1, orgs[1])
    i3, _i4 = w.inspection(p2, orgs[0]), w.inspection(p2, orgs[2])
    # Problems: i1 has two problem results (one inspection), i2 none, i3 one by the culture bureau.
    w.result(i1, dept, ResultOutcome.RECTIFY, rectify_by=D(2017, 9, 1), recorded_on=D(2017, 8, 10))
    w.result(i1, culture, ResultOutcome.NOT_DISCLOSED, recorded_on=D(2017, 8, 11))
    w.result(i2, dept, recorded_on=D(2017, 8, 12))
    w.result(i3, culture, ResultOutcome.UNCOOPERATIVE, recorded_on=D(2017, 9, 2))
    # Culture bureau, September: a joint plan with 3 inspections in 2 groups.
    joint = w.plan(culture, drawn_on=D(2017, 9, 4), kind=DrawPlanKind.JOINT)
    w.inspection(joint, orgs[3], group=1)
    w.inspection(joint, orgs[4], group=1)
    w.inspection(joint, orgs[0], group=2)
    # 双告知: two tasks of the market bureau notified in August (one notice each).
    for org in orgs[:2]:
        world.register(FOOD_SCOPE, organization=org, at=w.aware(D(2017, 8, 1)))
    # 联合惩戒: one listing by each bureau in September, one by the market bureau in August.
    w.listing(dept, orgs[1], D(2017, 9, 1))
    w.listing(culture, orgs[2], D(2017, 9, 2))
    w.listing(dept, orgs[3], D(2017, 8, 2))
    # 监管预警 raised on 2017-09-05: the two September listings (new_sanction, 30 days), the rectify
    # result overdue, the two 双告知 tasks past their deadline; the August listing is 34 days old.
    alerts_scan(today=D(2017, 9, 5))
    return world


def test_the_numbers_from_the_rows(figures: SupervisionWorld) -> None:
    world = figures
    assert Alert.objects.count() == 5
    assert DualNoticeTask.objects.filter(department=world.department).count() == 2
    s = platform_statistics(world.regulator)
    cells = {(r.department, r.month): r.counts for r in s.rows}
    market, culture = world.department.name, world.culture.name
    assert cells == {
        (market, "2017-08"): counts(draws=2, entities=3, problems=1, notices=2, sanctions=1),
        (market, "2017-09"): counts(sanctions=1, alerts=4),
        (culture, "2017-08"): counts(problems=1),
        (culture, "2017-09"): counts(draws=1, entities=3, problems=1, joint_groups=2, sanctions=1, alerts=1),
    }
    assert s.totals == counts(draws=3, entities=6, problems=3, joint_groups=2, notices=2, sanctions=3, alerts=5)
    assert [(name, c["draws"]) for _pk, name, c in s.departments] == sorted(
        [(market, 2), (culture, 1)], key=lambda x: {market: world.department.code, culture: world.culture.code}[x[0]]
    )
    assert [(m, c["alerts"]) for m, c in s.months] == [("2017-08", 0), ("2017-09", 5)]
    chart = s.chart()
    assert (chart["months"], chart["by_month"]["draws"]) == (["2017-08", "2017-09"], [2, 1])


def test_period_and_department_filters(figures: SupervisionWorld) -> None:
    world = figures
    september = platform_statistics(world.admin, first=D(2017, 9, 1), last=D(2017, 9, 30))
    assert september.totals == counts(draws=1, entities=3, problems=1, joint_groups=2, sanctions=2, alerts=5)
    culture = platform_statistics(world.admin, department_id=world.culture.pk)
    assert culture.totals == counts(draws=1, entities=3, problems=2, joint_groups=2, sanctions=1, alerts=1)
    assert platform_statistics(world.citizen).rows == []
    assert platform_statistics(world.clerk).totals == counts()


@pytest.mark.parametrize("url", ["/supervision/statistics/platform/", "/supervision/statistics/platform/xlsx/"])
@pytest.mark.parametrize(
    "who", [n for n in PRINCIPAL_NAMES if n != "device"] + sorted(SUPERVISION - {"manager", "admin"})
)
def test_who_may_open_the_page_and_the_export(figures: SupervisionWorld, url: str, who: str) -> None:
    response = figures.client(who).get(url)
    if who == "anonymous":
        assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    elif who in SUPERVISION:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert 'data-code="supervision_staff_only"' in response.content.decode()


def test_the_page(figures: SupervisionWorld, django_assert_max_num_queries: Any) -> None:
    client = figures.client("regulator")
    with django_assert_max_num_queries(15):
        response = client.get("/supervision/statistics/platform/?from=2017-09&to=2017-09")
    text = response.content.decode()
    assert 'id="total-alerts">5<' in text
    assert 'id="total-draws">1<' in text
    assert 'id="chart-months"' in text and "vendor/echarts-5.6.0.min.js" in text
    assert 'href="/supervision/statistics/platform/xlsx/?from=2017-09&amp;to=2017-09"' in text
    empty = client.get("/supervision/statistics/platform/?from=2030-01")
    assert 'id="no-figures"' in empty.content.decode()


@pytest.mark.parametrize("query", ["from=2017-13", "to=17-09", "from=abcd-ef", "to=2017-9"])
def test_a_malformed_month_is_refused(figures: SupervisionWorld, query: str) -> None:
    for url in ("/supervision/statistics/platform/", "/supervision/statistics/platform/xlsx/"):
        response = figures.client("regulator").get(f"{url}?{query}")
        assert response.status_code == 422
        assert 'data-code="statistics_month_invalid"' in response.content.decode()


def test_the_xlsx_cells(figures: SupervisionWorld) -> None:
    from openpyxl import load_workbook

    world = figures
    response = world.client("admin").get("/supervision/statistics/platform/xlsx/?from=2017-09")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按部门和月份", "按部门", "按月份"]
    rows = [list(r) for r in book["按部门和月份"].iter_rows(values_only=True)]
    assert rows[0][0] == "监管平台统计（2017-09）"
    assert rows[1] == [
        "部门",
        "月份",
        "抽查任务",
        "抽查主体",
        "发现问题",
        "联合检查组",
        "双告知",
        "联合惩戒",
        "监管预警",
    ]
    body = sorted(rows[2:-1])
    assert body == sorted(
        [
            [world.department.name, "2017-09", 0, 0, 0, 0, 0, 1, 4],
            [world.culture.name, "2017-09", 1, 3, 1, 2, 0, 1, 1],
        ]
    )
    assert rows[-1] == ["合计", None, 1, 3, 1, 2, 0, 2, 5]
    months = [list(r) for r in book["按月份"].iter_rows(values_only=True)]
    assert months[2:] == [["2017-09", 1, 3, 1, 2, 0, 2, 5], ["合计", 1, 3, 1, 2, 0, 2, 5]]
