"""The rollup engine on a small fixed history: exact figures of the four fact tables, late events,
follow-ups and deadline changes without events, the cursors, the runs, the SQL count of one
incremental update, and the rebuild command (decision 0017; measures in services.measures)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from onewindow.analytics.models import (
    CaseDayFact,
    DutyDayFact,
    RatingDayFact,
    RollupCursor,
    RollupRun,
    TicketHourFact,
    TicketSlotFact,
)
from onewindow.analytics.services.rollups import rollup_rebuild, rollup_update
from onewindow.cases.models import Case
from onewindow.centers.testing import MONDAY_10

from .builders import rating, ticket, window_events

pytestmark = pytest.mark.django_db

DAY = MONDAY_10.date()
EIGHT_THIRTY = MONDAY_10 - datetime.timedelta(minutes=90)


def ticket_rows() -> list[tuple[object, ...]]:
    return sorted(((f.hour, f.category_id, f.source, f.window_id, f.clerk_id, f.arrivals, f.served, f.no_shows,
                   f.cancelled, f.transfers, f.waits, f.wait_seconds, f.wait_hist, f.services, f.service_seconds,
                   f.service_hist) for f in TicketHourFact.objects.all()), key=repr)


def duty_rows() -> list[tuple[object, ...]]:
    return sorted(DutyDayFact.objects.values_list("window_id", "clerk_id", "on_duty_seconds", "paused_seconds",
                                                  "serving_seconds", "tickets_served"))


def queue_day(w):  # type: ignore[no-untyped-def]
    """Five tickets and the windows' day at the test center (see the expected figures below)."""
    clerk, at = w.clerk, MONDAY_10
    t1 = ticket(w.center, w.a, at,
                steps=[("call", 5, w.w1, clerk), ("start", 6, w.w1, clerk), ("finish", 16, None, clerk)])
    ticket(w.center, w.b, at + datetime.timedelta(minutes=10), source="wechat",
           steps=[("call", 10, w.w2, clerk), ("skip", 13, w.w2, clerk)])
    ticket(w.center, w.a, at + datetime.timedelta(minutes=30), steps=[("cancel", 5, None, None)])
    ticket(w.center, w.a, at + datetime.timedelta(minutes=40),
           steps=[("transfer", 2, None, clerk), ("call", 10, w.w3, clerk), ("recall", 12, w.w3, clerk),
                  ("start", 13, w.w3, clerk), ("finish", 23, None, clerk)])
    ticket(w.center, w.a, at + datetime.timedelta(minutes=65))
    window_events(w.w1, EIGHT_THIRTY, [("open", 0, None), ("sign_in", 0, clerk), ("pause", 210, None),
                                       ("resume", 270, None), ("sign_out", 510, clerk)])
    window_events(w.w3, EIGHT_THIRTY, [("sign_in", 60, clerk), ("close", 150, None)])
    other = w.cw.p.clerk
    window_events(w.w2, EIGHT_THIRTY, [("sign_in", 0, w.manager), ("sign_in", 60, other), ("pause", 600, None)])
    return t1


