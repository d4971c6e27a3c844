"""The measures of the rollups (issue #14 part 1): raw rows of one or more partitions → fact rows.
Pure code on the tuples of the ``facts`` selectors of centers, cases and ratings; no queries.
These definitions are the contract the statistics, appraisal, item decisions, training and the
benchmark read (decision 0017, "Details"). Days and hours are local (settings.TIME_ZONE); every
duration is counted in whole seconds (truncated; a negative one as 0).

TicketHourFact — a ticket counts in the row of its ``Ticket.date``, the local hour of
``taken_at``, its category (the current one, after any transfer) and source; window and clerk are
where it was served (the ticket's window and clerk once service started, ``started_at`` set),
else None. ``arrivals`` tickets; ``served`` status done; ``no_shows`` status no-show;
``cancelled`` status cancelled; ``transfers`` transfer events; ``waits``/``wait_seconds``/
``wait_hist`` taken → first call event (tickets called at least once); ``services``/
``service_seconds``/``service_hist`` started → finished (done tickets).

TicketSlotFact — as TicketHourFact, per center, ``Ticket.date``, local half-hour of ``taken_at``
(slot = hour * 2 + minute // 30) and current category only; ``appointments`` tickets of source
appointment; ``priority`` tickets whose priority is not normal.

CaseDayFact — a received case (see ``cases.facts``) counts in the row of the local day it was
received, its receiving department, that department's center (None if no center receives under
it), item, channel and accepting clerk (the actor of its acceptance; None if not accepted or
deemed accepted). ``received`` all; ``accepted`` accepted at some point (``accepted_at`` set);
``not_accepted`` status 不予受理; ``concluded`` decided (cases.choices.DECIDED: approved, rejected,
delivered); ``withdrawn`` status withdrawn; ``open`` not final (cases.choices.FINAL);
``overdue`` the case's deadline warning is red (a statutory limit of a running clock passed, as of
the last recomputation — the periodic deadline check saves the case, which re-opens its day);
``handling*`` received → ``decided_at`` (cases decided); ``statuses`` current status → count;
``last_received_at`` the latest received time in the row.

RatingDayFact — a rating counts in the row of the local day it was given, its evaluated
department, center (a window service's ticket's center, else the department's center), item (a
rated case's), window (a rated service's ticket's window), clerk (``Rating.staff``), channel and
subject type. ``levels`` "1".."5" → count; ``bad`` levels 1–2 (ratings.choices.BAD_LEVELS, 差评);
``followups`` ratings with a follow-up; ``followups_closed`` closed; ``followups_overdue`` not
closed and due before today.

DutyDayFact — per center, day, window and clerk: the clerk's sessions at the window that day
(sign-in → sign-out, or the window's close, or another clerk's sign-in there, or the end of the
day — the present moment for today; a session is never carried over midnight; an empty one is
dropped), less the window's
pauses inside them (pause → resume/close/end) as ``paused_seconds``; ``on_duty_seconds`` excludes
the pauses. ``serving_seconds``/``tickets_served`` from that clerk's done tickets at that window
that day (``Ticket.date``; started → finished). A clerk who served without signing in has a row
with ``on_duty_seconds`` 0.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from onewindow.cases.choices import DECIDED, FINAL, CaseStatus, ClockLevel
from onewindow.cases.facts import CaseRow
from onewindow.centers.choices import TicketStatus, WindowEventAction
from onewindow.centers.facts import TicketRow, WindowEventRow, day_bounds
from onewindow.ratings.choices import BAD_LEVELS, FollowUpStatus, SubjectType
from onewindow.ratings.facts import RatingRow

from .. import histogram
from ..models import CaseDayFact, DutyDayFact, RatingDayFact, TicketHourFact, TicketSlotFact


def seconds(start: datetime.datetime, end: datetime.datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def _ticket_measures(acc: dict[tuple[Any, ...], dict[str, Any]], key: tuple[Any, ...], t: TicketRow,
                     extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Add one ticket to the row of ``key``: the counts and durations TicketHourFact and
    TicketSlotFact share (``extra``: more counters the caller fills, started at 0)."""
    a = acc.get(key)
    if a is None:
        a = acc[key] = {"arrivals": 0, "served": 0, "no_shows": 0, "cancelled": 0, "transfers": 0, "waits": 0,
                        "wait_seconds": 0, "wait_hist": [], "services": 0, "service_seconds": 0,
                        "service_hist": [], **dict.fromkeys(extra, 0)}
    a["arrivals"] += 1
    a["transfers"] += t.transfers
    if t.status == TicketStatus.NO_SHOW:
        a["no_shows"] += 1
    elif t.status == TicketStatus.CANCELLED:
        a["cancelled"] += 1
    if t.first_call is not None:
        wait = seconds(t.taken_at, t.first_call)
        a["waits"] += 1
        a["wait_seconds"] += wait
        a["wait_hist"].append(wait)
    if t.status == TicketStatus.DONE:
        a["served"] += 1
        if t.started_at is not None and t.finished_at is not None:
            took = seconds(t.started_at, t.finished_at)
            a["services"] += 1
            a["service_seconds"] += took
            a["service_hist"].append(took)
    return a


