"""cases.facts: what the rollups read of the cases (decision 0017): received cases only, by the
receiving department and the local day received, with the accepting clerk."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.cases import facts
from onewindow.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def test_events_after_a_cursor_give_the_partitions_of_received_cases_only(case_world: Any) -> None:
    draft = case_world.draft()
    accepted = case_world.in_status("accepted")
    today = timezone.localdate()
    last = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
    assert facts.case_events_after(0, 1000) == ({(case_world.p.department.pk, today)}, last,
                                                 CaseEvent.objects.count())
    assert facts.last_case_event_id() == last
    [row] = facts.cases_of([(case_world.p.department.pk, today)])
    assert (row.status, row.acceptor_id, row.item_id, row.received_at) == (
        "accepted", case_world.p.clerk.pk, accepted.item_id, accepted.submitted_at)
    assert [c.status for c in facts.cases_all()] == ["accepted"]
    assert facts.case_items([draft.pk, accepted.pk]) == {draft.pk: draft.item_id, accepted.pk: accepted.item_id}


def test_cases_saved_since_a_moment_are_found_without_an_event(case_world: Any) -> None:
    case = case_world.in_status("accepted")
    later = timezone.now() + datetime.timedelta(minutes=1)
    assert facts.cases_changed_since(later) == set()
    Case.objects.filter(pk=case.pk).update(deadline_level="red", updated_at=later)
    assert facts.cases_changed_since(later) == {(case_world.p.department.pk, timezone.localdate(case.submitted_at))}
    assert facts.cases_of([]) == []
