"""The window terminal's reads live in the selectors (issue #10 part 3): one queue-eligibility
predicate (``selectors.waiting_for_window``) that the call service claims from and the terminal
counts, and the clerk's cases of the day read through the cases selectors, scoped to the clerk."""

from __future__ import annotations

import datetime

import pytest

from onewindow.core.errors import DomainError

from .. import selectors, services
from ..models import Ticket
from ..testing import MONDAY_10, CenterWorld, take


def test_terminal_counts_exactly_what_the_window_may_call(center_world: CenterWorld) -> None:
    w = center_world
    served = take(w, w.a)                     # A: window 1 serves it
    other_category = take(w, w.b, 1)          # B: window 1 does not
    to_this_window = take(w, w.b, 2)          # B, but transferred to window 1
    to_other_window = take(w, w.a, 3)         # A, but transferred to window 3
    Ticket.objects.filter(pk=to_this_window.pk).update(target_window=w.w1)
    Ticket.objects.filter(pk=to_other_window.pk).update(target_window=w.w3)
    day = MONDAY_10.date()
    eligible = {t.pk for t in selectors.waiting_for_window(w.w1, day)}
    assert eligible == {served.pk, to_this_window.pk}
    assert selectors.desk_for(w.clerk, w.w1.pk, now=w.at(5)).waiting == 2
    called = []
    for minutes in (6, 7):
        ticket = services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(minutes))
        called.append(ticket.pk)
        services.ticket_skip(by=w.clerk, ticket_id=ticket.pk, now=w.at(minutes))
    assert set(called) == eligible
    with pytest.raises(DomainError) as excinfo:
        services.ticket_call_next(by=w.clerk, window_id=w.w1.pk, now=w.at(8))
    assert excinfo.value.code == "queue_empty"
    assert Ticket.objects.get(pk=other_category.pk).status == "waiting"
    assert Ticket.objects.get(pk=to_other_window.pk).status == "waiting"


def test_desk_refuses_unknown_windows_and_outsiders(center_world: CenterWorld) -> None:
    w = center_world
    for who, window_id, code in ((w.clerk, 999_999, "window_not_found"), (w.clerk, "x", "window_not_found"),
                                 (w.cw.p.citizen, w.w1.pk, "not_center_staff"), (None, w.w1.pk, "not_center_staff")):
        with pytest.raises(DomainError) as excinfo:
            selectors.desk_for(who, window_id)
        assert excinfo.value.code == code


def test_window_cases_of_the_day_are_the_clerks_own_under_the_centers_body(center_world: CenterWorld) -> None:
    from django.utils import timezone

    from onewindow.cases.selectors import window_cases_today_for

    w = center_world
    today = timezone.localdate()
    mine = w.cw.forwarded_case()          # numbered today by the center's clerk at the center's body
    w.cw.draft(w.clerk, channel="window", applicant_person=w.cw.p.citizen.person,
               receiving_department=w.cw.center)  # a draft: no number, not offered
    online = w.cw.submitted()             # the citizen's online case: another body, another submitter
    department = w.center.department_id
    assert [c.pk for c in window_cases_today_for(w.clerk, department_id=department, day=today)] == [mine.pk]
    assert window_cases_today_for(w.manager, department_id=department, day=today) == []  # not theirs
    assert window_cases_today_for(None, department_id=department, day=today) == []
    assert window_cases_today_for(w.clerk, department_id=online.receiving_department_id, day=today) == []
    assert window_cases_today_for(w.clerk, department_id=department,
                                  day=today - datetime.timedelta(days=1)) == []
