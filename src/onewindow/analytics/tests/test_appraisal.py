"""绩效考核 (issue #14 part 3): exact figures from fixed fact rows (appraisal_history), the weighted
score with the default weights and with a saved scheme, scheme saving with its refusals (nothing
written), and the authorization matrix of the page, the downloads and the API (clerk sees self,
manager the center, another center's manager nothing, anonymous to login / 401). The xlsx opens
with openpyxl and holds the figures; the PDF parses (pypdf) and names the clerk."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from onewindow.analytics.models import AppraisalScheme
from onewindow.analytics.selectors import appraisal as selectors
from onewindow.analytics.services.appraisal import appraisal_scheme_save
from onewindow.centers.selectors import user_name
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry

from .appraisal_history import MONTH, History, build_appraisal_history

NOV = datetime.date(2026, 11, 1)
TODAY = datetime.date(2026, 12, 6)


@pytest.fixture
def history(center_world: CenterWorld) -> History:
    return build_appraisal_history(center_world)


def figures(row: selectors.Row) -> tuple[Any, ...]:
    return (row.served, row.accepted, row.median_minutes, row.p90_minutes, row.on_duty_seconds,
            row.effective_share, row.ratings, row.average_level, row.bad, row.followups, row.followups_closed,
            row.followups_overdue, row.overdue, row.score)


def test_manager_sees_every_clerk_and_window(history: History) -> None:
    w = history.world
    a = selectors.appraisal_for(w.manager, center_id=w.center.pk, month=NOV)
    assert (a.own_only, a.scheme, a.weights) == (False, None, selectors.DEFAULT_WEIGHTS)
    rows = {r.key: r for r in a.clerks}
    assert set(rows) == {w.clerk.pk, history.clerk_d.pk}
    assert figures(rows[w.clerk.pk]) == (10, 8, 6.0, 6.8, 7200, 41.7, 4, 4.0, 1, 1, 1, 0, 2, 81.8)
    assert rows[w.clerk.pk].parts == {"served": 100.0, "accepted": 100.0, "effective_share": 41.7,
                                      "satisfaction": 80.0, "followup": 100.0, "on_time": 75.0}
    assert figures(rows[history.clerk_d.pk]) == (5, 4, 12.5, 14.5, 3600, 83.3, 0, None, 0, 0, 0, 0, 0, 66.7)
    assert rows[history.clerk_d.pk].parts["satisfaction"] is None
    windows = [(r.name, r.served, r.accepted, r.effective_share, r.ratings, r.score) for r in a.windows]
    assert windows == [("1 号窗口", 10, None, 41.7, 4, 79.1), ("2 号窗口", 5, None, 83.3, 0, 64.8)]
    assert [(m, weight) for m, _label, weight, _rule in a.rules] == list(selectors.DEFAULT_WEIGHTS.items())


def test_clerk_sees_only_their_row_scored_against_the_center(history: History) -> None:
    w = history.world
    a = selectors.appraisal_for(history.clerk_d, center_id=None, month=NOV)
    assert (a.center.pk, a.own_only, a.windows) == (w.center.pk, True, [])
    assert [(r.key, r.served, r.score) for r in a.clerks] == [(history.clerk_d.pk, 5, 66.7)]
    assert a.clerks[0].parts["served"] == 50.0  # against the center's best (10), not the clerk alone


def test_outsiders_see_nothing(history: History) -> None:
    w = history.world
    with pytest.raises(DomainError) as excinfo:
        selectors.appraisal_for(history.other_manager, center_id=w.center.pk, month=NOV)
    assert (excinfo.value.status, excinfo.value.code) == (404, "analytics_center_not_found")
    with pytest.raises(DomainError) as excinfo:
        selectors.appraisal_for(w.cw.p.clerk, center_id=w.center.pk, month=NOV)
    assert (excinfo.value.status, excinfo.value.code) == (403, "analytics_appraisal_forbidden")
    other = selectors.appraisal_for(history.other_manager, center_id=None, month=NOV)
    assert (other.center.pk, [(r.served, r.score) for r in other.clerks]) == (history.other_center.pk, [(50, 100.0)])


def test_a_saved_scheme_applies_from_its_month(history: History) -> None:
    w = history.world
    AppraisalScheme.objects.create(center=w.center, valid_from=NOV, weights={"served": 100}, rules="只看办理量")
    AppraisalScheme.objects.create(center=w.center, valid_from=datetime.date(2026, 12, 1), weights={"bad": 1})
    a = selectors.appraisal_for(w.manager, center_id=w.center.pk, month=NOV)
    assert a.scheme is not None and a.scheme.valid_from == NOV and a.scheme_rules == "只看办理量"
    assert {r.key: r.score for r in a.clerks} == {w.clerk.pk: 100.0, history.clerk_d.pk: 50.0}
    october = selectors.appraisal_for(w.manager, center_id=w.center.pk, month=datetime.date(2026, 10, 1))
    assert october.scheme is None and [r.served for r in october.clerks] == [99]


def scheme_rows() -> list[tuple[Any, ...]]:
    return list(AppraisalScheme.objects.order_by("id").values_list("center_id", "valid_from", "weights", "rules"))


@pytest.mark.parametrize(("who", "kwargs", "code", "status"), [
    ("manager", {"valid_from": datetime.date(2026, 11, 1)}, "analytics_scheme_invalid", 422),
    ("manager", {"valid_from": datetime.date(2027, 1, 2)}, "analytics_scheme_invalid", 422),
    ("manager", {"weights": {"served": 101}}, "analytics_scheme_invalid", 422),
    ("manager", {"weights": {"served": -1}}, "analytics_scheme_invalid", 422),
    ("manager", {"weights": {"speed": 10}}, "analytics_scheme_invalid", 422),
    ("manager", {"weights": {"served": 0}}, "analytics_scheme_invalid", 422),
    ("manager", {"rules": "长" * 2001}, "analytics_scheme_invalid", 422),
    ("clerk", {}, "analytics_scheme_forbidden", 403),
    ("other_manager", {}, "analytics_center_not_found", 404),
    ("outsider", {}, "analytics_center_not_found", 404),
])
def test_scheme_refusals_write_nothing(history: History, who: str, kwargs: dict[str, Any], code: str,
                                       status: int) -> None:
    w = history.world
    by = {"manager": w.manager, "clerk": w.clerk, "other_manager": history.other_manager,
          "outsider": w.cw.p.clerk}[who]
    args: dict[str, Any] = {"valid_from": datetime.date(2027, 1, 1), "weights": {"served": 50, "satisfaction": 50},
                            "rules": "", **kwargs}
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as excinfo:
        appraisal_scheme_save(by=by, center_id=w.center.pk, today=TODAY, **args)
    assert (excinfo.value.code, excinfo.value.status) == (code, status)
    assert scheme_rows() == [] and AuditEntry.objects.count() == audits


def test_scheme_saved_once_per_month_and_audited(history: History) -> None:
    w = history.world
    jan = datetime.date(2027, 1, 1)
    scheme = appraisal_scheme_save(by=w.manager, center_id=w.center.pk, valid_from=jan,
                                   weights={"served": "40", "effective_share": 60}, rules=" 规则 ", today=TODAY)
    expected = [(w.center.pk, jan, {"served": 40, "accepted": 0, "effective_share": 60, "satisfaction": 0,
                                    "followup": 0, "on_time": 0}, "规则")]
    assert scheme_rows() == expected
    assert AuditEntry.objects.filter(action="analytics.appraisal.scheme", target_id=str(scheme.pk)).count() == 1
    with pytest.raises(DomainError) as excinfo:
        appraisal_scheme_save(by=w.manager, center_id=w.center.pk, valid_from=jan, weights={"served": 1}, today=TODAY)
    assert (excinfo.value.code, excinfo.value.status) == ("analytics_scheme_exists", 409)
    assert scheme_rows() == expected


# --------------------------------------------------------------------------- pages, downloads, API
def client_for(history: History, who: str) -> Client:
    w = history.world
    client = Client()
    user = {"manager": w.manager, "clerk": w.clerk, "other_manager": history.other_manager,
            "outsider": w.cw.p.clerk, "anonymous": None}[who]
    if user is not None:
        client.force_login(user)
    return client


QUERY = f"?month={MONTH}&center="

MATRIX = [("anonymous", 302), ("outsider", 403), ("other_manager", 404), ("clerk", 200), ("manager", 200)]


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_page_matrix(history: History, who: str, status: int) -> None:
    w = history.world
    response = client_for(history, who).get(f"/analytics/appraisal/{QUERY}{w.center.pk}")
    assert response.status_code == status
    if status == 302:
        assert "/login" in response["Location"]
        return
    html = response.content.decode()
    if status != 200:
        assert {403: 'data-code="analytics_appraisal_forbidden"',
                404: 'data-code="analytics_center_not_found"'}[status] in html
        assert user_name(history.clerk_d) not in html
        return
    assert f'<tr data-key="{w.clerk.pk}">' in html
    assert (f'<tr data-key="{history.clerk_d.pk}">' in html) == (who == "manager")
    assert ('id="windows"' in html) == (who == "manager")
    assert ('id="scheme-form"' in html) == (who == "manager")
    assert 'data-key="effective_share"' in html and "有效受理时长占比" in html


@pytest.mark.parametrize(("who", "status"), MATRIX)
def test_downloads_matrix(history: History, who: str, status: int) -> None:
    w = history.world
    client = client_for(history, who)
    xlsx = client.get(f"/analytics/appraisal/xlsx/{QUERY}{w.center.pk}")
    pdf = client.get(f"/analytics/appraisal/pdf/{QUERY}{w.center.pk}")
    assert (xlsx.status_code, pdf.status_code) == (status, status)
    if status != 200:
        return
    assert xlsx["Content-Disposition"] == f'attachment; filename="appraisal-TEST-LFL-{MONTH}.xlsx"'
    book = load_workbook(io.BytesIO(xlsx.content))
    expected_sheets = ["工作人员", "窗口", "考核规则"] if who == "manager" else ["工作人员", "考核规则"]
    assert book.sheetnames == expected_sheets
    rows = [trimmed(r) for r in book["工作人员"].iter_rows(values_only=True)]
    assert rows[0] == ["临汾路中心 绩效考核 2026-11"]
    clerk_row = [user_name(w.clerk), 10, 8, 6, 6.8, 2, 41.7, 4, 4, 1, 1, 1, 0, 2, 81.8]
    assert clerk_row in rows[2:]
    assert len(rows) == (4 if who == "manager" else 3)
    rules = [trimmed(r) for r in book["考核规则"].iter_rows(values_only=True)]
    assert rules[2][:2] == ["办理号数", 25]
    assert pdf.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "81.8" in text and "41.7" in text
    assert user_name(w.clerk) in text.replace(" ", "")


def trimmed(row: tuple[Any, ...]) -> list[Any]:
    values = list(row)
    while values and values[-1] is None:
        values.pop()
    return values


API = [("anonymous", 401, "unauthenticated"), ("outsider", 403, "analytics_appraisal_forbidden"),
       ("other_manager", 404, "analytics_center_not_found"), ("clerk", 200, None), ("manager", 200, None)]


@pytest.mark.parametrize(("who", "status", "code"), API)
def test_api_matrix(history: History, who: str, status: int, code: str | None) -> None:
    w = history.world
    response = client_for(history, who).get(f"/api/v1/analytics/appraisal{QUERY}{w.center.pk}")
    assert response.status_code == status
    body = response.json()
    if code is not None:
        assert body["code"] == code
        return
    assert (body["center"], body["month"], body["own_only"]) == (w.center.pk, MONTH, who == "clerk")
    mine = next(r for r in body["clerks"] if r["id"] == w.clerk.pk)
    assert (mine["served"], mine["median_minutes"], mine["effective_share"], mine["score"]) == (10, 6.0, 41.7, 81.8)
    assert len(body["clerks"]) == (2 if who == "manager" else 1)
    assert len(body["windows"]) == (2 if who == "manager" else 0)
    assert [r["weight"] for r in body["rules"]] == [25, 15, 20, 20, 10, 10]


@pytest.mark.parametrize(("who", "status", "code"), [
    ("anonymous", 401, "unauthenticated"), ("outsider", 404, "analytics_center_not_found"),
    ("other_manager", 404, "analytics_center_not_found"), ("clerk", 403, "analytics_scheme_forbidden"),
    ("manager", 201, None)])
def test_api_scheme_matrix(history: History, who: str, status: int, code: str | None) -> None:
    w = history.world
    payload = {"center": w.center.pk, "valid_from": "2099-01", "weights": {"served": "５０", "on_time": 50},
               "rules": "按月考核"}
    response = client_for(history, who).post("/api/v1/analytics/appraisal/schemes", data=json.dumps(payload),
                                             content_type="application/json")
    assert response.status_code == status
    if code is not None:
        assert response.json()["code"] == code and scheme_rows() == []
        return
    assert response.json()["weights"] == {"served": 50, "accepted": 0, "effective_share": 0, "satisfaction": 0,
                                          "followup": 0, "on_time": 50}
    assert len(scheme_rows()) == 1


def test_bad_month_is_422_and_page_scheme_form(history: History) -> None:
    w = history.world
    client = client_for(history, "manager")
    response = client.get(f"/analytics/appraisal/?month=2026-13&center={w.center.pk}")
    assert response.status_code == 422 and b'data-code="analytics_month_invalid"' in response.content
    api = client.get("/api/v1/analytics/appraisal?month=abc")
    assert (api.status_code, api.json()["code"]) == (422, "analytics_month_invalid")
    bad_from = client.post("/api/v1/analytics/appraisal/schemes", content_type="application/json",
                           data=json.dumps({"center": w.center.pk, "valid_from": "2099-1", "weights": {"served": 1}}))
    assert (bad_from.status_code, bad_from.json()["code"], list(bad_from.json()["fields"])) == (
        422, "analytics_month_invalid", ["valid_from"])
    form = {"center": w.center.pk, "month": MONTH, "valid_from": "2099-02", "rules": "",
            **{f"w_{m}": "" for m in selectors.MEASURES}}
    refused = client.post("/analytics/appraisal/scheme/", form)
    assert refused.status_code == 422 and b'data-code="analytics_scheme_invalid"' in refused.content
    assert scheme_rows() == []
    form["w_served"] = "30"
    saved = client.post("/analytics/appraisal/scheme/", form)
    assert saved.status_code == 302 and saved["Location"] == f"/analytics/appraisal/?center={w.center.pk}&month={MONTH}"
    assert [r[1] for r in scheme_rows()] == [datetime.date(2099, 2, 1)]
    clerk = client_for(history, "clerk").post("/analytics/appraisal/scheme/", {**form, "valid_from": "2099-03"})
    assert clerk.status_code == 403 and len(scheme_rows()) == 1


def test_default_month_is_last_month() -> None:
    assert selectors.parse_month("", today=TODAY) == NOV
    assert selectors.parse_month("2017-09", today=TODAY) == datetime.date(2017, 9, 1)
