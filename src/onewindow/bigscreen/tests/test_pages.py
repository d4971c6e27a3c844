"""The big-screen pages (issue #16 parts 3–5): the public crowd page redacts small counts and
staff see the numbers; the wall is for staff and bound screens; the screen page only for a bound
big screen; the operator's page and its forms, whose refusals change nothing."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from onewindow.accounts.testing import Principals
from onewindow.bigscreen import broadcast
from onewindow.bigscreen.models import Area, CrowdAlert, CrowdAreaBucket, EmergencyMessage, Screen
from onewindow.bigscreen.services.screens import emergency_post
from onewindow.bigscreen.testing import CrowdWorld
from onewindow.centers.testing import CenterWorld, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_channels() -> None:
    """The pages read the channels' shared envelopes (broadcast.current): none left from another test."""
    broadcast.cache().clear()


def latest_bucket(area: Area, now: datetime.datetime | None = None) -> datetime.datetime:
    """The start of the latest closed bucket before ``now`` (Shanghai grid)."""
    local = timezone.localtime(now or timezone.now())
    minute = local.minute - local.minute % area.bucket_minutes
    return local.replace(minute=minute, second=0, microsecond=0) - datetime.timedelta(minutes=area.bucket_minutes)


def put_bucket(world: CrowdWorld, start: datetime.datetime, zones: dict[str, int], origins: dict[str, int]) -> None:
    CrowdAreaBucket.objects.create(
        area=world.area, bucket_start=start, present=sum(zones.values()), arrivals=0, sources=1,
        by_zone={code: {"present": n, "arrivals": 0} for code, n in zones.items()},
        by_origin={origin: {"present": n, "arrivals": 0} for origin, n in origins.items()})
    world.source.last_bucket_start = start
    world.source.save(update_fields=["last_bucket_start"])


@pytest.fixture
def crowd(crowd_world: CrowdWorld) -> CrowdWorld:
    put_bucket(crowd_world, latest_bucket(crowd_world.area), {"plaza66": 500, "citic": 7, "zhangyuan": 20},
               {"local": 420, "domestic": 100, "international": 7})
    return crowd_world


