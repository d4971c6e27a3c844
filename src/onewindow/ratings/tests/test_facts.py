"""ratings.facts: what the rollups read of the ratings and their follow-ups (decision 0017)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.analytics.tests.builders import rating
from onewindow.ratings import facts
from onewindow.ratings.models import FollowUpEvent

pytestmark = pytest.mark.django_db

AT = timezone.make_aware(datetime.datetime(2026, 3, 2, 23, 30))


def test_ratings_after_a_cursor_and_the_rows_of_a_partition(principals: Any) -> None:
    today = timezone.localdate()
    first = rating("case", 1, 5, department=principals.department, at=AT)
    second = rating("case", 2, 1, department=None, at=AT + datetime.timedelta(hours=1),
                    followup=("open", today - datetime.timedelta(days=1)))
    assert facts.ratings_after(0, 10) == ({(principals.department.pk, AT.date()),
                                           (None, AT.date() + datetime.timedelta(days=1))}, second.pk, 2)
    assert facts.ratings_after(first.pk, 10)[1:] == (second.pk, 1)
    [row] = facts.ratings_of([(None, AT.date() + datetime.timedelta(days=1))])
    assert (row.level, row.followup_status, row.followup_due) == (1, "open", today - datetime.timedelta(days=1))
    assert [r.level for r in facts.ratings_all()] == [5, 1]
    assert facts.last_rating_id() == second.pk


def test_follow_ups_with_events_or_fallen_due_since_a_moment(principals: Any) -> None:
    today = timezone.localdate()
    due_yesterday = rating("case", 1, 1, department=principals.department, at=AT,
                           followup=("open", today - datetime.timedelta(days=1)))
    closed = rating("case", 2, 2, department=None, at=AT, followup=("closed", today - datetime.timedelta(days=1)))
    rating("case", 3, 2, department=None, at=AT, followup=("open", today + datetime.timedelta(days=2)))
    now = timezone.now()
    assert facts.followups_changed(since=now, today=today) == {(principals.department.pk, AT.date())}
    FollowUpEvent.objects.create(followup=closed.followup, action="close", from_status="contacted",
                                 to_status="closed")
    assert facts.followups_changed(since=now, today=today) == {(principals.department.pk, AT.date()),
                                                               (None, AT.date())}
    assert due_yesterday.followup.status == "open"
