"""The staffing demo (issue #15 "Demo"): the 临汾路 history holds both over- and under-staffed
slots, counted from the rollups (so that the flags of part 5 mean something), and the demo step
builds the demand model, next week's proposal and today's advice once (a second run adds nothing).

The history is one month (``size="small"``) ending the day before ``TODAY``; the counts come from
``analytics.TicketSlotFact`` (arrivals, service times, waits per half-hour and category) and
``analytics.DutyDayFact`` (the windows staffed each day), as the rollups built them.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict

import pytest
from django.conf import settings
from django.utils import timezone

from onewindow.accounts import demo as accounts_demo
from onewindow.accounts.models import User
from onewindow.analytics.histogram import EDGES
from onewindow.analytics.models import DutyDayFact, TicketSlotFact
from onewindow.analytics.services.rollups import rollup_rebuild
from onewindow.catalog import demo as catalog_demo
from onewindow.centers import demo as centers_demo
from onewindow.centers.demo_names import CENTER_CODE
from onewindow.centers.models import Center, WindowDuty
from onewindow.core.actors import system_actor
from onewindow.core.services import regions_load
from onewindow.staffing import demo
from onewindow.staffing.choices import FlagKind, RosterStatus
from onewindow.staffing.models import Advice, ClerkTerms, DemandModel, Proposal, Roster, Shift
from onewindow.staffing.selectors.advice import flags_for
from onewindow.training import demo as training_demo

SEED = 20170929
TODAY = datetime.date(2026, 11, 27)  # a Friday: the small history runs from 2026-10-01 to 2026-11-26
LUNCH = range(23, 26)  # 11:30–13:00: half the windows at lunch (two shifts), left out of both counts
WITHIN = EDGES.index(60 * 15)  # histogram buckets below this index are waits under 15 minutes


def _erlang_c(n: int, a: float) -> float:
    """P(wait > 0) in M/M/n at offered load ``a`` (reference formula, Erlang C)."""
    if a >= n:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, n):
        term *= a / k
        total += term
    last = term * a / n * n / (n - a)
    return last / (total + last)


def _needed(a: float, service_mean: float, share: float, seconds: float) -> int:
    """The fewest windows that call ``share`` of people within ``seconds`` (Erlang C)."""
    n = max(1, math.floor(a) + 1)
    while 1 - _erlang_c(n, a) * math.exp(-(n - a) * seconds / service_mean) < share:
        n += 1
    return n


def _load_history() -> Center:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    centers_demo.load(progress=lambda n: None, seed=SEED, today=TODAY, size="small")
    rollup_rebuild()
    return Center.objects.get(code=CENTER_CODE)


def planted_slots(center: Center) -> tuple[list[tuple[datetime.date, int]], list[tuple[datetime.date, int]]]:
    """(idle, short) slots of the history: ``short`` (人少于事) where fewer than the target share
    (settings.STAFFING_TARGET_SHARE) were called within STAFFING_TARGET_MINUTES; ``idle`` (人浮于事)
    where the windows staffed that day exceed by more than STAFFING_IDLE_MARGIN the windows Erlang C
    needs for the slot's arrivals at the category's mean service time."""
    share, minutes = settings.STAFFING_TARGET_SHARE, settings.STAFFING_TARGET_MINUTES
    windows = defaultdict(set)
    for day, window_id in DutyDayFact.objects.filter(center=center).values_list("day", "window_id"):
        windows[day].add(window_id)
    rows = list(TicketSlotFact.objects.filter(center=center).values_list(
        "day", "slot", "category_id", "arrivals", "services", "service_seconds", "waits", "wait_hist"))
    service: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for _d, _s, category, _a, services, seconds, _w, _h in rows:
        service[category][0] += services
        service[category][1] += seconds
    mean = {c: s / n for c, (n, s) in service.items() if n}
    slots: dict[tuple[datetime.date, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for day, slot, category, arrivals, _n, _s, waits, hist in rows:
        acc = slots[day, slot]
        acc[0] += arrivals * mean.get(category, 0.0) / 1800  # offered load (erlangs)
        acc[1] += waits
        acc[2] += sum(hist[:WITHIN])
    overall = sum(s for _n, s in service.values()) / sum(n for n, _s in service.values())
    idle, short = [], []
    for (day, slot), (load, called, within) in sorted(slots.items()):
        if slot in LUNCH or not windows[day]:
            continue
        if called and within / called < share:
            short.append((day, slot))
        elif len(windows[day]) - _needed(load, overall, share, minutes * 60) > settings.STAFFING_IDLE_MARGIN:
            idle.append((day, slot))
    return idle, short


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_history_has_over_and_under_staffed_slots() -> None:
    center = _load_history()
    days = sorted(set(DutyDayFact.objects.filter(center=center).values_list("day", flat=True)))
    idle, short = planted_slots(center)

    # 人少于事: the morning peak (09:00–11:30, slots 18–22) misses the target on most days, and the
    # two peaks (with the afternoon's 13:30–15:00, slots 27–29) are where nearly all short slots are.
    morning = [(d, s) for d, s in short if 18 <= s <= 22]
    peaks = [(d, s) for d, s in short if 18 <= s <= 22 or 27 <= s <= 29]
    assert len({d for d, _s in morning}) > len(days) / 2, (len(days), sorted(short))
    assert len(peaks) > 0.8 * len(short), sorted(short)
    # 人浮于事: 16:00–16:30 (slot 32, a quarter of the peak's arrivals) keeps more windows than it
    # needs on nearly every day, and the idle slots are mostly in the afternoon (from 13:00).
    assert len({d for d, s in idle if s == 32}) >= 0.9 * len(days), sorted(idle)
    assert len([1 for _d, s in idle if s >= 26]) > 0.6 * len(idle), sorted(idle)
    # A slot is one or the other (or neither), and both kinds are many.
    assert not set(idle) & set(short)
    assert len(days) > 20 and len(idle) > 2 * len(days) and len(short) > len(days)


def _staffing_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (ClerkTerms, DemandModel, Proposal, Roster, Shift, Advice, WindowDuty))


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_step_builds_the_model_the_proposal_and_advice_once() -> None:
    center = _load_history()
    training_demo.load(progress=lambda n: None, seed=SEED)  # the step before: clerks' training records
    duties = WindowDuty.objects.count()
    ticks: list[int] = []

    assert demo.load(progress=ticks.append, seed=SEED, today=TODAY, size="small") == []

    # 用工: every clerk of the center, one of them part-time (4 hours a day).
    terms = {t.user.username: (t.part_time, t.max_minutes_per_day) for t in ClerkTerms.objects.select_related("user")}
    assert len(terms) == 10 and terms.pop(demo.PART_TIME_CLERK) == (True, 240)
    assert set(terms.values()) == {(False, 480)}
    # The demand model, and next week's proposal made by the manager with a draft roster.
    assert DemandModel.objects.filter(center=center).count() == 1
    proposal = Proposal.objects.get(center=center)
    assert proposal.week_start == datetime.date(2026, 11, 30)
    assert proposal.created_by == User.objects.get(username="manager")
    roster = Roster.objects.get(center=center)
    assert (roster.status, roster.proposal_id, roster.week_start) == (RosterStatus.DRAFT, proposal.pk,
                                                                       proposal.week_start)
    assert roster.shifts.exists()
    assert WindowDuty.objects.count() == duties  # not published: the duties of next week are untouched
    # The comparison the manager sees: (c) meets the target with fewer staff-hours than (b).
    assert proposal.comparison["proposal_beats_peak"] is True
    # Today's flags at the moment the advice was made (10:00 of TODAY: not the real date).
    at = timezone.make_aware(datetime.datetime.combine(TODAY, demo.ADVICE_AT))
    flags = {row.flag for row in flags_for(center.pk, TODAY, at)}
    assert flags & {FlagKind.IDLE, FlagKind.SHORT}
    assert ticks

    # A second run adds nothing.
    before = _staffing_counts()
    demo.load(progress=lambda n: None, seed=SEED, today=TODAY, size="small")
    assert _staffing_counts() == before
