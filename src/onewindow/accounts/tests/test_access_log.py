"""Issue #9 point 1 / PIPL art. 45: a citizen sees who viewed their unmasked data and for which case."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from onewindow.accounts.testing import PersonFactory, make_resident_id
from onewindow.accounts.testing import fresh_reauth as fresh
from onewindow.cases.testing import CaseWorld

BASE = "/api/v1/accounts"
PAGE = "/accounts/me/access-log/"
ISSUE = "issue #9: no access log for the citizen"


def test_access_log_page_shows_exactly_the_views_of_my_data(case_world: CaseWorld) -> None:
    from onewindow.accounts import services

    p = case_world.p
    case = case_world.submitted()
    clerk = fresh(p.client("clerk"), p.clerk)
    assert clerk.get(f"{BASE}/persons/{p.citizen.person.ref}?unmask=true").status_code == 200
    other = services.person_register(by=p.clerk, name="孙立新", id_number=make_resident_id("310106"),
                                     phone="13912345678")
    assert clerk.get(f"{BASE}/persons/{other.ref}?unmask=true").status_code == 200  # someone else's data

    html = p.client("citizen").get(PAGE).content.decode()
    assert html.count('<td data-label="查看目的">') == 1
    assert case.number in html and p.department.name in html and "受理员" in html and "办件" in html
    assert p.clerk.username not in html  # the handling body and role are shown, not the clerk's name
    assert "窗口实名登记" not in html
    assert 'href="/accounts/me/access-log/"' in html  # linked from the navigation

    api = p.client("citizen").get(f"{BASE}/me/access-log").json()
    assert (api["total"], api["page"], api["pages"]) == (1, 1, 1)
    assert [(i["purpose_kind"], i["purpose_reference"], i["department"], i["viewer_role"])
            for i in api["items"]] == [("case", case.number, p.department.name, "window_clerk")]

    nothing = p.client("another_citizen").get(PAGE).content.decode()
    assert case.number not in nothing and "目前没有工作人员查看过您的完整个人信息" in nothing
    assert p.client("another_citizen").get(f"{BASE}/me/access-log").json() == {
        "total": 0, "page": 1, "pages": 1, "items": []}


def test_access_log_is_paginated_newest_first(case_world: CaseWorld) -> None:
    from onewindow.accounts.models import PersonAccess

    p = case_world.p
    now = timezone.now()
    PersonAccess.objects.bulk_create([
        PersonAccess(person=p.citizen.person, viewer=p.clerk, viewer_role="window_clerk", department=p.department,
                     purpose_kind="case", purpose_reference=f"310106-2026-{n:07d}",
                     at=now - datetime.timedelta(minutes=n)) for n in range(25)])
    PersonAccess.objects.create(person=PersonFactory.create(), viewer=p.clerk, purpose_kind="case",
                                purpose_reference="310106-2026-9999999", at=now)
    client = p.client("citizen")
    first = client.get(f"{BASE}/me/access-log").json()
    second = client.get(f"{BASE}/me/access-log?page=2").json()
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (25, 2, 20, 5)
    refs = [i["purpose_reference"] for i in first["items"] + second["items"]]
    assert refs == [f"310106-2026-{n:07d}" for n in range(25)]
    page2 = client.get(PAGE + "?page=2").content.decode()
    assert "310106-2026-0000024" in page2 and "310106-2026-0000000" not in page2
    assert "第 2 / 2 页" in page2
    assert client.get(PAGE + "?page=abc").status_code == 200
    assert client.get(PAGE + "?page=999").status_code == 200


def test_access_log_needs_a_login(case_world: CaseWorld) -> None:
    anonymous = Client()
    response = anonymous.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    api = anonymous.get(f"{BASE}/me/access-log")
    assert (api.status_code, api.json()["code"]) == (401, "unauthenticated")
