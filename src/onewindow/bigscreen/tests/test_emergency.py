"""The operator's emergency message and screens (issue #16 part 5): services and the API's
authorization matrix. Every refusal leaves the messages, the screens and the audit trail as they
were."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import Principals, make_api_token
from onewindow.bigscreen.choices import Panel, ScreenLayout, Severity
from onewindow.bigscreen.models import Area, EmergencyMessage, Screen
from onewindow.bigscreen.selectors.screens import active_emergency
from onewindow.bigscreen.services import screens as services
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 13, 2))
OPERATORS = ("admin", "manager")
NOT_OPERATORS = ("citizen", "another_citizen", "agent", "clerk_other_department", "clerk", "reviewer")


def snapshot() -> tuple[list[Any], list[Any], int]:
    messages = list(EmergencyMessage.objects.order_by("pk").values())
    screens = list(Screen.objects.order_by("pk").values())
    return messages, screens, AuditEntry.objects.count()


def refused(fn: Any, code: str, status: int, **kwargs: Any) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert (info.value.code, info.value.status) == (code, status)
    assert snapshot() == before
    return info.value


@pytest.fixture
def area(db: None) -> Area:
    return Area.objects.create(code="nanjingxilu", name="南京西路商圈", name_en="West Nanjing Road")


# ---- emergency_post / emergency_clear ----------------------------------------------------------

def test_post_puts_one_live_message_and_a_new_one_clears_the_earlier(principals: Principals) -> None:
    admin = principals.admin
    first = services.emergency_post(by=admin, text="  地铁2号线  临时封站 ", text_en="Metro line 2 closed",
                                    severity=Severity.CRITICAL, now=NOW)
    assert (first.text, first.text_en, first.severity, first.created_by) == (
        "地铁2号线 临时封站", "Metro line 2 closed", "critical", admin)
    assert active_emergency(NOW + datetime.timedelta(seconds=1)) == {
        "id": first.pk, "text": "地铁2号线 临时封站", "text_en": "Metro line 2 closed", "severity": "critical",
        "since": "2026-03-02T13:02:00+08:00"}
    later = NOW + datetime.timedelta(minutes=5)
    second = services.emergency_post(by=principals.manager, text="大客流，请分流", now=later)
    first.refresh_from_db()
    assert (first.cleared_at, first.cleared_by) == (later, principals.manager)
    assert second.severity == Severity.WARNING
    assert active_emergency(later)["id"] == second.pk  # type: ignore[index]
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "target_id"))
    assert actions == [("bigscreen.emergency.post", str(first.pk)), ("bigscreen.emergency.clear", str(first.pk)),
                       ("bigscreen.emergency.post", str(second.pk))]


def test_message_with_an_end_is_live_until_then(principals: Principals) -> None:
    message = services.emergency_post(by=principals.admin, text="演练", ends_at=NOW + datetime.timedelta(hours=1),
                                      now=NOW)
    assert active_emergency(NOW + datetime.timedelta(minutes=59))["id"] == message.pk  # type: ignore[index]
    assert active_emergency(NOW + datetime.timedelta(hours=1)) is None


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"text": ""}, "bigscreen_emergency_text_required", "text"),
    ({"text": "   \n "}, "bigscreen_emergency_text_required", "text"),
    ({"text": "字" * 201}, "bigscreen_emergency_text_too_long", "text"),
    ({"text": "好", "text_en": "x" * 301}, "bigscreen_emergency_text_too_long", "text_en"),
    ({"text": "好\x00"}, "bigscreen_text_invalid", "text"),
    ({"text": "好", "severity": "panic"}, "bigscreen_severity_unknown", "severity"),
    ({"text": "好", "ends_at": NOW}, "bigscreen_emergency_ends_past", "ends_at"),
])
def test_post_refuses_bad_input_and_writes_nothing(principals: Principals, kwargs: dict[str, Any], code: str,
                                                   field: str) -> None:
    live = services.emergency_post(by=principals.admin, text="已有通告", now=NOW - datetime.timedelta(minutes=1))
    error = refused(services.emergency_post, code, 422, by=principals.admin, now=NOW, **kwargs)
    assert list(error.fields) == [field]
    live.refresh_from_db()
    assert live.cleared_at is None


@pytest.mark.parametrize("name", [*NOT_OPERATORS, "anonymous"])
def test_only_operators_post_or_clear(principals: Principals, name: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    live = services.emergency_post(by=principals.admin, text="已有通告", now=NOW)
    by = AnonymousUser() if name == "anonymous" else principals.users[name]
    refused(services.emergency_post, "bigscreen_operator_only", 403, by=by, text="越权通告", now=NOW)
    refused(services.emergency_clear, "bigscreen_operator_only", 403, by=by, message_id=live.pk, now=NOW)


def test_clear_takes_the_message_down_once(principals: Principals) -> None:
    message = services.emergency_post(by=principals.admin, text="临时通告", now=NOW)
    later = NOW + datetime.timedelta(minutes=2)
    services.emergency_clear(by=principals.manager, message_id=message.pk, now=later)
    message.refresh_from_db()
    assert (message.cleared_at, message.cleared_by) == (later, principals.manager)
    assert active_emergency(later) is None
    refused(services.emergency_clear, "bigscreen_emergency_not_live", 409, by=principals.admin,
            message_id=message.pk, now=later)
    refused(services.emergency_clear, "bigscreen_emergency_not_found", 404, by=principals.admin,
            message_id=message.pk + 99, now=later)
    refused(services.emergency_clear, "bigscreen_emergency_not_found", 404, by=principals.admin,
            message_id="1; drop", now=later)


# ---- screens -----------------------------------------------------------------------------------

def test_screen_create_and_configure(center_world: CenterWorld, area: Area) -> None:
    manager = center_world.manager
    screen = services.screen_create(by=manager, device_id=center_world.display.pk, name=" 大厅 大屏 ",
                                    layout=ScreenLayout.UHD, area="nanjingxilu",
                                    panels=[Panel.CROWD_NOW, Panel.SERVICE_TODAY], rotate_seconds="30")
    assert (screen.name, screen.layout, screen.area, screen.panels, screen.rotate_seconds) == (
        "大厅 大屏", "4k", area, ["crowd_now", "service_today"], 30)
    services.screen_configure(by=manager, screen_id=screen.pk, name="展示中心大屏", layout=ScreenLayout.HD, area=None,
                              panels=[Panel.SERVICE_DISTRICTS, Panel.SERVICE_TODAY], rotate_seconds=5)
    screen.refresh_from_db()
    assert (screen.name, screen.layout, screen.area, screen.panels, screen.rotate_seconds) == (
        "展示中心大屏", "1080p", None, ["service_districts", "service_today"], 5)
    entry = AuditEntry.objects.get(action="bigscreen.screen.configure")
    assert entry.before["panels"] == ["crowd_now", "service_today"]
    assert entry.after["panels"] == ["service_districts", "service_today"]


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"panels": ["crowd_now", "weather"]}, "bigscreen_panel_unknown", "panels"),
    ({"panels": []}, "bigscreen_panels_required", "panels"),
    ({"panels": "crowd_now"}, "bigscreen_panels_required", "panels"),
    ({"panels": ["crowd_now", "crowd_now"]}, "bigscreen_panel_repeated", "panels"),
    ({"rotate_seconds": 4}, "bigscreen_rotate_invalid", "rotate_seconds"),
    ({"rotate_seconds": "ten"}, "bigscreen_rotate_invalid", "rotate_seconds"),
    ({"layout": "8k"}, "bigscreen_layout_unknown", "layout"),
    ({"name": " "}, "bigscreen_screen_name_required", "name"),
    ({"name": "名" * 61}, "bigscreen_screen_name_too_long", "name"),
    ({"area": "nowhere"}, "bigscreen_area_not_found", "area"),
    ({"area": None}, "bigscreen_screen_area_required", "area"),
])
def test_screen_configure_refuses_bad_settings(center_world: CenterWorld, area: Area, changes: dict[str, Any],
                                               code: str, field: str) -> None:
    screen = Screen.objects.create(device=center_world.display, name="大屏", area=area,
                                   panels=["crowd_now"], rotate_seconds=20)
    settings = {"name": "大屏", "layout": "1080p", "area": "nanjingxilu", "panels": ["crowd_now"],
                "rotate_seconds": 20, **changes}
    error = refused(services.screen_configure, code, 422, by=center_world.manager, screen_id=screen.pk, **settings)
    assert list(error.fields) == [field]


def test_screen_create_refusals(center_world: CenterWorld, area: Area, principals: Principals) -> None:
    ok = {"name": "大屏", "panels": ["service_today"]}
    refused(services.screen_create, "bigscreen_device_not_found", 404, by=center_world.manager,
            device_id=center_world.kiosk.pk, **ok)  # a kiosk is not a display
    refused(services.screen_create, "bigscreen_device_not_found", 404, by=principals.users["manager"],
            device_id=center_world.display.pk + 1000, **ok)
    refused(services.screen_create, "bigscreen_operator_only", 403, by=center_world.clerk,
            device_id=center_world.display.pk, **ok)
    services.screen_create(by=center_world.manager, device_id=center_world.display.pk, **ok)
    refused(services.screen_create, "bigscreen_screen_exists", 409, by=center_world.manager,
            device_id=center_world.display.pk, **ok)
    refused(services.screen_configure, "bigscreen_screen_not_found", 404, by=center_world.manager,
            screen_id=999999, name="x", layout="1080p", area=None, panels=["service_today"], rotate_seconds=20)


# ---- the API -----------------------------------------------------------------------------------

def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("name", ["anonymous", "device", *NOT_OPERATORS, *OPERATORS])
def test_api_emergency_matrix(principals: Principals, name: str) -> None:
    live = services.emergency_post(by=principals.admin, text="已有通告")
    client = principals.client(name)
    before = snapshot()
    listed = client.get("/api/v1/bigscreen/emergency")
    posted = _post(client, "/api/v1/bigscreen/emergency", {"text": "请注意安全", "severity": "info"})
    if name in OPERATORS:
        assert listed.status_code == 200
        assert [row["id"] for row in listed.json()["items"]] == [live.pk]
        assert posted.status_code == 201
        body = posted.json()
        assert (body["text"], body["severity"], body["live"]) == ("请注意安全", "info", True)
        cleared = client.post(f"/api/v1/bigscreen/emergency/{body['id']}/clear")
        assert cleared.status_code == 200
        assert cleared.json()["live"] is False
        assert EmergencyMessage.objects.filter(cleared_at__isnull=True).count() == 0
        return
    expected = {"anonymous": (401, None), "device": (403, "insufficient_scope")}.get(
        name, (403, "bigscreen_operator_only"))
    for response in (listed, posted, client.post(f"/api/v1/bigscreen/emergency/{live.pk}/clear")):
        assert response.status_code == expected[0]
        if expected[1]:
            assert response.json()["code"] == expected[1]
    assert snapshot() == before


def test_api_refusals_answer_the_error_shape(principals: Principals) -> None:
    client = principals.client("admin")
    before = snapshot()
    response = _post(client, "/api/v1/bigscreen/emergency", {"text": "", "severity": "warning"})
    assert response.status_code == 422
    assert response.json()["code"] == "bigscreen_emergency_text_required"
    assert list(response.json()["fields"]) == ["text"]
    assert client.post("/api/v1/bigscreen/emergency/999999/clear").json()["code"] == "bigscreen_emergency_not_found"
    assert client.post("/api/v1/bigscreen/emergency/0/clear").status_code == 422
    assert _post(client, "/api/v1/bigscreen/emergency", {"text": 5, "ends_at": "soon"}).status_code == 422
    assert snapshot() == before


def test_api_token_needs_the_bigscreen_scope(principals: Principals) -> None:
    from django.test import Client

    _token, bearer = make_api_token(name="控制室", scopes=["staffing"], owner=principals.admin)
    response = Client(headers={"Authorization": f"Bearer {bearer}"}).get("/api/v1/bigscreen/emergency")
    assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")
    _token, bearer = make_api_token(name="控制室", scopes=["bigscreen"], owner=principals.admin)
    assert Client(headers={"Authorization": f"Bearer {bearer}"}).get("/api/v1/bigscreen/emergency").status_code == 200


def test_api_screens(center_world: CenterWorld, area: Area, principals: Principals) -> None:
    client = principals.client("admin")
    created = _post(client, "/api/v1/bigscreen/screens", {
        "device_id": center_world.display.pk, "name": "展示中心大屏", "area": "nanjingxilu",
        "panels": ["crowd_now", "crowd_week"], "rotate_seconds": 15})
    assert created.status_code == 201, created.content
    screen_id = created.json()["id"]
    listed = client.get("/api/v1/bigscreen/screens").json()
    assert [(row["id"], row["panels"]) for row in listed["items"]] == [(screen_id, ["crowd_now", "crowd_week"])]
    before = snapshot()
    bad = client.put(f"/api/v1/bigscreen/screens/{screen_id}", data=json.dumps({
        "name": "展示中心大屏", "area": "nanjingxilu", "panels": ["crowd_now", "stock_ticker"], "rotate_seconds": 15}),
        content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "bigscreen_panel_unknown")
    assert snapshot() == before
    ok = client.put(f"/api/v1/bigscreen/screens/{screen_id}", data=json.dumps({
        "name": "展示中心大屏", "layout": "4k", "area": None, "panels": ["service_today"], "rotate_seconds": 60}),
        content_type="application/json")
    assert ok.status_code == 200
    assert (ok.json()["layout"], ok.json()["area"], ok.json()["panels"]) == ("4k", None, ["service_today"])
    clerk = principals.client("clerk")
    assert clerk.get("/api/v1/bigscreen/screens").json()["code"] == "bigscreen_operator_only"