def _bucketed(acc: dict[tuple[Any, ...], dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    for a in acc.values():  # durations collected one by one, bucketed once
        a["wait_hist"], a["service_hist"] = histogram.of(a["wait_hist"]), histogram.of(a["service_hist"])
    return acc


def ticket_facts(rows: Iterable[TicketRow]) -> list[TicketHourFact]:
    """TicketHourFact rows of the tickets (any number of partitions)."""
    acc: dict[tuple[Any, ...], dict[str, Any]] = {}
    for t in rows:
        served_at = t.started_at is not None
        _ticket_measures(acc, (t.center_id, t.date, timezone.localtime(t.taken_at).hour, t.category_id, t.source,
                               t.window_id if served_at else None, t.clerk_id if served_at else None), t)
    return [TicketHourFact(center_id=k[0], day=k[1], hour=k[2], category_id=k[3], source=k[4], window_id=k[5],
                           clerk_id=k[6], **a) for k, a in _bucketed(acc).items()]


def ticket_slot_facts(rows: Iterable[TicketRow]) -> list[TicketSlotFact]:
    """TicketSlotFact rows of the tickets (any number of partitions)."""
    acc: dict[tuple[Any, ...], dict[str, Any]] = {}
    for t in rows:
        local = timezone.localtime(t.taken_at)
        a = _ticket_measures(acc, (t.center_id, t.date, local.hour * 2 + local.minute // 30, t.category_id), t,
                             ("appointments", "priority"))
        if t.source == "appointment":
            a["appointments"] += 1
        if t.priority != "normal":
            a["priority"] += 1
    return [TicketSlotFact(center_id=k[0], day=k[1], slot=k[2], category_id=k[3], **a)
            for k, a in _bucketed(acc).items()]


def _overlap(spans: list[tuple[datetime.datetime, datetime.datetime]], start: datetime.datetime,
             end: datetime.datetime) -> float:
    return sum(max(0.0, (min(e, end) - max(s, start)).total_seconds()) for s, e in spans)


def _window_day(events: list[WindowEventRow], day_end: datetime.datetime,
                ) -> tuple[list[tuple[int, datetime.datetime, datetime.datetime]],
                           list[tuple[datetime.datetime, datetime.datetime]]]:
    """The clerk sessions and the pauses of one window's day (events by (at, id))."""
    sessions: list[tuple[int, datetime.datetime, datetime.datetime]] = []
    pauses: list[tuple[datetime.datetime, datetime.datetime]] = []
    current: tuple[int, datetime.datetime] | None = None
    paused_since: datetime.datetime | None = None
    for ev in events:
        at = min(ev.at, day_end)
        if ev.action == WindowEventAction.SIGN_IN and ev.clerk_id is not None:
            if current is not None:
                sessions.append((current[0], current[1], at))
            current = (ev.clerk_id, at)
        elif ev.action == WindowEventAction.SIGN_OUT:
            if current is not None and current[0] == ev.clerk_id:
                sessions.append((current[0], current[1], at))
                current = None
        elif ev.action == WindowEventAction.CLOSE:
            if current is not None:
                sessions.append((current[0], current[1], at))
                current = None
            if paused_since is not None:
                pauses.append((paused_since, at))
                paused_since = None
        elif ev.action == WindowEventAction.PAUSE:
            if paused_since is None:
                paused_since = at
        elif ev.action == WindowEventAction.RESUME and paused_since is not None:
            pauses.append((paused_since, at))
            paused_since = None
    if current is not None:
        sessions.append((current[0], current[1], max(current[1], day_end)))
    if paused_since is not None:
        pauses.append((paused_since, max(paused_since, day_end)))
    return sessions, pauses


def duty_facts(tickets: Iterable[TicketRow], events: Iterable[WindowEventRow],
               now: datetime.datetime) -> list[DutyDayFact]:
    """DutyDayFact rows of the tickets and window events of some (center, day) partitions."""
    acc: dict[tuple[int, datetime.date, int, int], list[float]] = defaultdict(lambda: [0.0, 0.0, 0, 0])
    by_window: dict[tuple[int, datetime.date, int], list[WindowEventRow]] = defaultdict(list)
    for ev in events:
        by_window[(ev.center_id, timezone.localdate(ev.at), ev.window_id)].append(ev)
    for (center_id, day, window_id), rows in by_window.items():
        rows.sort(key=lambda ev: (ev.at, ev.id))
        day_end = min(day_bounds(day)[1], max(now, day_bounds(day)[0]))
        sessions, pauses = _window_day(rows, day_end)
        for clerk_id, start, end in sessions:
            if end <= start:
                continue
            paused = _overlap(pauses, start, end)
            a = acc[(center_id, day, window_id, clerk_id)]
            a[0] += (end - start).total_seconds() - paused
            a[1] += paused
    for t in tickets:
        if (t.status == TicketStatus.DONE and t.window_id is not None and t.clerk_id is not None
                and t.started_at is not None and t.finished_at is not None):
            a = acc[(t.center_id, t.date, t.window_id, t.clerk_id)]
            a[2] += seconds(t.started_at, t.finished_at)
            a[3] += 1
    return [DutyDayFact(center_id=k[0], day=k[1], window_id=k[2], clerk_id=k[3], on_duty_seconds=max(0, int(a[0])),
                        paused_seconds=max(0, int(a[1])), serving_seconds=int(a[2]), tickets_served=int(a[3]))
            for k, a in acc.items()]


def case_facts(rows: Iterable[CaseRow], centers: dict[int, int]) -> list[CaseDayFact]:
    """CaseDayFact rows of the cases; ``centers``: department id → its center id."""
    acc: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in rows:
        key = (timezone.localdate(c.received_at), c.department_id, centers.get(c.department_id), c.item_id,
               c.channel, c.acceptor_id)
        a = acc.get(key)
        if a is None:
            a = acc[key] = {"received": 0, "accepted": 0, "not_accepted": 0, "concluded": 0, "withdrawn": 0,
                            "overdue": 0, "open": 0, "handling": 0, "handling_seconds": 0, "handling_hist": [],
                            "statuses": {}, "last_received_at": c.received_at}
        a["received"] += 1
        a["accepted"] += c.accepted_at is not None
        a["not_accepted"] += c.status == CaseStatus.NOT_ACCEPTED
        a["concluded"] += c.status in DECIDED
        a["withdrawn"] += c.status == CaseStatus.WITHDRAWN
        a["open"] += c.status not in FINAL
        a["overdue"] += c.deadline_level == ClockLevel.RED
        if c.decided_at is not None:
            took = seconds(c.received_at, c.decided_at)
            a["handling"] += 1
            a["handling_seconds"] += took
            a["handling_hist"].append(took)
        a["statuses"][c.status] = a["statuses"].get(c.status, 0) + 1
        a["last_received_at"] = max(a["last_received_at"], c.received_at)
    for a in acc.values():
        a["handling_hist"] = histogram.of(a["handling_hist"])
        a["statuses"] = dict(sorted(a["statuses"].items()))  # one order, whatever the order of the rows
    return [CaseDayFact(day=k[0], department_id=k[1], center_id=k[2], item_id=k[3], channel=k[4], clerk_id=k[5],
                        **a) for k, a in acc.items()]


def rating_facts(rows: Iterable[RatingRow], *, centers: dict[int, int],
                 places: dict[int, tuple[int, int | None]], items: dict[int, int],
                 today: datetime.date) -> list[RatingDayFact]:
    """RatingDayFact rows of the ratings; ``places``: ticket id → (center, window); ``items``:
    case id → item; ``centers``: department id → center."""
    acc: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        center_id = centers.get(r.department_id) if r.department_id is not None else None
        window_id = item_id = None
        subject = int(r.subject_id) if r.subject_id.isdigit() else None
        if r.subject_type == SubjectType.SERVICE and subject in places:
            center_id, window_id = places[subject]
        elif r.subject_type == SubjectType.CASE and subject is not None:
            item_id = items.get(subject)
        key = (timezone.localdate(r.created_at), r.department_id, center_id, item_id, window_id, r.staff_id,
               r.channel, r.subject_type)
        a = acc.get(key)
        if a is None:
            a = acc[key] = {"ratings": 0, "score_total": 0, "levels": {}, "bad": 0, "followups": 0,
                            "followups_closed": 0, "followups_overdue": 0}
        a["ratings"] += 1
        a["score_total"] += r.score
        a["levels"][str(r.level)] = a["levels"].get(str(r.level), 0) + 1
        a["bad"] += r.level in BAD_LEVELS
        if r.followup_status is not None:
            a["followups"] += 1
            closed = r.followup_status == FollowUpStatus.CLOSED
            a["followups_closed"] += closed
            a["followups_overdue"] += not closed and r.followup_due is not None and r.followup_due < today
    for a in acc.values():
        a["levels"] = dict(sorted(a["levels"].items()))
    return [RatingDayFact(day=k[0], department_id=k[1], center_id=k[2], item_id=k[3], window_id=k[4], clerk_id=k[5],
                          channel=k[6], subject_type=k[7], **a) for k, a in acc.items()]


def subject_ids(rows: Iterable[RatingRow]) -> tuple[set[int], set[int]]:
    """The ticket ids and case ids rated in ``rows``."""
    tickets: set[int] = set()
    cases: set[int] = set()
    for r in rows:
        if r.subject_id.isdigit():
            (tickets if r.subject_type == SubjectType.SERVICE else cases).add(int(r.subject_id))
    return tickets, cases
