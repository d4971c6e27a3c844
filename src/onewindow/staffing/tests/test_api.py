"""The staffing API (issue #15): the authorization matrix of every endpoint — anonymous 401, a token
without the ``staffing`` scope 403, another center's manager, a clerk and an outsider 404 on the
manager's endpoints (as if absent), a clerk 200 on their own roster, the manager 200/201 — where
every refusal leaves the rows as they were; and bad input answered 422 with the field named."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.accounts.testing import make_api_token
from onewindow.centers.choices import WindowState
from onewindow.centers.models import Window
from onewindow.staffing.models import Advice, Leave, Proposal, Roster, Shift, StaffingPolicy
from onewindow.staffing.selectors import advice as advice_selectors
from onewindow.staffing.services import proposal as proposal_services
from onewindow.staffing.testing import StaffingWorld

from .conftest import OPEN_SLOTS

pytestmark = pytest.mark.django_db
API = "/api/v1/staffing"


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _send(client: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    if method == "GET":
        return client.get(f"{API}{path}")
    call = client.delete if method == "DELETE" else client.post
    return call(f"{API}{path}", data=body or {}, content_type="application/json")


def _rows(sw: StaffingWorld) -> dict[str, Any]:
    """A proposal, a draft roster with one shift, a published roster with the second clerk's shift
    (next week), a pending suggestion for tomorrow (never over while the test runs), a leave."""
    now = timezone.now()
    week = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday()) + datetime.timedelta(days=7)
    # the proposal is of the fixed test week (working days, known needs), so the what-if has open slots
    target = advice_selectors.target_of(sw.center.pk)
    needs = advice_selectors.needs_for(sw.center.pk, [sw.day(d) for d in range(7)], target=target)
    proposal = Proposal.objects.create(center=sw.center, week_start=sw.week_start, created_at=now,
                                       needs=proposal_services.needs_json(needs, target),
                                       comparison={"plans": {}, "days": []})
    draft = Roster.objects.create(center=sw.center, week_start=week, created_at=now, proposal=proposal,
                                  source="proposal")
    shift = Shift.objects.create(roster=draft, user=sw.clerks[0], date=week, starts=datetime.time(8, 30),
                                 ends=datetime.time(12, 30))
    published = Roster.objects.create(center=sw.center, week_start=week + datetime.timedelta(days=7),
                                      created_at=now, status="published", published_at=now)
    mine = Shift.objects.create(roster=published, user=sw.clerks[1], date=week + datetime.timedelta(days=7),
                                starts=datetime.time(8, 30), ends=datetime.time(12, 30))
    sw.windows[4].state = WindowState.PAUSED
    sw.windows[4].save(update_fields=["state"])
    advice = Advice.objects.create(center=sw.center, date=timezone.localdate() + datetime.timedelta(days=1), slot=20,
                                   flag="short", kind="open", window=sw.windows[4],
                                   categories=[sw.categories["B"].pk], reason={"text": "开启4号窗口受理 B"},
                                   created_at=now)
    leave = Leave.objects.create(center=sw.center, user=sw.clerks[2], starts=week, ends=week)
    return {"proposal": proposal, "draft": draft, "shift": shift, "published": published, "mine": mine,
            "advice": advice, "leave": leave, "week": week}


def _snapshot(sw: StaffingWorld) -> Any:
    return (sorted(Proposal.objects.values_list("pk", "week_start")),
            sorted(Roster.objects.values_list("pk", "status")),
            sorted(Shift.objects.values_list("pk", "user_id", "date", "starts", "ends")),
            sorted(Advice.objects.values_list("pk", "status")),
            sorted(Leave.objects.values_list("pk", "user_id", "starts", "ends")),
            list(StaffingPolicy.objects.values_list("center_id", "target_share", "target_minutes")),
            sorted(Window.objects.filter(center=sw.center).values_list("number", "state")),
            sorted((w.number, sorted(c.pk for c in w.categories.all()))
                   for w in Window.objects.filter(center=sw.center).prefetch_related("categories")))


def _reads(sw: StaffingWorld, r: dict[str, Any]) -> list[str]:
    c = sw.center.pk
    return [f"/flags?center_id={c}", f"/advice?center_id={c}", f"/proposals?center_id={c}",
            f"/proposals/{r['proposal'].pk}", f"/rosters?center_id={c}", f"/rosters/{r['draft'].pk}",
            f"/policy?center_id={c}", f"/clerks?center_id={c}", f"/leave?center_id={c}",
            f"/report?center_id={c}", "/me"]


def test_matrix_of_reads(sw: StaffingWorld) -> None:
    r = _rows(sw)
    paths = _reads(sw, r)
    expected = {
        "manager": [200] * 11,
        "clerk": [404] * 10 + [200],
        "other_manager": [404] * 10 + [200],
        "outsider": [404] * 10 + [200],
        None: [401] * 11,
    }
    users = {"manager": sw.manager, "clerk": sw.clerks[1], "other_manager": sw.other_manager,
             "outsider": sw.outsider, None: None}
    before = _snapshot(sw)
    for who, statuses in expected.items():
        client = _client(users[who])
        got = [_send(client, "GET", p).status_code for p in paths]
        assert got == statuses, (who, list(zip(paths, got, strict=True)))
    answer = _client(sw.clerks[1]).get(f"{API}/proposals/{r['proposal'].pk}")
    assert answer.json()["code"] == "staffing_proposal_not_found"
    assert _client(sw.other_manager).get(f"{API}/rosters?center_id={sw.center.pk}").json()["code"] == \
        "staffing_center_not_found"
    # what the lists hold: a clerk sees only their own published shift
    since = r["week"].isoformat()
    mine = _client(sw.clerks[1]).get(f"{API}/me?since={since}").json()
    assert [(s["id"], s["roster_status"]) for s in mine["items"]] == [(r["mine"].pk, "published")]
    assert mine["total"] == 1
    empty = {"items": [], "total": 0, "page": 1, "pages": 1}
    assert _client(sw.clerks[0]).get(f"{API}/me?since={since}").json() == empty  # a draft's shift is not shown
    assert _client(sw.other_manager).get(f"{API}/me?since={since}").json() == empty
    manager = _client(sw.manager)
    assert [p["id"] for p in manager.get(f"{API}/proposals?center_id={sw.center.pk}").json()["items"]] == [
        r["proposal"].pk]
    assert [s["id"] for s in manager.get(f"{API}/rosters/{r['draft'].pk}").json()["shifts"]] == [r["shift"].pk]
    assert [a["id"] for a in manager.get(f"{API}/advice?center_id={sw.center.pk}&day="
                                         f"{r['advice'].date.isoformat()}").json()["items"]] == [r["advice"].pk]
    flags = manager.get(f"{API}/flags?center_id={sw.center.pk}&day={r['week'].isoformat()}").json()
    assert [s["slot"] for s in flags["slots"]] == list(OPEN_SLOTS)
    assert _snapshot(sw) == before


def _writes(sw: StaffingWorld, r: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    c = sw.center.pk
    week = r["week"]
    return [
        ("POST", "/proposals", {"center_id": c, "week_start": week.isoformat()}),
        ("POST", f"/proposals/{r['proposal'].pk}/what-if", {"overrides": [
            {"date": sw.week_start.isoformat(), "slot": 20, "windows": 2}]}),
        ("POST", f"/advice/{r['advice'].pk}/apply", {}),
        ("POST", f"/advice/{r['advice'].pk}/dismiss", {}),
        ("POST", f"/advice/refresh?center_id={c}", {}),
        ("POST", f"/rosters/{r['draft'].pk}/shifts", {"user_id": sw.clerks[1].pk, "date": week.isoformat(),
                                                      "starts": "13:00", "ends": "17:00"}),
        ("DELETE", f"/rosters/{r['draft'].pk}/shifts/{r['shift'].pk}", {}),
        ("POST", f"/rosters/{r['draft'].pk}/publish", {}),
        ("POST", "/policy", {"center_id": c, "target_kind": "service_level", "target_share": 0.9,
                             "target_minutes": 10, "shrinkage": 0.1, "shift_min_minutes": 180,
                             "shift_max_minutes": 480, "break_after_minutes": 270, "break_minutes": 45}),
        ("POST", "/terms", {"center_id": c, "user_id": sw.clerks[3].pk, "part_time": True,
                            "max_minutes_per_day": 240, "max_days_per_week": 3}),
        ("POST", "/leave", {"center_id": c, "user_id": sw.clerks[3].pk, "starts": week.isoformat(),
                            "ends": week.isoformat(), "kind": "sick"}),
        ("DELETE", f"/leave/{r['leave'].pk}", {}),
    ]


def test_matrix_of_writes_refusals_change_nothing(sw: StaffingWorld) -> None:
    r = _rows(sw)
    writes = _writes(sw, r)
    before = _snapshot(sw)
    for who, user in (("clerk", sw.clerks[0]), ("other_manager", sw.other_manager), ("outsider", sw.outsider),
                      ("anonymous", None)):
        client = _client(user)
        got = [_send(client, method, path, body).status_code for method, path, body in writes]
        assert got == [401 if user is None else 404] * len(writes), (who, got)
        assert _snapshot(sw) == before, who
    _token, bearer = make_api_token(name="其他", scopes=["cases:read"], owner=sw.manager)
    client = Client(headers={"Authorization": f"Bearer {bearer}"})
    for method, path, body in [("GET", p, {}) for p in _reads(sw, r)] + writes:
        answer = _send(client, method, path, body)
        assert (answer.status_code, answer.json()["code"]) == (403, "insufficient_scope"), path
    assert _snapshot(sw) == before


def test_the_manager_writes(sw: StaffingWorld) -> None:
    r = _rows(sw)
    _token, bearer = make_api_token(name="调配", scopes=["staffing"], owner=sw.manager)
    client = Client(headers={"Authorization": f"Bearer {bearer}"})
    statuses = {}
    for method, path, body in _writes(sw, r):
        if path.endswith("/dismiss"):
            continue  # the suggestion is applied just before
        answer = _send(client, method, path, body)
        statuses[path] = answer.status_code
        assert answer.status_code in (200, 201, 204), (path, answer.json())
    assert statuses["/proposals"] == 201 and statuses["/leave"] == 201
    sw.windows[4].refresh_from_db()
    assert sw.windows[4].state == WindowState.OPEN  # the suggestion opened window 4
    assert Advice.objects.get(pk=r["advice"].pk).status == "applied"
    assert Roster.objects.get(pk=r["draft"].pk).status == "published"
    assert not Shift.objects.filter(pk=r["shift"].pk).exists()
    assert not Leave.objects.filter(pk=r["leave"].pk).exists()
    policy = StaffingPolicy.objects.get(center=sw.center)
    assert (policy.target_share, policy.target_minutes) == (0.9, 10)
    assert Proposal.objects.filter(center=sw.center).count() == 2


def test_bad_input_is_422_with_the_field(sw: StaffingWorld) -> None:
    r = _rows(sw)
    client = _client(sw.manager)
    before = _snapshot(sw)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/proposals", {"center_id": sw.center.pk, "week_start": "2026-02-30"}, "week_start"),
        (f"/proposals/{r['proposal'].pk}/what-if", {"overrides": [{"date": sw.week_start.isoformat(), "slot": 48,
                                                                   "windows": 1}]}, "overrides.0.slot"),
        ("/leave", {"center_id": sw.center.pk, "user_id": sw.clerks[1].pk, "starts": "2026-03-02",
                    "ends": "2026-03-02", "note": "病\x00假"}, "note"),
        ("/terms", {"center_id": sw.center.pk, "user_id": sw.clerks[1].pk, "max_minutes_per_day": "x",
                    "max_days_per_week": 3}, "max_minutes_per_day"),
        ("/policy", {"center_id": sw.center.pk, "target_kind": "service_level", "target_share": 1.5,
                     "target_minutes": 10, "shrinkage": 0.1, "shift_min_minutes": 180, "shift_max_minutes": 480,
                     "break_after_minutes": 270, "break_minutes": 45}, "target_share"),
    ]
    for path, body, field in cases:
        answer = _send(client, "POST", path, body)
        assert answer.status_code == 422, (path, answer.json())
        assert field in answer.json()["fields"], (path, answer.json())
    full_width = _send(client, "POST", "/terms", {"center_id": sw.center.pk, "user_id": sw.clerks[1].pk,
                                                  "max_minutes_per_day": "２４０", "max_days_per_week": "３"})
    assert full_width.status_code == 200 and full_width.json()["max_minutes_per_day"] == 240
    # dates far outside the years staffing handles: 422 naming the field, never an overflow
    for path, field in (("/me?since=9999-12-31", "since"), (f"/report?center_id={sw.center.pk}&week_start=0001-01-01",
                                                              "week_start")):
        answer = client.get(f"{API}{path}")
        assert (answer.status_code, list(answer.json()["fields"])) == (422, [field]), path
    far = _send(client, "POST", "/leave", {"center_id": sw.center.pk, "user_id": sw.clerks[1].pk,
                                           "starts": "0001-01-01", "ends": "9999-12-31"})
    assert far.status_code == 422 and set(far.json()["fields"]) == {"starts", "ends"}
    missing = client.get(f"{API}/proposals/999999")
    assert (missing.status_code, missing.json()["code"]) == (404, "staffing_proposal_not_found")
    assert _snapshot(sw)[:5] == before[:5]


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        assert client.get(f"{API}{path}").status_code == 200
    return len(seen.captured_queries)


def test_lists_do_not_grow_queries_with_rows(sw: StaffingWorld) -> None:
    """A roster's shifts, the proposals, the advice and one's own shifts: the same number of queries
    for one row as for several (assignments, windows and categories prefetched)."""
    r = _rows(sw)
    client = _client(sw.manager)
    clerk = _client(sw.clerks[1])
    since = r["week"].isoformat()
    paths = [f"/rosters/{r['draft'].pk}", f"/proposals?center_id={sw.center.pk}",
             f"/advice?center_id={sw.center.pk}&day={r['advice'].date.isoformat()}"]
    now = timezone.now()

    def add(n: int) -> None:
        """A shift with an assignment in each roster, a proposal and a suggestion more."""
        day = r["week"] + datetime.timedelta(days=n)
        shift = Shift.objects.create(roster=r["draft"], user=sw.clerks[n], date=day, starts=datetime.time(8, 30),
                                     ends=datetime.time(12, 30))
        assignment = shift.assignments.create(window=sw.windows[n], starts=datetime.time(8, 30),
                                              ends=datetime.time(12, 30))
        assignment.categories.set([sw.categories["A"], sw.categories["C"]])
        mine = Shift.objects.create(roster=r["published"], user=sw.clerks[1],
                                    date=r["mine"].date + datetime.timedelta(days=n),
                                    starts=datetime.time(8, 30), ends=datetime.time(12, 30))
        mine.assignments.create(window=sw.windows[n], starts=datetime.time(8, 30),
                                ends=datetime.time(12, 30)).categories.set([sw.categories["A"]])
        Proposal.objects.create(center=sw.center, week_start=sw.week_start + datetime.timedelta(days=7 * n),
                                created_at=now)
        Advice.objects.create(center=sw.center, date=r["advice"].date, slot=20 + n, flag="idle", kind="close",
                              window=sw.windows[n], created_at=now)

    add(1)
    before = [_queries(client, p) for p in paths] + [_queries(clerk, f"/me?since={since}")]
    add(2)
    add(3)
    after = [_queries(client, p) for p in paths] + [_queries(clerk, f"/me?since={since}")]
    assert after == before


@pytest.fixture
def rows(sw: StaffingWorld) -> dict[str, Any]:
    """``_rows`` once for all the examples of a hypothesis test."""
    return _rows(sw)


_times = st.one_of(st.sampled_from(["08:30", "12:00", "17:00", "23:59", "00:00"]),
                   st.text(max_size=8), st.integers(-10, 100_000), st.none())
_dates = st.one_of(st.dates(datetime.date(1999, 1, 1), datetime.date(2101, 12, 31)).map(datetime.date.isoformat),
                   st.text(max_size=12), st.none())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shift=st.fixed_dictionaries({"user_id": st.one_of(st.integers(-5, 2**70), st.text(max_size=4)),
                                    "date": _dates, "starts": _times, "ends": _times,
                                    "break_starts": _times, "break_ends": _times,
                                    "assignments": st.lists(st.fixed_dictionaries({
                                        "window_id": st.integers(-1, 50), "starts": _times, "ends": _times,
                                        "category_ids": st.lists(st.integers(-1, 2**40), max_size=3)}),
                                        max_size=2)}),
       override=st.fixed_dictionaries({"date": _dates, "slot": st.one_of(st.integers(-2, 60), st.text(max_size=3)),
                                       "windows": st.one_of(st.integers(-2, 200), st.floats(allow_nan=True))}))
def test_any_shift_or_what_if_is_answered_never_a_500(sw: StaffingWorld, rows: dict[str, Any],
                                                      shift: dict[str, Any], override: dict[str, Any]) -> None:
    r = rows
    client = _client(sw.manager)
    answer = _send(client, "POST", f"/rosters/{r['draft'].pk}/shifts", shift)
    assert answer.status_code in (201, 404, 409, 422), answer.content
    assert "code" in answer.json() or answer.status_code == 201
    answer = _send(client, "POST", f"/proposals/{r['proposal'].pk}/what-if", {"overrides": [override]})
    assert answer.status_code in (200, 422), answer.content
