"""home_summary: open and overdue questions of the viewer's departments (management home)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.interaction.choices import QuestionStatus
from onewindow.interaction.models import Question
from onewindow.interaction.selectors import home_summary

pytestmark = pytest.mark.django_db


def _q(department, status, due_delta_hours):
    now = timezone.now()
    return Question.objects.create(department=department, text="居住证怎么办理？", status=status,
                                   created_at=now, due_at=now + datetime.timedelta(hours=due_delta_hours))


def test_home_summary_counts_open_and_overdue_in_scope(principals):
    d, other = principals.department, principals.other_department
    _q(d, QuestionStatus.SUBMITTED, 2)
    _q(d, QuestionStatus.ASSIGNED, -1)
    _q(d, QuestionStatus.SUBMITTED, -3)
    _q(d, QuestionStatus.ANSWERED, -3)
    _q(d, QuestionStatus.PUBLISHED, -3)
    _q(other, QuestionStatus.SUBMITTED, -3)
    assert home_summary(by=principals.clerk, center_id=1) == {"open": 3, "overdue": 2}
    assert home_summary(by=principals.clerk_other_department, center_id=1) == {"open": 1, "overdue": 1}
    assert home_summary(by=principals.citizen, center_id=1) == {"open": 0, "overdue": 0}
    assert home_summary(by=principals.admin, center_id=None) == {"open": 4, "overdue": 3}
    assert home_summary(by=principals.admin, center_id=None, department_id=other.pk) == {"open": 1, "overdue": 1}
