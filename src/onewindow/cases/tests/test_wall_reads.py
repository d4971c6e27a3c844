"""The service wall's case counts (issue #16 part 4): cases concluded in a span and open cases
past their deadline, per receiving department, one statement each."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.cases.models import Case
from onewindow.cases.selectors import OPEN_STATUSES, concluded_counts, overdue_open_counts
from onewindow.cases.testing import CaseWorld

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime.datetime(2026, 3, 2))
END = START + datetime.timedelta(days=1)


def _moved(case: Case, **columns: Any) -> Case:
    Case.objects.filter(pk=case.pk).update(**columns)
    case.refresh_from_db()
    return case


def test_concluded_in_the_span_per_receiving_department(case_world: CaseWorld) -> None:
    cw = case_world
    center, district = cw.center.pk, cw.p.department.pk
    _moved(cw.forwarded_case(), status="approved", decided_at=START + datetime.timedelta(hours=10))
    _moved(cw.forwarded_case(), status="delivered", decided_at=END - datetime.timedelta(seconds=1))
    _moved(cw.forwarded_case(), status="approved", decided_at=END)  # the next day
    _moved(cw.forwarded_case(), status="not_accepted", decided_at=START + datetime.timedelta(hours=9))  # not 办结
    _moved(cw.submitted(), status="rejected", decided_at=START + datetime.timedelta(hours=11))
    assert concluded_counts(department_ids=[center, district], start=START, end=END) == {center: 2, district: 1}
    assert concluded_counts(department_ids=[center], start=START, end=END) == {center: 2}
    assert concluded_counts(department_ids=[], start=START, end=END) == {}


def test_overdue_counts_open_cases_only(case_world: CaseWorld, django_assert_num_queries: Any) -> None:
    cw = case_world
    center = cw.center.pk
    _moved(cw.forwarded_case(), status="accepted", deadline_level="red")
    _moved(cw.forwarded_case(), status="suspended", deadline_level="red")
    _moved(cw.forwarded_case(), status="accepted", deadline_level="yellow")
    _moved(cw.forwarded_case(), status="delivered", deadline_level="red")
    _moved(cw.forwarded_case(), status="approved", deadline_level="red")  # decided: its clock stopped
    with django_assert_num_queries(1):
        assert overdue_open_counts(department_ids=[center, cw.p.department.pk]) == {center: 2}
    assert set(OPEN_STATUSES) == {"submitted", "pre_review", "correction", "accepted", "forwarded", "under_review",
                                  "suspended"}
