"""Windows needed, the three-way proof by simulation, the what-if (issue #15 parts 2–4).

The demand is the test's own (``selectors.advice._demand`` replaced by hand-made ``SlotDemand`` rows) so
that the figures are known; the comparison replays tickets planted in the database."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.utils import timezone

from onewindow.centers.choices import TicketAction, TicketStatus
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import CenterWorld
from onewindow.core.errors import DomainError
from onewindow.staffing import erlang
from onewindow.staffing.forecast import NoHistory
from onewindow.staffing.models import Proposal, Roster
from onewindow.staffing.plans import SlotDemand, Span, Target
from onewindow.staffing.selectors import advice as A
from onewindow.staffing.services import proposal as P
from onewindow.staffing.testing import MONDAY, StaffingWorld, build_staffing_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(center_world: CenterWorld) -> StaffingWorld:
    return build_staffing_world(center_world)

TARGET = Target(kind="service_level", share=0.8, minutes=15)
OPEN_SLOTS = list(range(17, 34))  # 08:30–17:00


def _demand(monkeypatch: pytest.MonkeyPatch, table: dict[tuple[int, int], tuple[float, float]], *,
            days: list[datetime.date] | None = None) -> None:
    """Every open slot of the asked dates gets ``table[(slot, category)]`` = (arrivals, service mean),
    slots not in the table a trickle of category A."""

    def fake(center_id: int, dates: list[datetime.date]) -> list[SlotDemand]:
        out = []
        for day in dates:
            if day.weekday() >= 5:
                continue
            for slot in OPEN_SLOTS:
                rows = {k[1]: v for k, v in table.items() if k[0] == slot} or {-1: (0.0, 300.0)}
                for category_id, (arrivals, mean) in rows.items():
                    if category_id >= 0:
                        out.append(SlotDemand(day, slot, category_id, arrivals, 0, mean))
        return out

    monkeypatch.setattr(A, "_demand", fake)


def test_dedicated_category_is_sized_by_erlang_c(world: StaffingWorld,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    b = sw.categories["B"].pk
    _demand(monkeypatch, {(20, b): (3.0, 300.0)})
    needs = {n.slot: n for n in P.needs_for(sw.center.pk, [MONDAY], target=TARGET)}
    assert sorted(needs) == OPEN_SLOTS
    need = needs[20]
    # B has the specialised window 4: load 0.5 Erlang, one window gives 1 − 0.5·e^−1.5 = 0.888 ≥ 0.8
    assert need.by_window == {sw.windows[4].pk: frozenset({b})}
    assert need.windows == 1 and need.method == "erlang_c"
    assert erlang.servers_needed(3.0, 300.0, TARGET) == 1
    assert need.expected == pytest.approx(1 - 0.5 * 2.718281828459045 ** -1.5, abs=1e-4)
    assert need.utilisation == 0.5
    # an empty slot keeps one comprehensive window open: the one serving most categories
    assert needs[17].windows == 1 and needs[17].by_window == {sw.windows[3].pk: frozenset(
        {sw.categories["A"].pk, sw.categories["B"].pk, sw.categories["C"].pk})}


def test_comprehensive_windows_are_sized_by_simulation(world: StaffingWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    a, c = sw.categories["A"].pk, sw.categories["C"].pk
    demands = {(20, a): (7.0, 360.0), (20, c): (2.0, 300.0)}
    _demand(monkeypatch, demands)
    need = next(n for n in P.needs_for(sw.center.pk, [MONDAY], target=TARGET) if n.slot == 20)
    assert need.method == "simulation"
    assert set(need.by_window) <= {sw.windows[1].pk, sw.windows[3].pk}
    assert need.windows == 2
    rows = [SlotDemand(MONDAY, 20, a, 7.0, 0, 360.0), SlotDemand(MONDAY, 20, c, 2.0, 0, 300.0)]
    met = P.simulate_slot(rows, need.by_window, 20)
    assert P.meets(met, TARGET) and need.expected == round(P.measure(met, TARGET), 4)
    one = P.simulate_slot(rows, {sw.windows[3].pk: frozenset({a, c})}, 20)
    assert not P.meets(one, TARGET)  # one window fewer misses: the simulation added it


def test_a_dedicated_category_beyond_its_windows_joins_the_pool(world: StaffingWorld,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    b = sw.categories["B"].pk
    _demand(monkeypatch, {(20, b): (12.0, 300.0)})  # 2 Erlangs: more than its one specialised window
    need = next(n for n in P.needs_for(sw.center.pk, [MONDAY], target=TARGET) if n.slot == 20)
    assert need.method == "simulation"
    assert need.by_window[sw.windows[4].pk] == frozenset({b})  # its own window stays open for it
    assert set(need.by_window) - {sw.windows[4].pk} <= {sw.windows[2].pk, sw.windows[3].pk}
    rows = [SlotDemand(MONDAY, 20, b, 12.0, 0, 300.0)]
    assert P.meets(P.simulate_slot(rows, need.by_window, 20), TARGET)
    # Erlang C on the pooled load is the start (two windows at 2 Erlangs would be loaded to 1)
    assert need.windows == erlang.servers_needed(12.0, 300.0, TARGET) == 3


def test_impossible_target_names_the_slot_and_writes_nothing(world: StaffingWorld,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch, {(18, sw.categories["A"].pk): (40.0, 300.0)})  # 6.7 Erlangs, 4 windows
    with pytest.raises(DomainError) as caught:
        P.needs_for(sw.center.pk, [MONDAY], target=TARGET)
    assert caught.value.code == "staffing_target_impossible" and caught.value.status == 422
    assert str(caught.value.message) == ("周一 09:00–09:30：负荷 6.7 爱尔兰 ≥ 中心全部 4 个窗口，利用率不低于 1，"
                                         "无法达到服务目标。")
    with pytest.raises(DomainError) as made:
        P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY)
    assert made.value.code == "staffing_target_impossible"
    assert Proposal.objects.count() == 0 and Roster.objects.count() == 0


def test_more_windows_than_the_center_has(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    # A is served by windows 1 and 3 only: 1.9 Erlangs cannot meet 80 % in 15 minutes on two
    _demand(monkeypatch, {(19, sw.categories["A"].pk): (19.0, 360.0)})
    with pytest.raises(DomainError) as caught:
        P.needs_for(sw.center.pk, [MONDAY], target=TARGET)
    assert caught.value.code == "staffing_target_impossible"
    assert str(caught.value.message).startswith("周一 09:30–10:00：")


def test_no_history_names_the_day_type_and_slot(world: StaffingWorld,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world

    def fake(center_id: int, dates: list[datetime.date]) -> list[SlotDemand]:
        raise NoHistory("mon", 18)

    monkeypatch.setattr(A, "_demand", fake)
    with pytest.raises(DomainError) as caught:
        P.needs_for(sw.center.pk, [MONDAY])
    assert (caught.value.code, caught.value.status) == ("staffing_no_history", 422)
    assert str(caught.value.message) == "周一 09:00–09:30没有历史数据，无法预测需求、测算窗口。"
    with pytest.raises(DomainError):
        P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY)
    assert Proposal.objects.count() == 0 and Roster.objects.count() == 0


def test_no_demand_model_is_no_history(world: StaffingWorld) -> None:
    sw = world
    with pytest.raises(DomainError) as caught:
        P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY)
    assert (caught.value.code, caught.value.status) == ("staffing_no_history", 422)
    assert str(caught.value.message) == "本中心尚无需求模型：需要先有排队取号的历史数据并建模。"
    assert Proposal.objects.count() == 0 and Roster.objects.count() == 0


def test_closed_dates_need_nothing(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    asked: list[list[datetime.date]] = []

    def fake(center_id: int, dates: list[datetime.date]) -> list[SlotDemand]:
        asked.append(list(dates))
        return []

    monkeypatch.setattr(A, "_demand", fake)
    saturday = MONDAY + datetime.timedelta(days=5)
    assert P.needs_for(sw.center.pk, [saturday]) == [] and asked == []
    assert {n.date for n in P.needs_for(sw.center.pk, [MONDAY, saturday])} == {MONDAY}
    assert asked == [[MONDAY]]


def test_proposal_refusals_write_nothing(world: StaffingWorld) -> None:
    sw = world
    with pytest.raises(DomainError) as other:
        P.proposal_make(by=sw.other_manager, center_id=sw.center.pk, week_start=MONDAY)
    assert (other.value.code, other.value.status) == ("staffing_center_not_found", 404)
    with pytest.raises(DomainError) as tuesday:
        P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY + datetime.timedelta(days=1))
    assert (tuesday.value.code, tuesday.value.status) == ("staffing_week_invalid", 422)
    assert Proposal.objects.count() == 0


def test_override_sets_the_window_count(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch, {})
    needs = {n.slot: n for n in P.needs_for(sw.center.pk, [MONDAY], overrides={(MONDAY, 20): 3})}
    assert needs[20].windows == 3 and needs[20].method == "override"
    assert list(needs[20].by_window) == [sw.windows[3].pk, sw.windows[1].pk, sw.windows[2].pk]
    assert needs[21].windows == 1
    with pytest.raises(DomainError) as caught:
        P.needs_for(sw.center.pk, [MONDAY], overrides={(MONDAY, 20): 5})
    assert caught.value.code == "staffing_override_invalid"
    assert P.parse_overrides({"2026-03-02:20": "3"}) == {(MONDAY, 20): 3}
    with pytest.raises(DomainError):
        P.parse_overrides({"2026-03-02:48": 1})


def test_spans_from_needs_join_consecutive_slots(world: StaffingWorld,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch, {})
    needs = P.needs_for(sw.center.pk, [MONDAY], overrides={(MONDAY, 20): 2, (MONDAY, 21): 2})
    spans = P.spans_from_needs(needs)[MONDAY]
    w1, w3 = sw.windows[1].pk, sw.windows[3].pk
    ac = frozenset({sw.categories["A"].pk, sw.categories["C"].pk})
    assert [(s.window_id, s.start, s.end) for s in spans] == [(w3, 30600, 61200), (w1, 36000, 39600)]
    assert spans[1].category_ids == ac


# ---- the three-way comparison on a planted history ---------------------------------------------

HISTORY = [datetime.date(2026, 1, 5) + datetime.timedelta(days=7 * k) for k in range(4)]  # four Mondays
_codes = itertools.count(1)


def _at(day: datetime.date, seconds: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=seconds))


def _ticket(sw: StaffingWorld, day: datetime.date, at: int, *, prefix: str = "A", service: int = 480,
            status: str = TicketStatus.DONE, priority: str = "normal", head: int = 0, **extra: Any) -> Ticket:
    n = next(_codes)
    category = sw.categories[extra.pop("category", prefix)]
    done = status == TicketStatus.DONE
    return Ticket.objects.create(
        center=sw.center, category=category, date=day, number=n, display=f"{prefix}{n:03d}", status=status,
        priority=priority, queue_key=_at(day, at - head), status_code=f"S{n:09d}", taken_at=_at(day, at),
        started_at=_at(day, at + 60) if done else None, finished_at=_at(day, at + 60 + service) if done else None)


def _plant(sw: StaffingWorld) -> None:
    """Every history Monday: an A every 10 minutes 08:30–17:00 (8 minutes each), one every 4 minutes
    in the 10:00–11:00 peak; two no-shows, one cancelled; a VIP with a 10-minute head start; a
    transfer from C to A."""
    for day in HISTORY:
        for at in range(30600, 61200, 600):
            if not 36000 <= at < 39600:
                _ticket(sw, day, at)
        for at in range(36000, 39600, 240):
            _ticket(sw, day, at)
        _ticket(sw, day, 40000, status=TicketStatus.NO_SHOW)
        _ticket(sw, day, 41000, status=TicketStatus.NO_SHOW)
        _ticket(sw, day, 42000, status=TicketStatus.CANCELLED)
        _ticket(sw, day, 50100, priority="vip", head=600)
        moved = _ticket(sw, day, 52000, prefix="C", category="A")
        TicketEvent.objects.create(ticket=moved, action=TicketAction.TRANSFER, from_status="serving",
                                   to_status="waiting", at=_at(day, 52400))


def _plans(sw: StaffingWorld) -> dict[str, dict[datetime.date, list[Span]]]:
    w1, w3 = sw.windows[1].pk, sw.windows[3].pk
    ac = frozenset({sw.categories["A"].pk, sw.categories["C"].pk})
    abc = ac | {sw.categories["B"].pk}
    current = [Span(w1, ac, 30600, 61200)]
    peak = [Span(w1, ac, 30600, 61200), Span(w3, abc, 30600, 61200), Span(sw.windows[2].pk, abc, 30600, 61200)]
    proposal = [Span(w1, ac, 30600, 61200), Span(w3, abc, 36000, 41400)]
    return {"current": dict.fromkeys(HISTORY, current), "peak": dict.fromkeys(HISTORY, peak),
            "proposal": dict.fromkeys(HISTORY, proposal)}


def test_replay_keeps_real_times_priorities_transfers(world: StaffingWorld) -> None:
    sw = world
    _plant(sw)
    arrivals, left_out = P.replay_arrivals(sw.center.pk, HISTORY[:1])
    assert left_out == 3  # two no-shows and one cancelled: no service time to replay
    day = arrivals[HISTORY[0]]
    assert len(day) == 45 + 15 + 2
    vip = next(a for a in day if a.priority == "vip")
    assert (vip.at, vip.key, vip.service) == (50100, 49500, 480)
    moved = next(a for a in day if a.transfer_to is not None)
    assert (moved.category_id, moved.transfer_to, moved.transfer_after) == (
        sw.categories["C"].pk, sw.categories["A"].pk, sw.categories["C"].service_minutes * 60)


def test_three_way_comparison(world: StaffingWorld) -> None:
    sw = world
    _plant(sw)
    out = P.comparison_for(sw.center.pk, _plans(sw), HISTORY, target=TARGET)
    assert out["left_out"] == 12 and out["days"] == [d.isoformat() for d in HISTORY]
    a, b, c = (out["plans"][k]["total"] for k in ("current", "peak", "proposal"))
    assert (a["people"], b["people"], c["people"]) == (248, 248, 248)
    assert (a["staff_hours"], b["staff_hours"], c["staff_hours"]) == (34.0, 102.0, 40.0)
    assert not a["meets_target"] and b["meets_target"] and c["meets_target"]
    assert c["within_target"] > a["within_target"] and c["mean_wait_minutes"] < a["mean_wait_minutes"]
    assert b["idle_share"] > c["idle_share"] > a["idle_share"]
    assert out["proposal_beats_peak"] is True and out["proposal_beats_current"] is True
    assert list(out["plans"]["current"]["weekdays"]) == ["周一"]
    assert out["plans"]["proposal"]["weekdays"]["周一"] == c


def test_peak_plan_opens_the_busiest_slots_windows_all_day(world: StaffingWorld,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch, {})
    needs = P.needs_for(sw.center.pk, [MONDAY], overrides={(MONDAY, 20): 2})
    plan = P.peak_plan(sw.center.pk, needs)[MONDAY]
    assert [(s.window_id, s.start, s.end) for s in plan] == [(sw.windows[1].pk, 30600, 61200),
                                                             (sw.windows[3].pk, 30600, 61200)]
    assert plan[0].category_ids == frozenset({sw.categories["A"].pk, sw.categories["C"].pk})  # its usual ones
    moved = P.on_weekdays({MONDAY: plan}, HISTORY)
    assert moved[HISTORY[2]] == plan


def test_proposal_make_writes_needs_roster_and_comparison(world: StaffingWorld,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.core.audit import AuditEntry
    from onewindow.staffing.choices import RosterSource, RosterStatus

    sw = world
    a, c = sw.categories["A"].pk, sw.categories["C"].pk
    _demand(monkeypatch, {(20, a): (7.0, 360.0), (20, c): (2.0, 300.0)})
    made = P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY)
    slots = made.needs["slots"]
    assert len(slots) == 5 * 17  # Monday to Friday, 08:30–17:00
    peak = next(s for s in slots if s["date"] == "2026-03-02" and s["slot"] == 20)
    assert (peak["windows"], peak["method"], peak["label"]) == (2, "simulation", "10:00")
    assert made.needs["target"] == {"kind": "service_level", "share": 0.8, "minutes": 15.0}
    assert set(made.comparison["plans"]) == {"current", "peak", "proposal"}
    assert "proposal_beats_peak" in made.comparison and "proposal_beats_current" in made.comparison
    roster = Roster.objects.get(proposal=made)
    assert (roster.source, roster.status, roster.week_start) == (RosterSource.PROPOSAL, RosterStatus.DRAFT, MONDAY)
    assert AuditEntry.objects.filter(action="staffing.proposal.make").count() == 1


def test_what_if_simulates_without_writing(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    a = sw.categories["A"].pk
    _demand(monkeypatch, {(20, a): (7.0, 360.0)})
    made = P.proposal_make(by=sw.manager, center_id=sw.center.pk, week_start=MONDAY)
    stored = (made.needs, made.comparison, made.overrides)
    out = P.what_if(by=sw.manager, proposal_id=made.pk, overrides={"2026-03-02:20": 3})
    changed = next(s for s in out["needs"]["slots"] if s["date"] == "2026-03-02" and s["slot"] == 20)
    assert (changed["windows"], changed["method"]) == (3, "override")
    assert changed["expected"] == 1.0 and changed["utilisation"] == round(7 * 360 / 1800 / 3, 4)
    other = next(s for s in out["needs"]["slots"] if s["date"] == "2026-03-02" and s["slot"] == 21)
    assert other == next(s for s in made.needs["slots"] if s["date"] == "2026-03-02" and s["slot"] == 21)
    assert set(out["comparison"]["plans"]) == {"current", "proposal", "what_if"}
    assert out["overrides"] == {"2026-03-02:20": 3}
    made.refresh_from_db()
    assert (made.needs, made.comparison, made.overrides) == stored and Proposal.objects.count() == 1
    for by, overrides, code in [(sw.other_manager, {"2026-03-02:20": 3}, "staffing_proposal_not_found"),
                                (sw.manager, {"2026-03-09:20": 3}, "staffing_override_invalid"),
                                (sw.manager, {"2026-03-07:20": 1}, "staffing_override_invalid"),  # Saturday
                                (sw.manager, {"2026-03-02:40": 1}, "staffing_override_invalid"),  # 20:00
                                (sw.manager, {"2026-03-02:20": 9}, "staffing_override_invalid"),
                                (sw.manager, {"bad": 1}, "staffing_override_invalid")]:
        with pytest.raises(DomainError) as caught:
            P.what_if(by=by, proposal_id=made.pk, overrides=overrides)
        assert caught.value.code == code
    made.refresh_from_db()
    assert (made.needs, made.comparison, made.overrides) == stored
