"""The management home /manage/ (issue #14 part 9): the eight modules of the seed as navigation,
today live, this month's figures and what waits, for a center manager; a clerk sees their own
figures; another center's manager nothing of this center; anyone else 403, anonymous the login."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from onewindow.accounts.testing import PRINCIPAL_NAMES, Principals
from onewindow.analytics.models import CaseDayFact, TicketHourFact
from onewindow.analytics.tests.stats_history import History, build_history
from onewindow.centers.testing import CenterWorld
from onewindow.config.views import MANAGE_MODULES

pytestmark = pytest.mark.django_db
URL = "/manage/"
SEED = Path(__file__).resolve().parents[1].parent / "shared" / "seed" / "figures.json"


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    h = build_history(center_world)
    today = timezone.localdate()
    CaseDayFact.objects.create(day=today, center=center_world.center, item=center_world.cw.item, channel="window",
                               clerk=center_world.clerk, received=7, accepted=6, concluded=2)
    CaseDayFact.objects.create(day=today, center=center_world.center, item=center_world.cw.item, channel="online",
                               received=3, accepted=3)
    TicketHourFact.objects.create(center=center_world.center, day=today, hour=9, source="kiosk",
                                  clerk=center_world.clerk, arrivals=4, served=4)
    return h


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def modules(html: str) -> list[tuple[str, str]]:
    """(label, href or "") of each module of the navigation, in order."""
    nav = html[html.index('<ul id="modules">'):]
    nav = nav[:nav.index("</ul>")]
    return [(m[2] or m[3], m[1] or "") for m in
            re.finditer(r'<li data-module="[a-z]+">(?:<a href="([^"]*)">([^<]*)</a>|<span>([^<]*)</span>)</li>', nav)]


def figure(html: str, key: str) -> str:
    match = re.search(rf'<li data-key="{key}"><span class="figure">([^<]*)</span>', html)
    assert match is not None, key
    return match[1]


def test_the_eight_modules_are_the_seeds_and_the_navigation(history: History) -> None:
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    html = login(history.world.manager).get(URL).content.decode()
    found = modules(html)
    assert [label for label, _href in found] == seed["community_center"]["modules"]
    expected = []
    for _key, _label, name, with_center in MANAGE_MODULES:
        try:
            expected.append(reverse(name, args=[history.world.center.pk]) if with_center else reverse(name))
        except NoReverseMatch:
            expected.append("")
    assert [href for _label, href in found] == expected
    assert found[0][1] == "/analytics/statistics/"
    assert found[2][1] == "/cases/staff/"
    assert found[3][1] == f"/centers/{history.world.center.pk}/manage/"
    assert found[4][1] == "/messages/reminders/"


def test_manager_sees_today_the_month_and_what_waits(history: History) -> None:
    html = login(history.world.manager).get(URL).content.decode()
    assert "临汾路街道社区事务受理服务中心（测试）" in html
    assert figure(html, "received") == "10"
    assert figure(html, "accepted") == "9"
    assert figure(html, "arrivals") == "4"
    assert 'data-status="waiting"><span class="figure">0</span>' in html
    assert 'id="todo-decisions"' in html
    assert 'id="todo-training"' in html
    assert re.search(r'id="todo-followups">[^<]*<strong>0</strong>', html)
    assert 'id="windows-busy"' in html
    assert f'href="/analytics/statistics/?center={history.world.center.pk}"' in html


def test_a_clerk_sees_their_own_month_and_no_manager_panels(history: History) -> None:
    html = login(history.world.clerk).get(URL).content.decode()
    assert figure(html, "received") == "7"
    assert figure(html, "arrivals") == "4"
    assert "您看到的是本人经办的数据。" in html
    assert 'id="todo-decisions"' not in html and 'id="todo-followups"' not in html
    assert 'id="windows-busy"' not in html


def test_another_centers_manager_sees_nothing_of_this_center(history: History) -> None:
    c = login(history.other_manager)
    response = c.get(URL, {"center": history.world.center.pk})
    assert response.status_code == 404
    assert 'data-code="analytics_center_not_found"' in response.content.decode()
    html = c.get(URL).content.decode()
    assert "另一个社区事务受理服务中心（测试）" in html
    assert "临汾路街道社区事务受理服务中心（测试）" not in html
    assert figure(html, "received") == "0"


@pytest.mark.parametrize("name", PRINCIPAL_NAMES)
def test_authorization_matrix(history: History, principals: Principals, name: str) -> None:
    response = principals.client(name).get(URL)
    if name in ("anonymous", "device"):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif name in ("manager", "admin"):
        assert response.status_code == 200
        assert len(modules(response.content.decode())) == 8
    else:
        assert response.status_code == 403
        assert 'data-code="manage_forbidden"' in response.content.decode()


def test_the_site_home_links_the_management_home_for_center_staff_only(history: History,
                                                                       principals: Principals) -> None:
    assert 'id="manage-link" href="/manage/"' in login(history.world.clerk).get("/").content.decode()
    assert 'id="manage-link"' not in principals.client("citizen").get("/").content.decode()
    assert 'id="manage-link"' not in Client().get("/").content.decode()


def test_the_manager_finds_the_big_screens_beside_the_modules(center_world: CenterWorld) -> None:
    """The service wall and the operator's page of the big screens (issue #16) are a card for the
    manager; a clerk of the center does not get it."""
    manager, clerk = Client(), Client()
    manager.force_login(center_world.manager)
    clerk.force_login(center_world.clerk)
    html = manager.get(URL).content.decode()
    assert 'id="bigscreen"' in html
    assert 'href="/bigscreen/wall/"' in html and 'href="/bigscreen/ops/"' in html
    assert html.count('<li data-module="') == 8
    assert 'id="bigscreen"' not in clerk.get(URL).content.decode()
