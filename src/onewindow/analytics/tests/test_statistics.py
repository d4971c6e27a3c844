"""统计分析 (issue #14 part 2): exact figures from a fixed rollup history, the authorization
matrix of the page and the API, the refusals with their codes, the xlsx export and the pinned
statement counts (they must not grow with the history)."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals
from onewindow.analytics.models import CaseDayFact, TicketHourFact
from onewindow.centers.testing import CenterWorld

from .stats_history import MON, PERIOD, History, build_history

pytestmark = pytest.mark.django_db
API = "/api/v1/analytics/statistics/"
PAGE = "/analytics/statistics/"


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    return build_history(center_world)


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chart(client: Client, name: str, **params: Any) -> dict[str, Any]:
    response = client.get(API + name, {**PERIOD, **params})
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def rows(data: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    return [(r["label"], r["values"]) for r in data["rows"]]


# --------------------------------------------------------------------------- exact figures (manager)
def test_manager_sees_the_volumes_of_the_whole_center(history: History) -> None:
    c = login(history.world.manager)
    items = chart(c, "items")
    assert items["center"] == history.world.center.pk and items["own_only"] is False
    assert [m["key"] for m in items["measures"]] == ["received", "accepted", "concluded", "overdue"]
    assert rows(items) == [("食品经营许可（测试）", [7, 6, 3, 1]), ("小餐饮经营许可（测试）", [4, 4, 4, 0])]
    assert rows(chart(c, "windows")) == [("1号窗口", [5, 1, 0]), ("2号窗口", [4, 0, 0])]
    clerks = chart(c, "clerks")
    assert [r["key"] for r in clerks["rows"]] == [str(history.world.clerk.pk), str(history.other_clerk.pk)]
    assert [r["values"] for r in clerks["rows"]] == [[5, 5], [4, 4]]


def test_channels_hours_and_weekdays(history: History) -> None:
    c = login(history.world.manager)
    channels = {r["key"]: r["values"] for r in chart(c, "channels")["rows"]}
    assert channels == {"online": [2, 0], "window": [9, 0], "kiosk": [0, 10], "wechat": [0, 2]}
    assert rows(chart(c, "hours")) == [("09:00", [8, 5]), ("10:00", [0, 0]), ("11:00", [4, 4])]
    weekdays = chart(c, "weekdays")
    assert [r["values"] for r in weekdays["rows"]] == [[5, 10], [6, 0], [0, 2], [0, 0], [0, 0], [0, 0], [0, 0]]
    assert weekdays["rows"][0]["label"] == "星期一"


def test_distributions_have_median_and_p90_from_the_merged_histograms(history: History) -> None:
    c = login(history.world.manager)
    waits = chart(c, "waits")
    # 30 s ×4, 60, 120, 300, 600, 900: median inside [60, 90) at 75, p90 inside [900, 1200) at 930.
    assert waits["summary"] == {"count": 9, "median_seconds": 75, "p90_seconds": 930}
    assert [(r["key"], r["values"]) for r in waits["rows"] if r["values"] != [0]] == [
        ("30", [4]), ("60", [1]), ("120", [1]), ("300", [1]), ("600", [1]), ("900", [1])]
    assert chart(c, "service_times")["summary"] == {"count": 5, "median_seconds": 360, "p90_seconds": 408}
    assert chart(c, "handling_times")["summary"]["count"] == 3


def test_ratings_overdue_and_compare(history: History) -> None:
    c = login(history.world.manager)
    ratings = chart(c, "ratings")
    assert ratings["summary"] == {"count": 6, "average_score": 3.33, "satisfied_share": 0.5, "bad": 2,
                                  "followups": 2, "followups_closed": 1, "followups_overdue": 1}
    assert [r["values"] for r in ratings["rows"]] == [[2], [1], [1], [1], [1]]  # 5, 4, 3, 2, 1
    assert rows(chart(c, "overdue")) == [("2026-03", [11, 1, 0.0909])]
    compare = {r["key"]: r["values"] for r in chart(c, "compare")["rows"]}
    assert compare["received"] == [11, 3, 8]
    assert compare["arrivals"] == [12, 0, 12]
    assert compare["average_score"] == [3.33, None, None]


def test_a_month_filter_and_the_default_period(history: History) -> None:
    c = login(history.world.manager)
    response = c.get(API + "items", {"month": "2025-03"})
    assert response.json()["start"] == "2025-03-01" and response.json()["end"] == "2025-03-31"
    assert rows(response.json()) == [("食品经营许可（测试）", [3, 3, 3, 0])]


# --------------------------------------------------------------------------- scope
def test_a_clerk_sees_only_their_own_rows(history: History) -> None:
    c = login(history.world.clerk)
    items = chart(c, "items")
    assert items["own_only"] is True
    assert rows(items) == [("食品经营许可（测试）", [5, 4, 3, 1])]
    assert [r["key"] for r in chart(c, "clerks")["rows"]] == [str(history.world.clerk.pk)]
    assert chart(c, "ratings")["summary"]["count"] == 4
    page = c.get(PAGE, PERIOD)
    assert page.status_code == 200
    assert "您看到的是本人经办的数据。" in page.content.decode()


def test_another_centers_manager_sees_nothing_of_this_center(history: History) -> None:
    c = login(history.other_manager)
    response = c.get(API + "items", {**PERIOD, "center": history.world.center.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "analytics_center_not_found"
    own = chart(c, "items")
    assert own["center"] == history.other_center.pk
    assert [r["values"] for r in own["rows"]] == [[100, 100, 0, 0]]
    page = c.get(PAGE, {**PERIOD, "center": history.world.center.pk})
    assert page.status_code == 404
    assert 'data-code="analytics_center_not_found"' in page.content.decode()


EXPECTED_API = {"anonymous": 401, "device": 403, "manager": 200, "admin": 200}


@pytest.mark.parametrize("name", PRINCIPAL_NAMES)
def test_api_authorization_matrix(history: History, principals: Principals, name: str) -> None:
    response = principals.client(name).get(API + "items", {**PERIOD, "center": history.world.center.pk})
    status = EXPECTED_API.get(name, 403)
    assert response.status_code == status
    if status == 200:
        assert response.json()["own_only"] is False
        assert [r["values"][0] for r in response.json()["rows"]] == [7, 4]
    elif name == "device":
        assert response.json()["code"] == "insufficient_scope"
    elif status == 403:
        assert response.json()["code"] == "analytics_statistics_forbidden"


@pytest.mark.parametrize("name", PRINCIPAL_NAMES)
def test_page_authorization_matrix(history: History, principals: Principals, name: str) -> None:
    response = principals.client(name).get(PAGE, {**PERIOD, "center": history.world.center.pk})
    if name in ("anonymous", "device"):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif name in ("manager", "admin"):
        assert response.status_code == 200
        assert 'id="table-items"' in response.content.decode()
    else:
        assert response.status_code == 403
        assert 'data-code="analytics_statistics_forbidden"' in response.content.decode()


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(("params", "status", "code"), [
    ({"start": "2026-03-31", "end": "2026-03-01"}, 422, "analytics_period_reversed"),
    ({"start": "2025-01-01", "end": "2026-03-31"}, 422, "analytics_period_too_long"),
    ({"start": "2026-3-1", "end": "2026-03-31"}, 422, "analytics_period_invalid"),
    ({"start": "2026-02-30"}, 422, "analytics_period_invalid"),
    ({"month": "2026-13"}, 422, "analytics_period_invalid"),
    ({"center": "999999"}, 404, "analytics_center_not_found"),
])
def test_bad_parameters_are_refused_with_stable_codes(history: History, params: dict[str, str], status: int,
                                                      code: str) -> None:
    c = login(history.world.manager)
    response = c.get(API + "items", params)
    assert response.status_code == status
    assert response.json()["code"] == code
    page = c.get(PAGE, params)
    assert page.status_code == status
    assert f'data-code="{code}"' in page.content.decode()


def test_unknown_chart_is_404(history: History) -> None:
    c = login(history.world.manager)
    response = c.get(API + "nosuch", PERIOD)
    assert response.status_code == 404
    assert response.json()["code"] == "analytics_chart_not_found"
    assert c.get("/analytics/statistics/nosuch/xlsx/", PERIOD).status_code == 404


def test_the_maximum_span_is_a_setting(history: History, settings: Any) -> None:
    settings.ANALYTICS_STATISTICS_MAX_DAYS = 7
    c = login(history.world.manager)
    assert c.get(API + "items", {"start": "2026-03-01", "end": "2026-03-07"}).status_code == 200
    response = c.get(API + "items", {"start": "2026-03-01", "end": "2026-03-08"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert response.json()["code"] == "analytics_period_too_long"
    assert response.json()["fields"] == {"end": [response.json()["message"]]}


def test_full_width_center_and_dates_are_read_as_ascii(history: History) -> None:
    c = login(history.world.manager)
    full = {ord(ch): ord(ch) + 0xFEE0 for ch in "0123456789-"}
    response = c.get(API + "items", {"start": "2026-03-01".translate(full), "end": "2026-03-31".translate(full),
                                     "center": str(history.world.center.pk).translate(full)})
    assert response.status_code == 200
    assert response.json()["start"] == "2026-03-01"


# --------------------------------------------------------------------------- page and export
def test_page_shows_every_chart_with_its_table_and_export_link(history: History) -> None:
    from onewindow.analytics.selectors.statistics import CHARTS

    html = login(history.world.manager).get(PAGE, PERIOD).content.decode()
    for name in CHARTS:
        assert f'id="h-{name}"' in html
        assert f'href="/analytics/statistics/{name}/xlsx/?center=' in html
        assert f'href="/api/v1/analytics/statistics/{name}?center=' in html
    assert 'id="chart-items"' in html and "<caption" in html
    assert 'src="/static/vendor/echarts-5.6.0.min.js"' in html


def test_chart_export_is_an_xlsx_with_the_same_series(history: History) -> None:
    c = login(history.world.manager)
    response = c.get("/analytics/statistics/items/xlsx/", PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.content))
    sheet = book[book.sheetnames[0]]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1] == ["事项", "收件数", "受理数", "办结数", "超期数"]
    assert values[2:] == [["食品经营许可（测试）", 7, 6, 3, 1], ["小餐饮经营许可（测试）", 4, 4, 4, 0]]
    whole = load_workbook(io.BytesIO(c.get("/analytics/statistics/xlsx/", PERIOD).content))
    assert len(whole.sheetnames) == 12


def test_export_refuses_what_the_page_refuses(history: History) -> None:
    c = login(history.other_manager)
    response = c.get("/analytics/statistics/items/xlsx/", {**PERIOD, "center": history.world.center.pk})
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --------------------------------------------------------------------------- statement counts
def _more_history(history: History, days: int) -> None:
    world = history.world
    first = datetime.date(2024, 1, 1)
    CaseDayFact.objects.bulk_create([
        CaseDayFact(day=first + datetime.timedelta(days=i), center=world.center, item=world.cw.item,
                    channel="window", clerk=world.clerk, received=1) for i in range(days)])
    TicketHourFact.objects.bulk_create([
        TicketHourFact(center=world.center, day=first + datetime.timedelta(days=i), hour=10, source="kiosk",
                       window=world.w1, clerk=world.clerk, arrivals=1) for i in range(days)])


PAGE_QUERIES = 33
API_QUERIES = 9


def test_statement_counts_do_not_grow_with_the_history(history: History, django_assert_num_queries: Any) -> None:
    c = login(history.world.manager)
    c.get(PAGE, PERIOD)  # session and language warm-up
    with django_assert_num_queries(PAGE_QUERIES):
        assert c.get(PAGE, PERIOD).status_code == 200
    with django_assert_num_queries(API_QUERIES):
        assert c.get(API + "items", PERIOD).status_code == 200
    _more_history(history, 700)
    with django_assert_num_queries(PAGE_QUERIES):
        assert c.get(PAGE, PERIOD).status_code == 200
    with django_assert_num_queries(API_QUERIES):
        assert c.get(API + "items", PERIOD).status_code == 200


def test_facts_outside_the_period_or_the_center_are_not_counted(history: History) -> None:
    c = login(history.world.manager)
    data = chart(c, "items", start=f"{MON:%Y-%m-%d}", end=f"{MON:%Y-%m-%d}")
    assert rows(data) == [("食品经营许可（测试）", [5, 4, 3, 1])]