def zone_row(html: str, code: str) -> str:
    found = re.search(rf'<tr data-key="{code}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, code
    return found.group(1)


def envelope(html: str, name: str) -> dict[str, Any]:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


# ---- the crowd page ----------------------------------------------------------------------------

def test_public_crowd_page_redacts_small_counts(crowd: CrowdWorld) -> None:
    response = Client().get("/bigscreen/nanjingxilu/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="crowd-now" data-bind="now.present">527<' in html
    assert '<td class="num" data-field="present">&lt;15</td>' in zone_row(html, "citic")
    assert '<td class="num" data-field="present">500</td>' in zone_row(html, "plaza66")
    assert '<td class="num" data-field="present">20</td>' in zone_row(html, "zhangyuan")
    assert 'data-key="international"><span class="label" data-field="origin" data-format="origin">国际</span> ' \
           '<span class="numeral-m" data-field="present">&lt;15</span>' in html
    data = envelope(html, "crowd-envelope")
    assert (data["channel"], data["seq"], data["emergency"]) == ("crowd:nanjingxilu", 1, None)
    assert broadcast.cached("crowd:nanjingxilu")["envelope"] == data  # type: ignore[index]  # the shared one
    assert (data["data"]["redacted"], data["data"]["threshold"]) == (True, 15)
    assert [z["present"] for z in data["data"]["zones"]] == [500, "<15", 20]
    assert 'data-stream="/bigscreen/stream/crowd:nanjingxilu/"' in html
    assert 'data-poll="/bigscreen/poll/crowd:nanjingxilu/"' in html
    assert 'data-ticket=""' in html  # a public channel needs no ticket
    assert "少于 15 人的数字显示为“&lt;15”" in html
    assert 'class="bigscreen layout-1080p"' in html
    assert 'id="emergency" class="emergency" role="alert" aria-live="assertive" hidden' in html


def test_open_alerts_are_listed(crowd: CrowdWorld) -> None:
    CrowdAlert.objects.create(area=crowd.area, zone=crowd.zhangyuan, level="amber", peak_share=0.87,
                              opened_bucket=latest_bucket(crowd.area))
    html = Client().get("/bigscreen/nanjingxilu/").content.decode()
    found = re.search(r'<li data-key="zhangyuan" class="level-amber">(.*?)</li>', html, re.S)
    assert found
    assert '<span data-field="zone" data-format="zone">张园</span>' in found.group(1)
    assert '<span data-field="peak_share" data-format="share">87%</span>' in found.group(1)


@pytest.mark.parametrize("name", ["clerk", "manager", "admin"])
def test_staff_see_the_numbers(crowd: CrowdWorld, principals: Principals, name: str) -> None:
    html = principals.client(name).get("/bigscreen/nanjingxilu/").content.decode()
    assert '<td class="num" data-field="present">7</td>' in zone_row(html, "citic")
    shown = envelope(html, "crowd-envelope")
    assert (shown["data"]["redacted"], shown["seq"]) == (False, 0)
    assert broadcast.cached("crowd:nanjingxilu") is None  # computed for this member of staff alone
    assert "此后的实时更新与公众大屏相同" in html


@pytest.mark.parametrize("name", ["citizen", "agent"])
def test_citizens_get_the_public_page(crowd: CrowdWorld, principals: Principals, name: str) -> None:
    html = principals.client(name).get("/bigscreen/nanjingxilu/").content.decode()
    assert '<td class="num" data-field="present">&lt;15</td>' in zone_row(html, "citic")


def test_crowd_page_unknown_or_inactive_area(crowd: CrowdWorld) -> None:
    response = Client().get("/bigscreen/nowhere/")
    assert response.status_code == 404
    assert 'data-code="bigscreen_area_not_found"' in response.content.decode()
    Area.objects.filter(code="lujiazui").update(is_active=False)
    assert Client().get("/bigscreen/lujiazui/").status_code == 404


def test_crowd_page_without_data_shows_no_number_and_is_stale(crowd_world: CrowdWorld) -> None:
    html = Client().get("/bigscreen/nanjingxilu/").content.decode()
    assert 'id="crowd-now" data-bind="now.present">—<' in html
    assert 'class="panel panel-now is-stale"' in html
    assert '<span class="stale-badge">数据延迟</span>' in html


def test_layout_and_emergency_overlay(crowd: CrowdWorld, principals: Principals) -> None:
    emergency_post(by=principals.admin, text="南京西路地铁站临时封闭", text_en="Station closed", severity="critical")
    html = Client().get("/bigscreen/nanjingxilu/?layout=4k").content.decode()
    assert 'class="bigscreen layout-4k"' in html
    assert 'id="emergency" class="emergency sev-critical" role="alert" aria-live="assertive">' in html
    assert '<p class="emergency-text" id="emergency-text">南京西路地铁站临时封闭</p>' in html
    assert 'class="bigscreen layout-1080p"' in Client().get("/bigscreen/nanjingxilu/?layout=8k").content.decode()


def test_english_page(crowd: CrowdWorld) -> None:
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/bigscreen/nanjingxilu/").content.decode()
    assert "<title>West Nanjing Road" in html
    assert 'data-lang="en"' in html


# ---- the wall ----------------------------------------------------------------------------------

def test_wall_access(center_world: CenterWorld, principals: Principals) -> None:
    anonymous = Client().get("/bigscreen/wall/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/accounts/login/?next=/bigscreen/wall/")
    citizen = principals.client("citizen").get("/bigscreen/wall/")
    assert citizen.status_code == 403
    assert 'data-code="bigscreen_wall_forbidden"' in citizen.content.decode()
    staff = principals.client("clerk").get("/bigscreen/wall/")
    assert staff.status_code == 200
    html = staff.content.decode()
    data = envelope(html, "wall-envelope")
    assert data["channel"] == "wall"
    assert 'data-ticket="/bigscreen/ticket/wall/"' in html
    xuhui = re.search(r'<li class="district ([^"]*)" data-key="310104">(.*?)</li>', html, re.S)
    assert xuhui and "no-data" in xuhui.group(1).split()
    assert '<dd class="num" data-field="tickets_waiting">—</dd>' in xuhui.group(2)
    assert len(re.findall(r'<li class="district r\d c\d', html)) == 16
    assert f'<tr data-key="{center_world.center.code}">' in html


def test_wall_for_a_bound_screen_only(center_world: CenterWorld) -> None:
    refused = enrol(Client(), center_world.display).get("/bigscreen/wall/")
    assert refused.status_code == 302  # a hall display that is not a big screen is like anyone
    Screen.objects.create(device=center_world.display, name="大屏", panels=["service_today"], layout="4k")
    response = enrol(Client(), center_world.display).get("/bigscreen/wall/")
    assert response.status_code == 200
    assert 'class="bigscreen layout-4k"' in response.content.decode()


# ---- the screen page ---------------------------------------------------------------------------

def test_screen_page_refusals(center_world: CenterWorld, crowd: CrowdWorld, principals: Principals) -> None:
    for client in (Client(), enrol(Client(), center_world.display), enrol(Client(), center_world.kiosk),
                   principals.client("citizen")):
        response = client.get("/bigscreen/screen/")
        assert response.status_code == 403
        assert 'data-code="bigscreen_screen_not_enrolled"' in response.content.decode()
    screen = Screen.objects.create(device=center_world.display, name="大屏", area=crowd.area,
                                   panels=["crowd_now"], is_active=False)
    assert enrol(Client(), center_world.display).get("/bigscreen/screen/").status_code == 403
    assert principals.client("citizen").get(f"/bigscreen/screen/?screen={screen.pk}").status_code == 403
    screen.is_active = True
    screen.save(update_fields=["is_active"])
    center_world.display.is_active = False
    center_world.display.save(update_fields=["is_active"])
    assert enrol(Client(), center_world.kiosk).get("/bigscreen/screen/").status_code == 403


def test_screen_page_rotates_the_screens_panels(center_world: CenterWorld, crowd: CrowdWorld) -> None:
    Screen.objects.create(device=center_world.display, name="展示中心大屏", area=crowd.area, rotate_seconds=15,
                          panels=["crowd_zones", "service_districts", "crowd_now"])
    assert center_world.display.last_seen_at is None
    response = enrol(Client(), center_world.display).get("/bigscreen/screen/")
    assert response.status_code == 200
    center_world.display.refresh_from_db()
    assert center_world.display.last_seen_at is not None  # the operator's page shows when it was last seen
    html = response.content.decode()
    assert re.findall(r'data-slot="(\w+)"', html) == ["crowd_zones", "service_districts", "crowd_now"]
    assert re.findall(r'class="slot( slot-off)?" data-slot', html) == ["", " slot-off", " slot-off"]
    assert 'data-rotate-ms="15000"' in html
    assert envelope(html, "crowd-envelope")["data"]["redacted"] is True
    assert envelope(html, "wall-envelope")["channel"] == "wall"
    assert '<td class="num" data-field="present">&lt;15</td>' in zone_row(html, "citic")
    assert 'id="lang-switch"' not in html


def test_screen_without_area_drops_its_crowd_panels(center_world: CenterWorld) -> None:
    Screen.objects.create(device=center_world.display, name="大屏", panels=["crowd_now", "service_today"])
    html = enrol(Client(), center_world.display).get("/bigscreen/screen/").content.decode()
    assert re.findall(r'data-slot="(\w+)"', html) == ["service_today"]
    assert "crowd-envelope" not in html


def test_staff_preview_a_screen_in_4k(center_world: CenterWorld, crowd: CrowdWorld, principals: Principals) -> None:
    screen = Screen.objects.create(device=center_world.display, name="大屏", area=crowd.area, panels=["crowd_now"])
    html = principals.client("manager").get(f"/bigscreen/screen/?screen={screen.pk}&layout=4k").content.decode()
    assert 'class="bigscreen layout-4k"' in html
    assert re.findall(r'data-slot="(\w+)"', html) == ["crowd_now"]


# ---- the operator's page -----------------------------------------------------------------------

def state() -> tuple[list[Any], list[Any]]:
    return (list(EmergencyMessage.objects.order_by("pk").values()), list(Screen.objects.order_by("pk").values()))


def test_ops_page_access(crowd: CrowdWorld, principals: Principals) -> None:
    anonymous = Client().get("/bigscreen/ops/")
    assert (anonymous.status_code, anonymous["Location"]) == (302, "/accounts/login/?next=/bigscreen/ops/")
    for name in ("citizen", "clerk", "reviewer"):
        response = principals.client(name).get("/bigscreen/ops/")
        assert response.status_code == 403
        assert 'data-code="bigscreen_operator_only"' in response.content.decode()
        before = state()
        posted = principals.client(name).post("/bigscreen/ops/emergency/", {"text": "越权", "severity": "info"})
        assert posted.status_code == 403
        assert state() == before
    html = principals.client("admin").get("/bigscreen/ops/").content.decode()
    assert "运营商测试源" in html
    assert 'id="no-emergency"' in html


def test_ops_page_posts_and_clears_the_emergency(crowd: CrowdWorld, principals: Principals) -> None:
    client = principals.client("admin")
    response = client.post("/bigscreen/ops/emergency/", {"text": "大客流预警，请分流", "text_en": "Crowd warning",
                                                        "severity": "warning", "ends_at": ""})
    assert (response.status_code, response["Location"]) == (302, "/bigscreen/ops/")
    message = EmergencyMessage.objects.get()
    assert (message.text, message.text_en, message.cleared_at) == ("大客流预警，请分流", "Crowd warning", None)
    html = client.get("/bigscreen/ops/").content.decode()
    assert f'id="live-emergency" data-id="{message.pk}"' in html
    before = state()
    bad = client.post("/bigscreen/ops/emergency/", {"text": " ", "severity": "warning"})
    assert bad.status_code == 422
    assert 'data-code="bigscreen_emergency_text_required"' in bad.content.decode()
    assert 'data-field-error="text"' in bad.content.decode()
    assert client.post("/bigscreen/ops/emergency/", {"text": "好", "severity": "x"}).status_code == 422
    assert client.post("/bigscreen/ops/emergency/", {"text": "好", "ends_at": "明天"}).status_code == 422
    assert state() == before
    cleared = client.post(f"/bigscreen/ops/emergency/{message.pk}/clear/")
    assert cleared.status_code == 302
    message.refresh_from_db()
    assert message.cleared_at is not None
    before = state()
    again = client.post(f"/bigscreen/ops/emergency/{message.pk}/clear/")
    assert again.status_code == 409
    assert state() == before


def test_ops_page_sources_late_flag(crowd: CrowdWorld, principals: Principals) -> None:
    html = principals.client("admin").get("/bigscreen/ops/").content.decode()
    assert f'data-source="{crowd.source.pk}" data-late="false"' in html
    assert f'data-source="{crowd.other_source.pk}" data-late="true"' in html  # never sent anything


def test_ops_page_configures_a_screen(center_world: CenterWorld, crowd: CrowdWorld, principals: Principals) -> None:
    screen = Screen.objects.create(device=center_world.display, name="大屏", area=crowd.area, panels=["crowd_now"])
    client = principals.client("manager")
    html = client.get("/bigscreen/ops/").content.decode()
    assert f'id="screen-{screen.pk}"' in html
    prefix = f"s{screen.pk}"
    before = state()
    bad = client.post(f"/bigscreen/ops/screens/{screen.pk}/", {
        f"{prefix}-name": "大屏", f"{prefix}-layout": "1080p", f"{prefix}-area": "nanjingxilu",
        f"{prefix}-panels": ["crowd_now", "weather"], f"{prefix}-rotate_seconds": "20"})
    assert bad.status_code == 422
    assert 'data-code="bigscreen_panel_unknown"' in bad.content.decode()
    assert state() == before
    ok = client.post(f"/bigscreen/ops/screens/{screen.pk}/", {
        f"{prefix}-name": "展示中心", f"{prefix}-layout": "4k", f"{prefix}-area": "nanjingxilu",
        f"{prefix}-panels": ["crowd_week", "crowd_now"], f"{prefix}-rotate_seconds": "45"})
    assert ok.status_code == 302
    screen.refresh_from_db()
    assert (screen.name, screen.layout, screen.panels, screen.rotate_seconds) == (
        "展示中心", "4k", ["crowd_week", "crowd_now"], 45)


def test_ops_page_makes_a_display_a_screen(center_world: CenterWorld, crowd: CrowdWorld,
                                           principals: Principals) -> None:
    client = principals.client("manager")
    html = client.get("/bigscreen/ops/").content.decode()
    assert f'<option value="{center_world.display.pk}">' in html
    response = client.post("/bigscreen/ops/screens/new/", {
        "device": str(center_world.display.pk), "new-name": "展示中心大屏", "new-layout": "1080p",
        "new-area": "nanjingxilu", "new-panels": ["crowd_now", "service_today"], "new-rotate_seconds": "20"})
    assert response.status_code == 302
    screen = Screen.objects.get()
    assert (screen.device_id, screen.panels) == (center_world.display.pk, ["crowd_now", "service_today"])


# ---- the authorization matrix of the pages and the query-count guards ----------------------------

STAFF = ("clerk_other_department", "clerk", "reviewer", "manager", "admin")


@pytest.mark.parametrize("name", ["anonymous", "device", "citizen", "another_citizen", "agent", *STAFF])
def test_pages_authorization_matrix(crowd: CrowdWorld, principals: Principals, name: str) -> None:
    client = principals.client(name)
    crowd_page = client.get("/bigscreen/nanjingxilu/")
    wall = client.get("/bigscreen/wall/")
    ops = client.get("/bigscreen/ops/")
    screen = client.get("/bigscreen/screen/")
    assert crowd_page.status_code == 200
    assert screen.status_code == 403
    if name in ("anonymous", "device"):  # a bearer header is no browser session
        assert (wall.status_code, ops.status_code) == (302, 302)
    elif name in STAFF:
        assert wall.status_code == 200
        assert ops.status_code == (200 if name in ("manager", "admin") else 403)
    else:
        assert (wall.status_code, ops.status_code) == (403, 403)
    redacted = envelope(crowd_page.content.decode(), "crowd-envelope")["data"]["redacted"]
    assert redacted is (name not in STAFF)


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_ops_page_and_lists_query_counts(center_world: CenterWorld, crowd: CrowdWorld,
                                         principals: Principals) -> None:
    from onewindow.accounts.testing import make_api_token
    from onewindow.bigscreen.testing import make_source
    from onewindow.centers.choices import DeviceKind
    from onewindow.centers.models import Device

    client = principals.client("admin")
    Screen.objects.create(device=center_world.display, name="大屏1", area=crowd.area, panels=["crowd_now"])
    emergency_post(by=principals.admin, text="通告1")
    paths = ("/bigscreen/ops/", "/api/v1/bigscreen/screens", "/api/v1/bigscreen/emergency")
    before = [_queries(client, path) for path in paths]
    for n in range(2, 6):  # more screens, sources and messages: the queries stay the same
        token, _bearer = make_api_token(name=f"屏{n}", scopes=["device"], system_name=f"screen-{n}")
        device = Device.objects.create(center=center_world.center, kind=DeviceKind.DISPLAY, name=f"屏{n}",
                                       token=token)
        Screen.objects.create(device=device, name=f"大屏{n}", area=crowd.area, panels=["crowd_now"])
        make_source(crowd.area, f"数据源{n}")
        emergency_post(by=principals.admin, text=f"通告{n}")
    assert [_queries(client, path) for path in paths] == before
    assert len(client.get("/api/v1/bigscreen/screens").json()["items"]) == 5
