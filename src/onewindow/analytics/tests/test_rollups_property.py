"""The property of decision 0017 on random histories: the facts after any sequence of updates
(some partial, some with late events written after an update with an old time, follow-ups and
deadlines changed in between) == the facts after a rebuild == a plain-Python aggregation of the
raw rows this test wrote (an oracle of its own: duty is replayed minute by minute)."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onewindow.analytics import histogram
from onewindow.analytics.models import CaseDayFact, DutyDayFact, RatingDayFact, TicketHourFact
from onewindow.analytics.services.rollups import rollup_rebuild, rollup_update
from onewindow.cases.models import Case, CaseEvent
from onewindow.centers.models import Ticket, TicketEvent
from onewindow.centers.testing import MONDAY_10
from onewindow.ratings.models import FollowUp, FollowUpEvent

from .builders import rating, ticket, window_events

pytestmark = pytest.mark.django_db

BASE = MONDAY_10.replace(hour=8) - datetime.timedelta(days=7)  # 08:00 of a past Monday
FATES = ["wait", "no_show", "served", "cancelled", "transferred"]
WINDOW_ACTIONS = ["open", "pause", "resume", "close", "sign_in", "sign_out"]
CASE_STATES = ["submitted", "accepted", "not_accepted", "approved", "delivered", "withdrawn"]

_ticket = st.tuples(st.integers(0, 1), st.integers(0, 600), st.integers(0, 2), st.sampled_from(["kiosk", "wechat"]),
                    st.sampled_from(FATES), st.integers(0, 2), st.integers(0, 1),
                    st.lists(st.integers(0, 40), min_size=4, max_size=4))
_window = st.tuples(st.integers(0, 2), st.integers(0, 1),
                    st.lists(st.tuples(st.sampled_from(WINDOW_ACTIONS), st.integers(0, 900), st.integers(0, 1)),
                             min_size=1, max_size=6))
_case = st.tuples(st.integers(0, 2), st.integers(0, 600), st.sampled_from(CASE_STATES), st.booleans())
_rating = st.tuples(st.sampled_from(["service", "case"]), st.integers(0, 50), st.integers(1, 5), st.integers(0, 2),
                    st.integers(0, 2), st.sampled_from(["open", "contacted", "closed"]), st.integers(-3, 3))
_later = st.tuples(st.sampled_from(["advance", "case", "deadline", "followup", "ticket", "window"]),
                   st.integers(0, 50), st.integers(0, 10 ** 6))


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for model in (TicketHourFact, CaseDayFact, RatingDayFact, DutyDayFact):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        out[model.__name__] = sorted(model.objects.values_list(*fields), key=repr)
    return out


class History:
    """Writes the raw rows and keeps what it wrote, for the oracle."""

    def __init__(self, w: Any, cases: list[Case]) -> None:
        self.w, self.cases = w, cases
        self.clerks = [w.clerk, w.cw.p.clerk]
        self.windows = [w.w1, w.w2, w.w3]
        self.categories = [w.a, w.b, w.c]
        self.departments = [w.cw.center, w.cw.p.department, None]
        self.tickets: list[Ticket] = []
        self.ratings: list[Any] = []

    def new_ticket(self, spec: tuple[Any, ...]) -> None:
        day, minute, cat, source, fate, win, clerk_i, d = spec
        taken = BASE + datetime.timedelta(days=day, minutes=minute)
        window, clerk = self.windows[win], self.clerks[clerk_i]
        steps = {"wait": [], "cancelled": [("cancel", d[0], None, None)],
                 "no_show": [("call", d[0], window, clerk), ("skip", d[0] + d[1], window, clerk)],
                 "served": [("call", d[0], window, clerk), ("start", d[0] + d[1], window, clerk),
                            ("finish", d[0] + d[1] + d[2], None, clerk)],
                 "transferred": [("call", d[0], window, clerk), ("transfer", d[0] + d[1], None, clerk),
                                 ("call", d[0] + d[1] + d[2], window, clerk),
                                 ("start", d[0] + d[1] + d[2] + d[3], window, clerk),
                                 ("finish", d[0] + d[1] + d[2] + 2 * d[3], None, clerk)]}[fate]
        self.tickets.append(ticket(self.w.center, self.categories[cat], taken, source=source, steps=steps))

    def advance(self, index: int, seed: int) -> None:
        """A waiting ticket is called, served and finished (events written now, with its old day)."""
        waiting = [t for t in self.tickets if t.status == "waiting"]
        if not waiting:
            return
        t = waiting[index % len(waiting)]
        window, clerk = self.windows[seed % 3], self.clerks[seed % 2]
        first = seed % 7
        call, start, finish = (t.taken_at + datetime.timedelta(minutes=m) for m in (first, first + 2, first + 9))
        TicketEvent.objects.bulk_create([
            TicketEvent(ticket=t, action="call", to_status="called", window=window, actor=clerk, at=call),
            TicketEvent(ticket=t, action="start", to_status="serving", window=window, actor=clerk, at=start),
            TicketEvent(ticket=t, action="finish", to_status="done", window=window, actor=clerk, at=finish)])
        t.status, t.window, t.clerk = "done", window, clerk
        t.called_at, t.started_at, t.finished_at = call, start, finish
        t.save()

    def window_day(self, spec: tuple[Any, ...]) -> None:
        win, day, steps = spec
        window_events(self.windows[win], BASE + datetime.timedelta(days=day),
                      [(action, minute, self.clerks[c] if action.startswith("sign") else None)
                       for action, minute, c in steps])

    def case_state(self, index: int, spec: tuple[Any, ...]) -> None:
        day, minute, state, red = spec
        case = self.cases[index]
        received = BASE + datetime.timedelta(days=day, minutes=minute)
        if case.submitted_at is None or case.submitted_at > BASE + datetime.timedelta(days=3):
            case.submitted_at = received  # the received time is set once, as by the services
        self._case_to(case, state, red, event=True)

    def _case_to(self, case: Case, state: str, red: bool, *, event: bool) -> None:
        accepted = state in ("accepted", "approved", "delivered")
        if accepted and case.accepted_at is None:
            case.accepted_at = case.submitted_at + datetime.timedelta(hours=1)
            CaseEvent.objects.create(case=case, action="accept", from_status=case.status, to_status="accepted",
                                     actor=self.clerks[case.pk % 2])
        if state in ("approved", "delivered") and case.decided_at is None:
            case.decided_at = case.submitted_at + datetime.timedelta(days=1, minutes=case.pk)
        case.status, case.deadline_level = state, "red" if red else "green"
        case.save()
        if event:
            CaseEvent.objects.create(case=case, action="start_review", from_status="", to_status=state)

    def case_later(self, index: int, seed: int, *, event: bool) -> None:
        case = self.cases[index % len(self.cases)]
        state = case.status if not event else CASE_STATES[seed % len(CASE_STATES)]
        self._case_to(case, state, bool(seed % 2), event=event)

    def new_rating(self, spec: tuple[Any, ...]) -> None:
        kind, index, level, dept, day, status, due = spec
        # A service is rated once it is over (its window no longer changes).
        subjects = [t for t in self.tickets if t.status != "waiting"] if kind == "service" else self.cases
        if not subjects:
            return
        subject = subjects[index % len(subjects)]
        if any(r.subject_type == kind and r.subject_id == str(subject.pk) for r in self.ratings):
            return
        at = BASE + datetime.timedelta(days=day, hours=3, minutes=index)
        followup = (status, timezone.localdate() + datetime.timedelta(days=due)) if level <= 2 else None
        self.ratings.append(rating(kind, subject.pk, level, department=self.departments[dept],
                                   staff=self.clerks[index % 2], at=at, followup=followup))

    def followup_later(self, index: int, seed: int) -> None:
        followups = list(FollowUp.objects.order_by("pk"))
        if not followups:
            return
        f = followups[index % len(followups)]
        new = ["open", "contacted", "closed"][seed % 3]
        FollowUpEvent.objects.create(followup=f, action="contact", from_status=f.status, to_status=new)
        f.status = new
        f.save(update_fields=["status"])


def oracle(h: History) -> dict[str, list[tuple[Any, ...]]]:
    """The facts computed directly from the rows written (a second implementation)."""
    center, today = h.w.center, timezone.localdate()
    tickets: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    hists: dict[tuple[Any, ...], dict[str, list[int]]] = defaultdict(lambda: {"wait": [], "service": []})
    duty: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for t in Ticket.objects.filter(center=center):
        events = list(TicketEvent.objects.filter(ticket=t).order_by("id"))
        started = t.started_at is not None
        key = (center.pk, t.date, timezone.localtime(t.taken_at).hour, t.category_id, t.source,
               t.window_id if started else None, t.clerk_id if started else None)
        c = tickets[key]
        c["arrivals"] += 1
        c["served"] += t.status == "done"
        c["no_shows"] += t.status == "no_show"
        c["cancelled"] += t.status == "cancelled"
        c["transfers"] += sum(e.action == "transfer" for e in events)
        calls = [e.at for e in events if e.action == "call"]
        if calls:
            c["waits"] += 1
            c["wait_seconds"] += int((min(calls) - t.taken_at).total_seconds())
            hists[key]["wait"].append(int((min(calls) - t.taken_at).total_seconds()))
        if t.status == "done":
            took = int((t.finished_at - t.started_at).total_seconds())
            c["services"] += 1
            c["service_seconds"] += took
            hists[key]["service"].append(took)
            d = duty[(center.pk, t.date, t.window_id, t.clerk_id)]
            d["serving_seconds"] += took
            d["tickets_served"] += 1
    ticket_rows = [(*k, c["arrivals"], c["served"], c["no_shows"], c["cancelled"], c["transfers"], c["waits"],
                    c["wait_seconds"], histogram.of(hists[k]["wait"]), c["services"], c["service_seconds"],
                    histogram.of(hists[k]["service"])) for k, c in tickets.items()]
    # Duty: replay each window's day minute by minute (events are on whole minutes).
    from onewindow.centers.models import WindowEvent

    by_day: dict[tuple[int, datetime.date], list[Any]] = defaultdict(list)
    for e in WindowEvent.objects.order_by("id"):
        by_day[(e.window_id, timezone.localdate(e.at))].append(e)
    for (window_id, day), events in by_day.items():
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        clerk, paused = None, False
        for minute in range(24 * 60):
            for e in sorted((e for e in events if e.at == start + datetime.timedelta(minutes=minute)),
                            key=lambda e: e.id):
                if e.action == "sign_in":
                    clerk = e.clerk_id
                elif e.action == "sign_out" and clerk == e.clerk_id:
                    clerk = None
                elif e.action == "close":
                    clerk, paused = None, False
                elif e.action == "pause":
                    paused = True
                elif e.action == "resume":
                    paused = False
            if clerk is not None:
                duty[(center.pk, day, window_id, clerk)]["paused_seconds" if paused else "on_duty_seconds"] += 60
    duty_rows = [(*k, c["on_duty_seconds"], c["paused_seconds"], c["serving_seconds"], c["tickets_served"])
                 for k, c in duty.items()]
    cases: dict[tuple[Any, ...], dict[str, Any]] = {}
    for case in Case.objects.filter(number__isnull=False):
        acceptor = CaseEvent.objects.filter(case=case, action="accept").values_list("actor_id", flat=True).first()
        center_id = center.pk if case.receiving_department_id == center.department_id else None
        key = (timezone.localdate(case.submitted_at), case.receiving_department_id, center_id, case.item_id,
               case.channel, acceptor)
        a = cases.setdefault(key, {"n": Counter(), "hist": [], "statuses": Counter(), "last": case.submitted_at})
        n = a["n"]
        n["received"] += 1
        n["accepted"] += case.accepted_at is not None
        n["not_accepted"] += case.status == "not_accepted"
        n["concluded"] += case.status in ("approved", "rejected", "delivered")
        n["withdrawn"] += case.status == "withdrawn"
        n["overdue"] += case.deadline_level == "red"
        n["open"] += case.status not in ("delivered", "not_accepted", "withdrawn")
        if case.decided_at:
            a["hist"].append(int((case.decided_at - case.submitted_at).total_seconds()))
        a["statuses"][case.status] += 1
        a["last"] = max(a["last"], case.submitted_at)
    case_rows = [(k[0], k[1], k[2], k[3], k[4], k[5], a["n"]["received"], a["n"]["accepted"], a["n"]["not_accepted"],
                  a["n"]["concluded"], a["n"]["withdrawn"], a["n"]["overdue"], a["n"]["open"], len(a["hist"]),
                  sum(a["hist"]), histogram.of(a["hist"]), dict(a["statuses"]), a["last"]) for k, a in cases.items()]
    ratings: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    levels: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for r in h.ratings:
        r.refresh_from_db()
        window_id = item_id = None
        center_id = center.pk if r.department_id == center.department_id else None
        if r.subject_type == "service":
            t = Ticket.objects.get(pk=r.subject_id)
            center_id, window_id = t.center_id, t.window_id
        else:
            item_id = Case.objects.get(pk=r.subject_id).item_id
        key = (timezone.localdate(r.created_at), r.department_id, center_id, item_id, window_id, r.staff_id,
               r.channel, r.subject_type)
        c = ratings[key]
        c["ratings"] += 1
        c["score_total"] += r.score
        levels[key][str(r.level)] += 1
        c["bad"] += r.level <= 2
        f = FollowUp.objects.filter(rating=r).first()
        if f is not None:
            c["followups"] += 1
            c["closed"] += f.status == "closed"
            c["overdue"] += f.status != "closed" and f.due_date < today
    rating_rows = [(*k, c["ratings"], c["score_total"], dict(levels[k]), c["bad"], c["followups"], c["closed"],
                    c["overdue"]) for k, c in ratings.items()]
    return {"TicketHourFact": sorted(ticket_rows, key=repr), "CaseDayFact": sorted(case_rows, key=repr),
            "RatingDayFact": sorted(rating_rows, key=repr), "DutyDayFact": sorted(duty_rows, key=repr)}


@pytest.fixture
def received_cases(center_world: Any) -> list[Case]:
    cw = center_world.cw
    return [cw.submitted(), cw.submitted(), cw.submitted(), cw.forwarded_case(), cw.forwarded_case()]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=st.tuples(st.lists(_ticket, max_size=8), st.lists(_window, max_size=3),
                       st.lists(_case, min_size=5, max_size=5), st.lists(_rating, max_size=5)),
       later=st.lists(st.tuples(st.lists(_later, max_size=6), st.lists(_ticket, max_size=3),
                                st.lists(_rating, max_size=2), st.sampled_from([None, 2])), max_size=3))
def test_updates_equal_a_rebuild_equal_a_plain_aggregation(center_world: Any, received_cases: list[Case],
                                                           first: Any, later: Any) -> None:
    with transaction.atomic():
        h = History(center_world, [Case.objects.get(pk=c.pk) for c in received_cases])
        tickets, windows, cases, ratings = first
        for spec in tickets:
            h.new_ticket(spec)
        for spec in windows:
            h.window_day(spec)
        for index, spec in enumerate(cases):
            h.case_state(index, spec)
        for spec in ratings:
            h.new_rating(spec)
        rollup_update()
        for ops, new_tickets, new_ratings, limit in later:
            for op, index, seed in ops:
                if op == "advance":
                    h.advance(index, seed)
                elif op in ("case", "deadline"):
                    h.case_later(index, seed, event=op == "case")
                elif op == "followup":
                    h.followup_later(index, seed)
                elif op == "ticket":  # a late ticket: taken days ago, written now
                    h.new_ticket((seed % 2, seed % 600, seed % 3, "kiosk", FATES[seed % 5], seed % 3, seed % 2,
                                  [seed % 11, seed % 13, seed % 17, seed % 19]))
                else:
                    h.window_day((seed % 3, seed % 2, [("sign_in", seed % 600, seed % 2),
                                                       ("pause", seed % 900, 0), ("sign_out", seed % 899, seed % 2)]))
            for spec in new_tickets:
                h.new_ticket(spec)
            for spec in new_ratings:
                h.new_rating(spec)
            rollup_update(limit=limit)
        rollup_update()
        updated = snapshot()
        rollup_rebuild()
        rebuilt = snapshot()
        assert updated == rebuilt
        assert rebuilt == oracle(h)
        transaction.set_rollback(True)
