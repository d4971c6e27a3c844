"""Item decisions (事项准入, issue #14 part 4): the low-volume candidates read from the rollups, the
proposal services (every refusal changes nothing), the withdrawal through the catalog, and the
authorization matrix of the pages and the API (the center's manager proposes, the item's
department decides, another center's manager and a clerk see nothing, anonymous is sent away)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.testing import make_api_token
from onewindow.catalog.models import ItemVersion, ServiceItem
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from onewindow.core.models import AuditEntry

from ..models import ItemProposal, ItemProposalEvent
from ..selectors import decisions as selectors
from ..services import decisions as services
from .decisions_world import DecisionWorld, build_decision_world

pytestmark = pytest.mark.django_db
SEED = (datetime.date(2016, 4, 1), datetime.date(2017, 9, 5))
API = "/api/v1/analytics/decisions"


@pytest.fixture
def dw(center_world: CenterWorld) -> DecisionWorld:
    return build_decision_world(center_world)


def _state() -> tuple[Any, ...]:
    """Everything a refusal must leave as it was."""
    return (list(ItemProposal.objects.order_by("id").values_list("id", "status", "decided_by", "catalog_version")),
            ItemProposalEvent.objects.count(), ItemVersion.objects.count(),
            sorted(ServiceItem.objects.values_list("id", "status")), _audits())


def _audits() -> int:
    return AuditEntry.objects.filter(action__startswith="analytics.proposal").count()


def _propose(dw: DecisionWorld, item: ServiceItem | None = None, **kw: Any) -> ItemProposal:
    values: dict[str, Any] = {"by": dw.manager, "center_id": dw.center.pk, "item_id": (item or dw.zero).pk,
                              "action": "withdraw", "reason": "种子窗口零办件", "window_start": SEED[0],
                              "window_end": SEED[1], **kw}
    return services.proposal_make(**values)


# ---- candidates ---------------------------------------------------------------------------------

def test_candidates_over_the_seed_window_are_found_from_the_rollups(dw: DecisionWorld) -> None:
    rows = selectors.candidates(by=dw.manager, center_id=dw.center.pk, start=SEED[0], end=SEED[1])
    assert [(r.item.name, r.volume, r.withdrawn) for r in rows] == [
        ("有线电视费减免申请（测试）", 0, False), ("粮油帮困申请（测试）", 0, True),
        ("骨灰海葬补贴申请（测试）", 3, False)]
    few = rows[2]
    assert few.monthly == {"2016-06": 1, "2017-01": 1, "2017-05": 1}
    assert few.channels == {"window": 2, "kiosk": 1}
    assert few.last_received is not None and few.last_received.date() == datetime.date(2017, 5, 10)
    assert rows[1].withdrawn_on == datetime.date(2017, 2, 20)
    assert [r.suggested_action for r in rows] == ["withdraw", "withdraw", "change"]
    # the maximum is a filter: at 0 only the two at zero
    assert [r.volume for r in selectors.candidates(by=dw.manager, center_id=dw.center.pk, start=SEED[0],
                                                   end=SEED[1], maximum=0)] == [0, 0]
    # a window that includes 2018 sees the zero item's 2 cases of 2018-01-05
    since = selectors.candidates(by=dw.manager, center_id=dw.center.pk, start=SEED[0],
                                 end=datetime.date(2026, 1, 1))
    assert {r.item.name: r.volume for r in since}["有线电视费减免申请（测试）"] == 2


def test_candidates_are_the_managers_only(dw: DecisionWorld) -> None:
    for user in (dw.other_manager, dw.clerk, dw.deptadmin, dw.world.cw.p.users["citizen"]):
        with pytest.raises(NotFound):
            selectors.candidates(by=user, center_id=dw.center.pk, start=SEED[0], end=SEED[1])


def test_home_summary_counts_items_still_in_use_and_open_proposals(dw: DecisionWorld, settings: Any) -> None:
    settings.ANALYTICS_DECISION_SINCE = "2016-04-01"
    assert selectors.home_summary(by=dw.manager, center_id=dw.center.pk)["candidates"] == 2  # zero (2), few
    _propose(dw, dw.few, action="change")
    summary = selectors.home_summary(by=dw.manager, center_id=dw.center.pk)
    assert (summary["candidates"], summary["proposed"], summary["start"]) == (1, 1, datetime.date(2016, 4, 1))
    with pytest.raises(NotFound):
        selectors.home_summary(by=dw.other_manager, center_id=dw.center.pk)


def test_window_presets() -> None:
    today = datetime.date(2017, 9, 5)
    assert selectors.window_of("seed", today=today) == ("seed", *SEED)
    assert selectors.window_of("year", today=today) == ("year", datetime.date(2016, 9, 6), today)
    assert selectors.window_of("custom", datetime.date(2017, 1, 1), datetime.date(2017, 1, 31), today=today) == (
        "custom", datetime.date(2017, 1, 1), datetime.date(2017, 1, 31))
    for args in (("nope",), ("custom", None, None), ("custom", datetime.date(2017, 2, 1), datetime.date(2017, 1, 1))):
        with pytest.raises(DomainError) as info:
            selectors.window_of(*args, today=today)
        assert info.value.code == "analytics_bad_window"


# ---- services -----------------------------------------------------------------------------------

def test_withdrawal_proposed_and_accepted_makes_catalog_version_n_plus_1_withdrawn(dw: DecisionWorld) -> None:
    proposal = _propose(dw)
    assert (proposal.status, proposal.volume, proposal.last_case_at, proposal.department_id) == (
        "proposed", 0, None, dw.world.cw.center.pk)
    before = dw.zero.current_version
    assert before is not None
    done = services.proposal_accept(by=dw.deptadmin, proposal_id=proposal.pk, note="同意取消")
    dw.zero.refresh_from_db()
    version = dw.zero.current_version
    assert version is not None
    assert (version.number, version.status, dw.zero.status) == (before.number + 1, "withdrawn", "withdrawn")
    assert done.catalog_version_id == version.pk
    assert (done.status, done.decided_by_id, done.decision_note) == ("accepted", dw.deptadmin.pk, "同意取消")
    assert list(done.events.order_by("id").values_list("action", "from_status", "to_status", "actor")) == [
        ("propose", "", "proposed", dw.manager.pk), ("accept", "proposed", "accepted", dw.deptadmin.pk)]
    assert _audits() == 2
    # decided once: a second decision is 409 and changes nothing
    state = _state()
    with pytest.raises(Conflict) as info:
        services.proposal_reject(by=dw.deptadmin, proposal_id=proposal.pk, note="再议")
    assert info.value.code == "proposal_illegal_transition"
    assert _state() == state


def test_evidence_is_frozen_from_the_rollups(dw: DecisionWorld) -> None:
    proposal = _propose(dw, dw.few, action="change", reason="仅3件")
    assert proposal.volume == 3
    assert proposal.last_case_at is not None and proposal.last_case_at.date() == datetime.date(2017, 5, 10)
    accepted = services.proposal_accept(by=dw.deptadmin, proposal_id=proposal.pk)
    dw.few.refresh_from_db()
    assert (accepted.status, accepted.catalog_version_id, dw.few.status) == ("accepted", None, "active")


def test_refusals_of_a_proposal_change_nothing(dw: DecisionWorld) -> None:
    _propose(dw, dw.few, action="change")
    state = _state()
    cases: list[tuple[dict[str, Any], type[DomainError], str]] = [
        ({"by": dw.other_manager}, NotFound, "center_not_found"),
        ({"by": dw.deptadmin}, NotFound, "center_not_found"),
        ({"by": dw.clerk}, NotFound, "center_not_found"),
        ({"item_id": dw.world.cw.item.pk}, NotFound, "item_not_found"),  # not offered by the center
        ({"action": "delete"}, DomainError, "proposal_invalid"),
        ({"reason": "   "}, DomainError, "proposal_invalid"),
        ({"reason": "零办件\x00"}, DomainError, "text_invalid"),
        ({"window_start": SEED[1], "window_end": SEED[0]}, DomainError, "proposal_invalid"),
        ({"window_end": "2099-01-01"}, DomainError, "proposal_invalid"),
        ({"window_end": "not a date"}, DomainError, "proposal_invalid"),
        ({"item_id": dw.gone.pk}, Conflict, "proposal_item_withdrawn"),
        ({"item_id": dw.few.pk}, Conflict, "proposal_open_exists"),  # one open proposal per item
    ]
    for kw, error, code in cases:
        with pytest.raises(error) as info:
            _propose(dw, **kw)
        assert info.value.code == code, kw
        assert _state() == state, kw


def test_deciding_is_for_the_items_department(dw: DecisionWorld) -> None:
    proposal = _propose(dw)
    state = _state()
    with pytest.raises(PermissionDenied) as denied:  # the manager sees it but may not decide
        services.proposal_accept(by=dw.manager, proposal_id=proposal.pk)
    assert denied.value.code == "proposal_action_forbidden"
    for user in (dw.other_manager, dw.clerk, dw.world.cw.p.users["clerk_other_department"]):
        with pytest.raises(NotFound):
            services.proposal_accept(by=user, proposal_id=proposal.pk)
    with pytest.raises(DomainError) as info:  # a rejection needs its reason
        services.proposal_reject(by=dw.deptadmin, proposal_id=proposal.pk, note="")
    assert info.value.code == "proposal_invalid"
    with pytest.raises(PermissionDenied):  # the department does not cancel the center's proposal
        services.proposal_cancel(by=dw.deptadmin, proposal_id=proposal.pk)
    assert _state() == state
    rejected = services.proposal_reject(by=dw.deptadmin, proposal_id=proposal.pk, note="该事项仍需保留")
    assert (rejected.status, ServiceItem.objects.get(pk=dw.zero.pk).status) == ("rejected", "active")
    # after a decision the item may be proposed again
    assert _propose(dw, action="keep").status == "proposed"


def test_the_proposer_cancels(dw: DecisionWorld) -> None:
    proposal = _propose(dw)
    cancelled = services.proposal_cancel(by=dw.manager, proposal_id=proposal.pk, note="再观察半年")
    assert (cancelled.status, cancelled.decided_by_id) == ("cancelled", None)
    state = _state()
    with pytest.raises(Conflict):
        services.proposal_accept(by=dw.deptadmin, proposal_id=proposal.pk)
    assert _state() == state


def test_proposal_visibility(dw: DecisionWorld) -> None:
    proposal = _propose(dw)
    assert selectors.proposal_detail(by=dw.manager, proposal_id=proposal.pk).pk == proposal.pk
    assert selectors.proposal_detail(by=dw.deptadmin, proposal_id=proposal.pk).pk == proposal.pk
    for user in (dw.other_manager, dw.clerk, dw.world.cw.p.users["citizen"]):
        assert list(selectors.proposal_list(by=user)) == []
        with pytest.raises(NotFound):
            selectors.proposal_detail(by=user, proposal_id=proposal.pk)


# ---- pages --------------------------------------------------------------------------------------

def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_pages_authorization_matrix(dw: DecisionWorld) -> None:
    proposal = _propose(dw, dw.few, action="change")
    page = _client(dw.manager).get("/analytics/decisions/?window=seed")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-zero="2" data-zero-withdrawn="1" data-low="1"' in body
    assert body.count("<tr data-item=") == 3
    for user in (dw.other_manager, dw.clerk, dw.deptadmin):
        assert _client(user).get(f"/analytics/decisions/?window=seed&center={dw.center.pk}").status_code == 404
    # without a center: one's own (the other manager's, with no item); none at all: 404
    assert _client(dw.other_manager).get("/analytics/decisions/").content.decode().count("<tr data-item=") == 0
    assert _client(dw.clerk).get("/analytics/decisions/").status_code == 404
    anonymous = _client().get("/analytics/decisions/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert _client(dw.manager).get("/analytics/decisions/?window=custom&start=2017-02-01").status_code == 400
    assert _client(dw.manager).get("/analytics/decisions/?max=-1").status_code == 400
    detail = f"/analytics/decisions/proposals/{proposal.pk}/"
    assert _client(dw.manager).get(detail).status_code == 200
    assert 'id="accept"' in _client(dw.deptadmin).get(detail).content.decode()
    assert 'id="accept"' not in _client(dw.manager).get(detail).content.decode()
    assert _client(dw.other_manager).get(detail).status_code == 404
    assert _client(dw.other_manager).get("/analytics/decisions/proposals/").content.decode().count(
        "data-proposal=") == 0
    assert _client(dw.deptadmin).get("/analytics/decisions/proposals/").content.decode().count("data-proposal=") == 1


def test_pages_propose_and_decide(dw: DecisionWorld) -> None:
    manager, deptadmin = _client(dw.manager), _client(dw.deptadmin)
    form = {"center": dw.center.pk, "item": dw.zero.pk, "action": "withdraw", "reason": "零办件",
            "window_start": "2016-04-01", "window_end": "2017-09-05", "back": "/analytics/decisions/?window=seed"}
    state = _state()
    assert _client(dw.other_manager).post("/analytics/decisions/propose/", form).status_code == 404
    bad = manager.post("/analytics/decisions/propose/", {**form, "reason": ""})
    assert (bad.status_code, bad["Location"]) == (302, "/analytics/decisions/?window=seed")
    assert _state() == state
    made = manager.post("/analytics/decisions/propose/", form)
    proposal = ItemProposal.objects.get()
    assert made["Location"] == f"/analytics/decisions/proposals/{proposal.pk}/"
    assert manager.post(f"/analytics/decisions/proposals/{proposal.pk}/accept/").status_code == 403
    done = deptadmin.post(f"/analytics/decisions/proposals/{proposal.pk}/accept/", {"note": "同意"})
    assert done.status_code == 302
    proposal.refresh_from_db()
    dw.zero.refresh_from_db()
    assert (proposal.status, dw.zero.status) == ("accepted", "withdrawn")
    page = deptadmin.get(f"/analytics/decisions/proposals/{proposal.pk}/").content.decode()
    assert 'id="catalog-version"' in page


# ---- API ----------------------------------------------------------------------------------------

def _bearer(user: Any, scopes: list[str] | None = None) -> dict[str, str]:
    _token, bearer = make_api_token(owner=user, scopes=scopes or ["analytics"])
    return {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}


def test_api_authorization_matrix(dw: DecisionWorld) -> None:
    client = Client()
    ok = client.get(f"{API}/candidates?window=seed&center={dw.center.pk}", **_bearer(dw.manager))
    assert ok.status_code == 200
    data = ok.json()
    assert (data["zero"], data["zero_withdrawn"], [i["volume"] for i in data["items"]]) == (2, 1, [0, 0, 3])
    assert data["items"][2]["monthly"] == {"2016-06": 1, "2017-01": 1, "2017-05": 1}
    for user in (dw.other_manager, dw.clerk, dw.deptadmin):
        response = client.get(f"{API}/candidates?window=seed&center={dw.center.pk}", **_bearer(user))
        assert (response.status_code, response.json()["code"]) == (404, "center_not_found")
    assert client.get(f"{API}/candidates?window=seed").status_code == 401
    assert client.get(f"{API}/candidates", **_bearer(dw.manager, ["cases"])).status_code == 403
    assert client.get(f"{API}/candidates?window=later", **_bearer(dw.manager)).status_code == 400
    # full-width digits read as ASCII (NfkcInt)
    assert client.get(f"{API}/candidates?window=seed&max=０", **_bearer(dw.manager)).json()["zero"] == 2


def test_api_propose_and_decide(dw: DecisionWorld) -> None:
    client = Client()
    body = {"center": dw.center.pk, "item": dw.zero.pk, "action": "withdraw", "reason": "零办件",
            "window_start": "2016-04-01", "window_end": "2017-09-05"}
    state = _state()
    assert client.post(f"{API}/proposals", json.dumps(body), content_type="application/json",
                       **_bearer(dw.other_manager)).status_code == 404
    assert client.post(f"{API}/proposals", json.dumps(body), content_type="application/json").status_code == 401
    assert _state() == state
    made = client.post(f"{API}/proposals", json.dumps(body), content_type="application/json",
                       **_bearer(dw.manager))
    assert made.status_code == 201
    pk = made.json()["id"]
    again = client.post(f"{API}/proposals", json.dumps(body), content_type="application/json",
                        **_bearer(dw.manager))
    assert (again.status_code, again.json()["code"]) == (409, "proposal_open_exists")
    denied = client.post(f"{API}/proposals/{pk}/accept", "{}", content_type="application/json",
                         **_bearer(dw.manager))
    assert (denied.status_code, denied.json()["code"]) == (403, "proposal_action_forbidden")
    hidden = client.post(f"{API}/proposals/{pk}/accept", "{}", content_type="application/json",
                         **_bearer(dw.other_manager))
    assert hidden.status_code == 404
    accepted = client.post(f"{API}/proposals/{pk}/accept", json.dumps({"note": "同意"}),
                           content_type="application/json", **_bearer(dw.deptadmin))
    assert accepted.status_code == 200
    out = accepted.json()
    assert (out["status"], out["catalog_version"], [e["action"] for e in out["events"]]) == (
        "accepted", 2, ["propose", "accept"])
    listed = client.get(f"{API}/proposals?status=accepted", **_bearer(dw.deptadmin)).json()
    assert [p["id"] for p in listed["items"]] == [pk]
    assert client.get(f"{API}/proposals", **_bearer(dw.other_manager)).json()["total"] == 0
    assert client.get(f"{API}/proposals?status=odd", **_bearer(dw.manager)).status_code == 400
