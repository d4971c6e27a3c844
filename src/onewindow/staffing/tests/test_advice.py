"""Live flags and advice (弹性调配 during the day, issue #15 part 5) on a hand-made Monday: the
forecast is the test's own (``selectors.advice._demand``), the windows' states and the queue are set here."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from onewindow.centers.choices import WindowEventAction, WindowState
from onewindow.centers.models import Ticket, Window, WindowEvent
from onewindow.centers.testing import CenterWorld
from onewindow.core.audit import AuditEntry
from onewindow.core.errors import DomainError
from onewindow.staffing.choices import AdviceKind, AdviceStatus, FlagKind
from onewindow.staffing.models import Advice
from onewindow.staffing.plans import SlotDemand
from onewindow.staffing.selectors import advice as A
from onewindow.staffing.selectors.advice import advice_text, flags_for
from onewindow.staffing.services.advice import advice_apply, advice_dismiss, advice_refresh
from onewindow.staffing.testing import MONDAY, StaffingWorld, build_staffing_world

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 10))  # slot 20 (10:00–10:30)
_codes = itertools.count(1)


@pytest.fixture
def world(center_world: CenterWorld) -> StaffingWorld:
    return build_staffing_world(center_world)


def _demand(monkeypatch: pytest.MonkeyPatch, busy: dict[int, tuple[float, float]] | None = None,
            slots: tuple[int, ...] = (20, 21)) -> None:
    """The forecast: ``busy`` (category → arrivals, service mean) in ``slots``, nobody elsewhere."""

    def fake(center_id: int, dates: list[datetime.date]) -> list[SlotDemand]:
        return [SlotDemand(day, slot, c, a, 0, m) for day in dates for slot in slots
                for c, (a, m) in (busy or {}).items()]

    monkeypatch.setattr(A, "_demand", fake)


def _states(sw: StaffingWorld, **states: str) -> None:
    for number, window in sw.windows.items():
        Window.objects.filter(pk=window.pk).update(state=states.get(f"w{number}", WindowState.CLOSED))


def _waiting(sw: StaffingWorld, prefix: str, n: int) -> None:
    for _i in range(n):
        k = next(_codes)
        Ticket.objects.create(center=sw.center, category=sw.categories[prefix], date=MONDAY, number=k,
                              display=f"{prefix}{k:03d}", queue_key=NOW, taken_at=NOW, status_code=f"W{k:09d}")


def _snapshot(sw: StaffingWorld) -> list[tuple[int, str, list[int]]]:
    return [(w.number, w.state, sorted(w.categories.values_list("pk", flat=True)))
            for w in Window.objects.filter(center=sw.center).order_by("number")]


def test_idle_slots_are_flagged_and_spare_windows_paused(world: StaffingWorld,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch)
    flags = {f.slot: f for f in flags_for(sw.center.pk, MONDAY, NOW)}
    assert sorted(flags) == list(range(17, 34))
    row = flags[20]
    assert (row.need, row.open, row.flag, row.current) == (1, 4, FlagKind.IDLE, True)
    assert row.waiting == {} and row.expected_wait == 0.0
    made = advice_refresh(sw.center.pk, NOW)
    assert [(a.slot, a.window_id, a.kind, a.flag) for a in made] == [
        (slot, sw.windows[n].pk, AdviceKind.CLOSE, FlagKind.IDLE) for slot in (20, 21) for n in (1, 2)]
    assert advice_text(made[0]) == "暂停1号窗口"
    assert made[0].reason["need"] == 1 and made[0].reason["open"] == 4
    again = advice_refresh(sw.center.pk, NOW)  # idempotent per window and slot
    assert [a.pk for a in again] == [a.pk for a in made]
    assert Advice.objects.count() == 4
    advice_dismiss(by=sw.manager, advice_id=made[0].pk, now=NOW)  # set aside: not made again in its slot
    third = advice_refresh(sw.center.pk, NOW)
    assert [a.pk for a in third] == [a.pk for a in made[1:]] and Advice.objects.count() == 4


def test_short_slot_opens_the_windows_the_need_names(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    a, c = sw.categories["A"].pk, sw.categories["C"].pk
    _demand(monkeypatch, {a: (7.0, 360.0), c: (2.0, 300.0)})
    _states(sw, w1=WindowState.OPEN)
    flags = {f.slot: f for f in flags_for(sw.center.pk, MONDAY, NOW)}
    assert (flags[20].need, flags[20].open, flags[20].flag) == (2, 1, FlagKind.SHORT)
    assert (flags[22].need, flags[22].open, flags[22].flag) == (1, 1, FlagKind.BALANCED)
    abc = sorted([a, c, sw.categories["B"].pk])
    made = advice_refresh(sw.center.pk, NOW)
    # window 3 is needed from 10:00 to the end of the day (the one window of the quiet slots)
    assert [(x.slot, x.window_id, x.kind, x.categories, x.until) for x in made] == [
        (20, sw.windows[3].pk, AdviceKind.OPEN, abc, datetime.time(17, 0)),
        (21, sw.windows[3].pk, AdviceKind.OPEN, abc, datetime.time(17, 0))]
    assert advice_text(made[0]) == "开启3号窗口受理A、B、C类，至17:00"

    done = advice_apply(by=sw.manager, advice_id=made[0].pk, now=NOW)
    assert (done.status, done.decided_by_id) == (AdviceStatus.APPLIED, sw.manager.pk)
    w3 = Window.objects.get(pk=sw.windows[3].pk)
    assert w3.state == WindowState.OPEN and sorted(w3.categories.values_list("pk", flat=True)) == abc
    assert WindowEvent.objects.filter(window=w3, action=WindowEventAction.OPEN).count() == 1
    assert AuditEntry.objects.filter(action="staffing.advice.apply").count() == 1


def test_live_queue_makes_a_slot_short(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch)
    _states(sw, w1=WindowState.OPEN)
    _waiting(sw, "A", 10)
    _waiting(sw, "B", 1)
    row = next(f for f in flags_for(sw.center.pk, MONDAY, NOW) if f.slot == 20)
    a_minutes = sw.categories["A"].service_minutes
    assert row.forecast == 1 and row.waiting == {sw.categories["A"].pk: 10, sw.categories["B"].pk: 1}
    assert row.expected_wait is None  # nobody open serves B
    assert row.need == -(-(10 * a_minutes + sw.categories["B"].service_minutes) * 60 // 900)
    assert row.flag == FlagKind.SHORT
    made = [x for x in advice_refresh(sw.center.pk, NOW) if x.slot == 20]
    # 6 windows would clear the queue within 15 minutes: window 3 (A, B, C), the forecast's one
    # window, opens; windows 2 and 4 (B) for the waiting B; nothing left unserved, so no assign
    abc = sorted(c.pk for c in sw.categories.values())
    assert [(x.window_id, x.kind, x.categories) for x in made] == [
        (sw.windows[2].pk, AdviceKind.OPEN, []), (sw.windows[3].pk, AdviceKind.OPEN, abc),
        (sw.windows[4].pk, AdviceKind.OPEN, [])]
    assert advice_text(made[1]) == "开启3号窗口受理A、B、C类，至17:00"
    assert advice_text(made[0]) == "开启2号窗口受理B类，至10:30"


def test_past_slots_count_the_windows_then_open(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch)
    at = timezone.make_aware(datetime.datetime(2026, 3, 2, 8, 30))
    WindowEvent.objects.create(center=sw.center, window=sw.windows[1], action=WindowEventAction.OPEN, at=at)
    WindowEvent.objects.create(center=sw.center, window=sw.windows[2], action=WindowEventAction.OPEN, at=at)
    WindowEvent.objects.create(center=sw.center, window=sw.windows[2], action=WindowEventAction.PAUSE,
                               at=at + datetime.timedelta(minutes=40))
    flags = {f.slot: f for f in flags_for(sw.center.pk, MONDAY, NOW)}
    assert (flags[17].past, flags[17].open_ids) == (True, [sw.windows[1].pk, sw.windows[2].pk])
    assert (flags[18].open_ids, flags[18].flag) == ([sw.windows[1].pk], FlagKind.BALANCED)


def _pending(sw: StaffingWorld, kind: str, window: int, **extra: object) -> Advice:
    return Advice.objects.create(center=sw.center, date=MONDAY, slot=20, flag=FlagKind.SHORT, kind=kind,
                                 window=sw.windows[window], categories=extra.pop("categories", []),
                                 reason={"text": "x"}, created_at=NOW, **extra)


def test_refusals_change_nothing(world: StaffingWorld) -> None:
    sw = world
    _states(sw, w1=WindowState.OPEN)
    closed = _pending(sw, AdviceKind.ASSIGN, 3, categories=[sw.categories["A"].pk])
    before = _snapshot(sw)
    cases = [
        (dict(by=sw.manager, advice_id=closed.pk, now=NOW), "staffing_window_closed", 409),
        (dict(by=sw.manager, advice_id=closed.pk, now=NOW + datetime.timedelta(minutes=20)),
         "staffing_advice_expired", 409),
        (dict(by=sw.other_manager, advice_id=closed.pk, now=NOW), "staffing_advice_not_found", 404),
        (dict(by=sw.clerks[1], advice_id=closed.pk, now=NOW), "staffing_advice_not_found", 404),
        (dict(by=sw.manager, advice_id="x", now=NOW), "staffing_advice_not_found", 404),
    ]
    for kwargs, code, status in cases:
        with pytest.raises(DomainError) as caught:
            advice_apply(**kwargs)  # type: ignore[arg-type]
        assert (caught.value.code, caught.value.status) == (code, status)
        assert _snapshot(sw) == before
        assert Advice.objects.get(pk=closed.pk).status == AdviceStatus.SUGGESTED
    assert WindowEvent.objects.count() == 0


def test_dismiss_and_not_pending(world: StaffingWorld) -> None:
    sw = world
    pause = _pending(sw, AdviceKind.CLOSE, 2)
    before = _snapshot(sw)
    done = advice_dismiss(by=sw.manager, advice_id=pause.pk, now=NOW)
    assert (done.status, done.decided_by_id, done.decided_at) == (AdviceStatus.DISMISSED, sw.manager.pk, NOW)
    assert _snapshot(sw) == before
    assert advice_text(Advice(window=sw.windows[2], kind=AdviceKind.CLOSE, reason={})) == "暂停2号窗口"
    assert advice_text(Advice(window=sw.windows[4], kind=AdviceKind.ASSIGN, categories=[sw.categories["B"].pk,
                                                                                       sw.categories["C"].pk],
                              until=datetime.time(12, 0), reason={}),
                       {c.pk: c.prefix for c in sw.categories.values()}) == "4号窗口兼办B、C类，至12:00"
    for action in (advice_apply, advice_dismiss):
        with pytest.raises(DomainError) as caught:
            action(by=sw.manager, advice_id=pause.pk, now=NOW)
        assert (caught.value.code, caught.value.status) == ("staffing_advice_not_pending", 409)
    assert Advice.objects.get(pk=pause.pk).status == AdviceStatus.DISMISSED and _snapshot(sw) == before


def test_apply_pause_and_assign(world: StaffingWorld) -> None:
    sw = world
    pause = _pending(sw, AdviceKind.CLOSE, 2)
    advice_apply(by=sw.manager, advice_id=pause.pk, now=NOW)
    assert Window.objects.get(pk=sw.windows[2].pk).state == WindowState.PAUSED
    a, b = sw.categories["A"].pk, sw.categories["B"].pk
    assign = _pending(sw, AdviceKind.ASSIGN, 4, categories=[a, b])
    advice_apply(by=sw.manager, advice_id=assign.pk, now=NOW)
    w4 = Window.objects.get(pk=sw.windows[4].pk)
    assert w4.state == WindowState.OPEN and sorted(w4.categories.values_list("pk", flat=True)) == sorted([a, b])
    assert Advice.objects.filter(status=AdviceStatus.APPLIED).count() == 2


def test_refresh_expires_what_is_over(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    sw = world
    _demand(monkeypatch)
    old = Advice.objects.create(center=sw.center, date=MONDAY, slot=18, flag=FlagKind.IDLE, kind=AdviceKind.CLOSE,
                                window=sw.windows[4], reason={}, created_at=NOW)
    made = advice_refresh(sw.center.pk, NOW)
    assert Advice.objects.get(pk=old.pk).status == AdviceStatus.EXPIRED
    later = advice_refresh(sw.center.pk, NOW + datetime.timedelta(minutes=30))  # slot 21
    assert {x.slot for x in later} == {21, 22}
    assert Advice.objects.filter(pk__in=[x.pk for x in made if x.slot == 20],
                                 status=AdviceStatus.EXPIRED).count() == 2


def test_periodic_jobs(world: StaffingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from onewindow.core import scheduling
    from onewindow.staffing import schedules, tasks  # noqa: F401 - registers the jobs

    jobs = scheduling.registered()
    assert jobs["staffing.advice_refresh"].every == datetime.timedelta(minutes=5)
    assert jobs["staffing.demand_models_build"].every == datetime.timedelta(hours=24)

    sw = world
    _demand(monkeypatch)
    monkeypatch.setattr(tasks, "centers_open_now", lambda: [sw.center.pk, sw.other_center.pk])
    out = tasks.staffing_advice_refresh.call()
    # the other center has no opening hours: no flags, no advice
    assert out == {"centers": 2, "skipped": 0, "advice": Advice.objects.filter(
        center=sw.center, status=AdviceStatus.SUGGESTED).count()}
    assert not Advice.objects.filter(center=sw.other_center).exists()

    from onewindow.staffing.services import advice as advice_services

    real = advice_services.advice_refresh

    def refuse_other(center_id: int, now: datetime.datetime | None = None) -> list[Advice]:
        if center_id == sw.other_center.pk:
            raise DomainError("x", code="staffing_no_history", status=422)
        return real(center_id, now)

    monkeypatch.setattr(advice_services, "advice_refresh", refuse_other)
    assert tasks.staffing_advice_refresh.call()["skipped"] == 1  # one center's refusal stops no other
