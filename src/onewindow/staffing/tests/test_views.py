"""The staffing pages (issue #15 parts 3, 5, 6 as users see them): who sees which page (the manager
of the center; a clerk only their own roster; anyone else 404 as if absent), the one-click
suggestion, the proposal's why and comparison, the what-if, the duty-rule refusal shown in Chinese
with nothing written, the weekly report and its xlsx."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from onewindow.centers.choices import WindowState
from onewindow.staffing.models import Advice, Leave, Proposal, Roster, Shift, StaffingPolicy
from onewindow.staffing.testing import StaffingWorld

from .test_api import _client, _rows, _snapshot

pytestmark = pytest.mark.django_db


def _pages(sw: StaffingWorld, r: dict[str, Any]) -> list[str]:
    c = sw.center.pk
    return [f"/staffing/?center={c}", f"/staffing/proposals/?center={c}", f"/staffing/proposals/{r['proposal'].pk}/",
            f"/staffing/rosters/{r['draft'].pk}/", f"/staffing/policy/?center={c}", f"/staffing/reports/?center={c}",
            f"/staffing/reports/xlsx/?center={c}", "/staffing/me/"]


def test_who_sees_which_page(sw: StaffingWorld) -> None:
    r = _rows(sw)
    pages = _pages(sw, r)
    expected = {
        "manager": [200] * 8,
        "clerk": [302] + [404] * 6 + [200],  # the staffing home takes a clerk to their own roster
        "other_manager": [404] * 7 + [200],
        "outsider": [404] * 7 + [200],
    }
    users = {"manager": sw.manager, "clerk": sw.clerks[1], "other_manager": sw.other_manager,
             "outsider": sw.outsider}
    before = _snapshot(sw)
    for who, statuses in expected.items():
        client = _client(users[who])
        got = [client.get(p).status_code for p in pages]
        assert got == statuses, (who, list(zip(pages, got, strict=True)))
    anonymous = Client()
    assert all(anonymous.get(p).status_code == 302 for p in pages)
    # a clerk who opens the staffing home is taken to their own roster; an outsider gets 404
    assert _client(sw.clerks[1]).get("/staffing/")["Location"] == "/staffing/me/"
    assert _client(sw.outsider).get("/staffing/").status_code == 404
    assert _snapshot(sw) == before


def test_today_shows_flags_and_one_click_applies_a_suggestion(sw: StaffingWorld) -> None:
    r = _rows(sw)
    client = _client(sw.manager)
    page = client.get(f"/staffing/?center={sw.center.pk}&day={r['advice'].date.isoformat()}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="slots"' in html and 'id="flag-counts"' in html
    assert all(flag in html for flag in ("人浮于事", "人少于事", "人事相宜"))
    assert f'data-advice="{r["advice"].pk}"' in html and "开启4号窗口受理 B" in html
    # another center's manager cannot apply it: 404, nothing changed
    before = _snapshot(sw)
    refused = _client(sw.other_manager).post(f"/staffing/advice/{r['advice'].pk}/apply/")
    assert refused.status_code == 404
    assert _snapshot(sw) == before
    applied = client.post(f"/staffing/advice/{r['advice'].pk}/apply/")
    assert applied.status_code == 302
    sw.windows[4].refresh_from_db()
    assert sw.windows[4].state == WindowState.OPEN
    assert Advice.objects.get(pk=r["advice"].pk).status == "applied"
    again = client.post(f"/staffing/advice/{r['advice'].pk}/apply/", follow=True)
    assert "该建议已处理或已过时。" in again.content.decode()


def test_proposal_page_shows_why_comparison_and_what_if(sw: StaffingWorld) -> None:
    client = _client(sw.manager)
    week = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday()) + datetime.timedelta(days=7)
    bad = client.post("/staffing/proposals/", {"center": sw.center.pk, "week_start": "2026-13-01"})
    assert bad.status_code == 422 and "请输入有效的日期" in bad.content.decode()
    assert Proposal.objects.count() == 0
    made = client.post("/staffing/proposals/", {"center": sw.center.pk, "week_start": week.isoformat()})
    assert made.status_code == 302, made.content.decode()[:2000]
    proposal = Proposal.objects.get()
    page = client.get(made["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="why"' in html and "A 户籍办理" in html
    assert 'class="beside"' in html  # the proposed roster beside the current duty plan
    charts = json.loads(html.split('id="staffing-charts" type="application/json">')[1].split("</script>")[0])
    assert [c["categories"] for c in charts][-1] == ["现行排班", "按峰值配置", "建议排班"]
    assert charts[-1]["id"] == "cmp-total"
    slot = proposal.needs["slots"][3]
    what_if = client.post(f"/staffing/proposals/{proposal.pk}/what-if/",
                          {"date": slot["date"], "slot": slot["slot"], "windows": 3})
    assert what_if.status_code == 200
    assert 'id="what-if-result"' in what_if.content.decode() and "假设调整" in what_if.content.decode()
    assert Proposal.objects.count() == 1
    wrong = client.post(f"/staffing/proposals/{proposal.pk}/what-if/",
                        {"date": slot["date"], "slot": "四十", "windows": 3})
    assert wrong.status_code == 422 and "请输入整数。" in wrong.content.decode()


def test_roster_refuses_a_shift_against_the_duty_rules(sw: StaffingWorld) -> None:
    r = _rows(sw)
    client = _client(sw.manager)
    before = _snapshot(sw)
    # ten hours without a break: longer than the longest shift
    long = client.post(f"/staffing/rosters/{r['draft'].pk}/shifts/",
                       {"user": sw.clerks[1].pk, "date": r["week"].isoformat(), "starts": "07:00", "ends": "17:00"})
    assert long.status_code == 422
    assert 'id="roster-error"' in long.content.decode()
    assert _snapshot(sw) == before
    bad_time = client.post(f"/staffing/rosters/{r['draft'].pk}/shifts/",
                           {"user": sw.clerks[1].pk, "date": r["week"].isoformat(), "starts": "25:00",
                            "ends": "12:00"})
    assert bad_time.status_code == 422 and "请输入有效的时间" in bad_time.content.decode()
    # a category the clerk never served nor was trained on: refused, the rule named in Chinese
    unqualified = client.post(f"/staffing/rosters/{r['draft'].pk}/shifts/",
                              {"user": sw.clerks[1].pk, "date": r["week"].isoformat(), "starts": "13:00",
                               "ends": "17:00", "window": sw.windows[2].pk, "category": [sw.categories["B"].pk]})
    assert unqualified.status_code == 422
    assert "该工作人员未具备所分派类别的受理资格" in unqualified.content.decode()
    assert _snapshot(sw) == before
    ok = client.post(f"/staffing/rosters/{r['draft'].pk}/shifts/",
                     {"user": sw.clerks[1].pk, "date": r["week"].isoformat(), "starts": "13:00", "ends": "17:00"})
    assert ok.status_code == 302, ok.content.decode().split('id="roster-error"')[-1][:800]
    assert Shift.objects.filter(roster=r["draft"], user=sw.clerks[1]).count() == 1
    published = client.post(f"/staffing/rosters/{r['draft'].pk}/publish/")
    assert published.status_code == 302
    assert Roster.objects.get(pk=r["draft"].pk).status == "published"


def test_policy_and_leave_forms(sw: StaffingWorld) -> None:
    r = _rows(sw)
    client = _client(sw.manager)
    form = {"center": sw.center.pk, "target_kind": "mean_wait", "target_share": "0.8", "target_minutes": "１０",
            "shrinkage": "0.2", "shift_min_minutes": "180", "shift_max_minutes": "480",
            "break_after_minutes": "270", "break_minutes": "45"}
    assert client.post("/staffing/policy/target/", form).status_code == 302
    policy = StaffingPolicy.objects.get(center=sw.center)
    assert (policy.target_kind, policy.target_minutes, policy.shrinkage) == ("mean_wait", 10, 0.2)
    bad = client.post("/staffing/policy/target/", {**form, "shrinkage": "0.9"})
    assert bad.status_code == 422
    assert StaffingPolicy.objects.get(center=sw.center).shrinkage == 0.2
    nul = client.post("/staffing/policy/leave/", {"center": sw.center.pk, "user": sw.clerks[1].pk,
                                                  "starts": "2026-03-02", "ends": "2026-03-03", "kind": "sick",
                                                  "note": "a\x00b"})
    assert nul.status_code == 422 and "含有无法识别的字符。" in nul.content.decode()
    assert Leave.objects.count() == 1
    assert client.post(f"/staffing/policy/leave/{r['leave'].pk}/remove/", {"center": sw.center.pk}).status_code == 302
    assert Leave.objects.count() == 0


def test_clerk_sees_their_own_roster_and_the_report_downloads(sw: StaffingWorld) -> None:
    r = _rows(sw)
    since = r["mine"].date.isoformat()
    html = _client(sw.clerks[1]).get(f"/staffing/me/?since={since}").content.decode()
    assert f'data-shift="{r["mine"].pk}"' in html
    assert f'data-shift="{r["shift"].pk}"' not in html  # another clerk's (and a draft's) shift
    other = _client(sw.clerks[0]).get(f"/staffing/me/?since={since}").content.decode()
    assert f'data-shift="{r["mine"].pk}"' not in other
    client = _client(sw.manager)
    report = client.get(f"/staffing/reports/?center={sw.center.pk}&week={r['advice'].date.isoformat()}")
    assert report.status_code == 200 and 'id="report-chart"' in report.content.decode()
    xlsx = client.get(f"/staffing/reports/xlsx/?center={sw.center.pk}&week={r['advice'].date.isoformat()}")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["时段明细", "汇总"]
    assert client.get(f"/staffing/reports/?center={sw.center.pk}&week=2026-02-31").status_code == 422
    assert client.get(f"/staffing/reports/?center={sw.center.pk}&week=9999-12-31").status_code == 422
    assert _client(sw.clerks[1]).get("/staffing/me/?since=0001-01-01").status_code == 422


def test_management_home_has_the_staffing_card_for_the_manager(sw: StaffingWorld) -> None:
    html = _client(sw.manager).get("/manage/").content.decode()
    assert 'id="staffing"' in html and f'href="/staffing/?center={sw.center.pk}"' in html
    assert html.count('<li data-module="') == 8  # the seed's eight modules stay the navigation
    assert 'id="staffing"' not in _client(sw.clerks[1]).get("/manage/").content.decode()