def test_ticket_and_duty_facts_of_one_day(center_world):  # type: ignore[no-untyped-def]
    w = center_world
    queue_day(w)
    run = rollup_update()
    a, b, clerk = w.a.pk, w.b.pk, w.clerk.pk
    assert ticket_rows() == sorted([
        (10, a, "kiosk", w.w1.pk, clerk, 1, 1, 0, 0, 0, 1, 300, [0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 600,
         [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        (10, b, "wechat", None, None, 1, 0, 1, 0, 0, 1, 600, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 0, 0, []),
        (10, a, "kiosk", None, None, 1, 0, 0, 1, 0, 0, 0, [], 0, 0, []),
        (10, a, "kiosk", w.w3.pk, clerk, 1, 1, 0, 0, 1, 1, 600, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1, 600,
         [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        (11, a, "kiosk", None, None, 1, 0, 0, 0, 0, 0, 0, [], 0, 0, []),
    ], key=repr)
    assert set(TicketHourFact.objects.values_list("center_id", "day").distinct()) == {(w.center.pk, DAY)}
    duty = sorted((f.window_id, f.clerk_id, f.on_duty_seconds, f.paused_seconds, f.serving_seconds, f.tickets_served)
                  for f in DutyDayFact.objects.filter(center=w.center, day=DAY))
    assert duty == sorted([
        (w.w1.pk, clerk, 30600 - 3600, 3600, 600, 1),   # 08:30–17:00 less 12:00–13:00
        (w.w3.pk, clerk, 5400, 0, 600, 1),              # 09:30 → the window's close at 11:00
        (w.w2.pk, w.manager.pk, 3600, 0, 0, 0),         # until the next clerk signs in there
        (w.w2.pk, w.cw.p.clerk.pk, 52200 - 19800, 19800, 0, 0),  # 09:30 → midnight, paused from 18:30
    ])
    assert (run.kind, run.events, run.partitions, run.error) == ("update", 16 + 10, 1, "")
    assert run.finished_at is not None
    assert dict(RollupCursor.objects.values_list("source", "last_id")) == {
        "tickets": max(ticket_event_ids()), "windows": max(window_event_ids()), "cases": 0, "ratings": 0}


def test_half_hour_slot_facts_of_one_day(center_world):  # type: ignore[no-untyped-def]
    """TicketSlotFact (issue #15): the same tickets per half-hour of taking and category."""
    w = center_world
    queue_day(w)
    rollup_update()
    a, b = w.a.pk, w.b.pk
    one_300, one_600 = [0, 0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    rows = sorted(TicketSlotFact.objects.values_list(
        "slot", "category_id", "arrivals", "appointments", "priority", "served", "no_shows", "cancelled",
        "transfers", "waits", "wait_seconds", "wait_hist", "services", "service_seconds", "service_hist"), key=repr)
    assert rows == sorted([
        (20, a, 1, 0, 0, 1, 0, 0, 0, 1, 300, one_300, 1, 600, one_600),  # 10:00, served at window 1
        (20, b, 1, 0, 0, 0, 1, 0, 0, 1, 600, one_600, 0, 0, []),  # 10:10, skipped
        (21, a, 2, 0, 0, 1, 0, 1, 1, 1, 600, one_600, 1, 600, one_600),  # 10:30 cancelled; 10:40 transferred
        (22, a, 1, 0, 0, 0, 0, 0, 0, 0, 0, [], 0, 0, []),  # 11:05, still waiting
    ], key=repr)
    assert set(TicketSlotFact.objects.values_list("center_id", "day").distinct()) == {(w.center.pk, DAY)}


def ticket_event_ids() -> list[int]:
    from onewindow.centers.models import TicketEvent

    return list(TicketEvent.objects.values_list("id", flat=True))


def window_event_ids() -> list[int]:
    from onewindow.centers.models import WindowEvent

    return list(WindowEvent.objects.values_list("id", flat=True))


def test_an_update_with_nothing_new_changes_nothing_and_a_rebuild_gives_the_same_rows(center_world):  # type: ignore[no-untyped-def]
    queue_day(center_world)
    rollup_update()
    before = ticket_rows(), duty_rows()
    ids = set(TicketHourFact.objects.values_list("id", flat=True))
    run = rollup_update()
    assert (run.events, run.partitions) == (0, 0)
    assert set(TicketHourFact.objects.values_list("id", flat=True)) == ids
    rebuilt = rollup_rebuild()
    assert (rebuilt.kind, rebuilt.events, rebuilt.partitions) == ("rebuild", 5 + 10, 1)
    assert (ticket_rows(), duty_rows()) == before


def test_a_late_event_reopens_its_old_day_only(center_world):  # type: ignore[no-untyped-def]
    w = center_world
    queue_day(w)
    later = MONDAY_10 + datetime.timedelta(days=1)
    ticket(w.center, w.b, later)
    rollup_update()
    next_day_ids = set(TicketHourFact.objects.filter(day=later.date()).values_list("id", flat=True))
    # Written now with Monday's time: the clerk at window 2 signs out at 19:30 on Monday.
    window_events(w.w2, EIGHT_THIRTY, [("sign_out", 660, w.cw.p.clerk)])
    run = rollup_update()
    assert (run.events, run.partitions) == (1, 1)
    assert DutyDayFact.objects.get(day=DAY, window=w.w2, clerk=w.cw.p.clerk).on_duty_seconds == 10 * 3600 - 3600
    assert DutyDayFact.objects.get(day=DAY, window=w.w2, clerk=w.cw.p.clerk).paused_seconds == 3600
    assert set(TicketHourFact.objects.filter(day=later.date()).values_list("id", flat=True)) == next_day_ids


def test_case_facts_by_received_day_department_item_channel_and_accepting_clerk(center_world):  # type: ignore[no-untyped-def]
    cw = center_world.cw
    p = cw.p
    for status in ("submitted", "accepted", "not_accepted", "approved", "withdrawn", "draft"):
        cw.in_status(status)
    forwarded = cw.forwarded_case()
    run = rollup_update()
    today = timezone.localdate()
    rows = {(f.department_id, f.clerk_id): f for f in CaseDayFact.objects.all()}
    assert set(rows) == {(p.department.pk, None), (p.department.pk, p.clerk.pk), (cw.center.pk, None)}
    unaccepted, accepted, street = rows[(p.department.pk, None)], rows[(p.department.pk, p.clerk.pk)], rows[
        (cw.center.pk, None)]
    assert [(f.day, f.center_id, f.item_id, f.channel) for f in (unaccepted, accepted, street)] == [
        (today, None, cw.item.pk, "online"), (today, None, cw.item.pk, "online"),
        (today, center_world.center.pk, cw.item.pk, "window")]
    figures = [(f.received, f.accepted, f.not_accepted, f.concluded, f.withdrawn, f.overdue, f.open, f.handling,
                f.statuses) for f in (unaccepted, accepted, street)]
    assert figures == [(3, 0, 1, 0, 1, 0, 1, 0, {"submitted": 1, "not_accepted": 1, "withdrawn": 1}),
                       (2, 2, 0, 1, 0, 0, 2, 1, {"accepted": 1, "approved": 1}),
                       (1, 0, 0, 0, 0, 0, 1, 0, {"submitted": 1})]
    approved = Case.objects.get(status="approved")
    assert accepted.handling_seconds == max(0, int((approved.decided_at - approved.submitted_at).total_seconds()))
    assert street.last_received_at == forwarded.submitted_at
    assert run.partitions == 2
    # A deadline warning raised without an event (the periodic check saves the case) is seen.
    Case.objects.filter(pk=forwarded.pk).update(deadline_level="red", updated_at=timezone.now())
    rollup_update()
    assert CaseDayFact.objects.get(department=cw.center).overdue == 1


def test_rating_facts_with_subjects_and_follow_ups(center_world):  # type: ignore[no-untyped-def]
    w = center_world
    p = w.cw.p
    t1 = queue_day(w)
    case = w.cw.in_status("approved")
    today = timezone.localdate()
    rating("service", t1.pk, 5, department=w.cw.center, staff=w.clerk, at=MONDAY_10)
    rating("case", case.pk, 2, department=p.department, staff=p.clerk, channel="web", at=MONDAY_10,
           followup=("open", today - datetime.timedelta(days=1)))
    rating("case", case.pk + 1000, 1, department=p.department, channel="web", at=MONDAY_10,
           followup=("closed", today - datetime.timedelta(days=3)))
    rollup_update()
    rows = sorted(((f.department_id, f.center_id, f.item_id, f.window_id, f.clerk_id, f.channel, f.subject_type,
                    f.ratings, f.score_total, f.levels, f.bad, f.followups, f.followups_closed, f.followups_overdue)
                   for f in RatingDayFact.objects.filter(day=DAY)), key=repr)
    assert rows == sorted([
        (w.cw.center.pk, w.center.pk, None, w.w1.pk, w.clerk.pk, "pad", "service", 1, 10, {"5": 1}, 0, 0, 0, 0),
        (p.department.pk, None, case.item_id, None, p.clerk.pk, "web", "case", 1, 3, {"2": 1}, 1, 1, 0, 1),
        (p.department.pk, None, None, None, None, "web", "case", 1, 0, {"1": 1}, 1, 1, 1, 0),
    ], key=repr)


def test_one_incremental_update_of_one_partition_runs_a_fixed_number_of_statements(
        center_world, django_assert_num_queries):  # type: ignore[no-untyped-def]
    w = center_world
    queue_day(w)
    rollup_update()
    # As if cases and ratings had been read before: their changes without events are looked for.
    RollupCursor.objects.filter(source__in=["cases", "ratings"]).update(last_id=1)
    ticket(w.center, w.a, MONDAY_10 + datetime.timedelta(minutes=120))
    # savepoint + lock cursors + 4 event reads + changed cases, follow-up events, follow-ups fallen
    # due + the partition's tickets and window events + 3 deletes + 3 inserts (hour, slot and duty
    # facts) + 4 cursor saves + savepoint release + the run row
    with django_assert_num_queries(23):
        run = rollup_update()
    assert (run.events, run.partitions) == (1, 1)


def test_the_rebuild_command_prints_its_figures_and_exits_0(center_world):  # type: ignore[no-untyped-def]
    queue_day(center_world)
    out = io.StringIO()
    call_command("analytics_rebuild", "--quiet", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["events read: 15", "partitions: 1"]
    assert lines[2].startswith("seconds: ")
    assert TicketHourFact.objects.count() == 5
    assert RollupRun.objects.get().kind == "rebuild"
