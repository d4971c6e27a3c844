"""The 监管预警 pages: who may open them and act (the authorization matrix), what the list shows
(my departments' alerts, filters), acknowledge and close through the page with refusals that
change nothing, and a fixed number of queries on the list.

Decision: supervision staff of any department and the system admin read any alert (信息共享); the
list shows the user's own departments' alerts (all for a system admin); only the owner
department's regulators and admins act (403 for other staff, data clerks and the system admin)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from onewindow.accounts.testing import PRINCIPAL_NAMES
from onewindow.supervision.models import Alert, AlertEvent
from onewindow.supervision.models.alerts import AlertState
from onewindow.supervision.services.alert_scan import alerts_scan
from onewindow.supervision.testing import SupervisionWorld

from . import alerts_world as w

TODAY = datetime.date(2017, 9, 5)
SUPERVISION = {"manager", "admin", "regulator", "data_clerk", "regulator_other", "culture_regulator"}
ACTORS = {"manager", "regulator"}  # the owner department's admin and regulator
PEOPLE = [n for n in PRINCIPAL_NAMES if n != "device"] + sorted(SUPERVISION - {"manager", "admin"})


@pytest.fixture
def alerts(world: SupervisionWorld) -> dict[str, Alert]:
    """Two alerts of the market bureau (a licence, a listing) and one of the culture bureau."""
    a, b = world.organization("上海页面甲有限公司"), world.organization("上海页面乙有限公司")
    w.licence(world.department, a, TODAY + datetime.timedelta(days=10))
    w.listing(world.department, b, TODAY)
    w.licence(world.culture, b, TODAY + datetime.timedelta(days=20), title="娱乐场所经营许可证")
    alerts_scan(today=TODAY)
    return {
        "licence": Alert.objects.get(department=world.department, rule="licence_expiring"),
        "listing": Alert.objects.get(department=world.department, rule="new_sanction"),
        "culture": Alert.objects.get(department=world.culture),
    }


def snapshot() -> tuple[Any, ...]:
    return (
        tuple(Alert.objects.order_by("pk").values_list("pk", "state", "close_note", "acknowledged_by_id")),
        AlertEvent.objects.count(),
    )


def listed(response: Any) -> set[int]:
    return {alert.pk for alert in response.context["rows"]}


@pytest.mark.parametrize("who", PEOPLE)
def test_who_may_open_the_list(world: SupervisionWorld, alerts: dict[str, Alert], who: str) -> None:
    response = world.client(who).get("/supervision/alerts/")
    if who == "anonymous":
        assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/supervision/alerts/")
    elif who not in SUPERVISION:
        assert response.status_code == 403
        assert 'data-code="supervision_staff_only"' in response.content.decode()
    else:
        assert response.status_code == 200
        expected = {
            "admin": {a.pk for a in alerts.values()},
            "culture_regulator": {alerts["culture"].pk},
            "regulator_other": set(),
        }.get(who, {alerts["licence"].pk, alerts["listing"].pk})
        assert listed(response) == expected


@pytest.mark.parametrize("who", PEOPLE)
def test_who_may_open_an_alert_and_act(world: SupervisionWorld, alerts: dict[str, Alert], who: str) -> None:
    alert = alerts["licence"]
    client = world.client(who)
    page = client.get(f"/supervision/alerts/{alert.pk}/")
    before = snapshot()
    response = client.post(f"/supervision/alerts/{alert.pk}/acknowledge/", {"note": "已签收"})
    if who == "anonymous":
        assert page.status_code == response.status_code == 302
    elif who not in SUPERVISION:
        assert page.status_code == response.status_code == 403
    elif who in ACTORS:
        assert page.status_code == 200
        assert page.context["actions"] == ["acknowledge", "close"]
        assert (response.status_code, response["Location"]) == (302, f"/supervision/alerts/{alert.pk}/")
        alert.refresh_from_db()
        assert (alert.state, alert.acknowledged_by_id) == (
            AlertState.ACKNOWLEDGED,
            getattr(world.user(who), "pk", None),
        )
        return
    else:
        assert page.status_code == 200
        assert page.context["actions"] == []
        assert 'id="no-actions"' in page.content.decode()
        assert response.status_code == 403
        assert 'data-code="alert_action_forbidden"' in response.content.decode()
    assert snapshot() == before


def test_close_through_the_page_and_its_refusals(world: SupervisionWorld, alerts: dict[str, Alert]) -> None:
    alert = alerts["listing"]
    client = world.client("regulator")
    before = snapshot()
    refused = client.post(f"/supervision/alerts/{alert.pk}/close/", {"note": "  "})
    assert refused.status_code == 422
    assert 'data-code="alert_note_required"' in refused.content.decode()
    assert snapshot() == before
    assert client.post(f"/supervision/alerts/{alert.pk}/delete/").status_code == 404
    assert client.post("/supervision/alerts/999999/close/", {"note": "x"}).status_code == 404
    assert client.get("/supervision/alerts/999999/").status_code == 404
    assert client.get(f"/supervision/alerts/{alert.pk}/close/").status_code == 405
    assert snapshot() == before

    done = client.post(f"/supervision/alerts/{alert.pk}/close/", {"note": "已将该企业列为重点监管对象"})
    assert done.status_code == 302
    page = client.get(f"/supervision/alerts/{alert.pk}/")
    text = page.content.decode()
    assert 'id="alert-state">已办结<' in text
    assert "已将该企业列为重点监管对象" in text
    assert page.context["actions"] == []
    again = client.post(f"/supervision/alerts/{alert.pk}/close/", {"note": "再次办结"})
    assert again.status_code == 409
    assert 'data-code="alert_illegal_transition"' in again.content.decode()


def test_the_list_filters(world: SupervisionWorld, alerts: dict[str, Alert]) -> None:
    client = world.client("regulator")
    assert listed(client.get("/supervision/alerts/?rule=new_sanction")) == {alerts["listing"].pk}
    assert listed(client.get("/supervision/alerts/?rule=bogus")) == {alerts["licence"].pk, alerts["listing"].pk}
    client.post(f"/supervision/alerts/{alerts['licence'].pk}/acknowledge/")
    assert listed(client.get("/supervision/alerts/?state=acknowledged")) == {alerts["licence"].pk}
    assert listed(client.get("/supervision/alerts/?state=open")) == {alerts["listing"].pk}
    admin = world.client("admin")
    assert listed(admin.get(f"/supervision/alerts/?department={world.culture.pk}")) == {alerts["culture"].pk}
    # A department outside the user's own shows nothing (not another department's list).
    assert listed(client.get(f"/supervision/alerts/?department={world.culture.pk}")) == set()
    text = client.get("/supervision/alerts/").content.decode()
    assert "许可证即将到期" in text and "新列入联合惩戒名单" in text


def test_the_list_keeps_a_fixed_number_of_queries(
    world: SupervisionWorld, alerts: dict[str, Alert], django_assert_max_num_queries: Any
) -> None:
    client = world.client("admin")
    with django_assert_max_num_queries(12):
        small = client.get("/supervision/alerts/")
    for n in range(20):
        w.licence(world.department, world.organization(f"上海批量{n}有限公司"), TODAY + datetime.timedelta(days=5))
    alerts_scan(today=TODAY)
    with django_assert_max_num_queries(12):
        large = client.get("/supervision/alerts/")
    assert (len(listed(small)), len(listed(large))) == (3, 23)
