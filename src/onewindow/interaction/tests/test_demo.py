"""The interaction demo: idempotent, its planted paraphrases found as clusters, open and overdue
questions for the home summary, FAQ entries linked to the center's items."""

from __future__ import annotations

import pytest

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.testing import DepartmentFactory, StaffRoleFactory, UserFactory
from onewindow.interaction import demo
from onewindow.interaction.models import FaqEntry, Question
from onewindow.interaction.selectors import faq_search, frequent_questions, home_summary

pytestmark = pytest.mark.django_db


def test_demo_loads_once_with_clusters_open_questions_and_faq():
    center = DepartmentFactory.create(code=demo.CENTER, name="临汾路街道社区事务受理服务中心")
    clerk = UserFactory.create(username="centerclerk")
    StaffRoleFactory.create(user=clerk, role=StaffRoleKind.WINDOW_CLERK, department=center)
    demo.load(seed=1)
    total = sum(len(ts) for _, ts, _ in demo.TOPICS.values()) + len(demo.ONE_OFF)
    assert Question.objects.count() == total
    demo.load(seed=1)
    assert Question.objects.count() == total
    clusters = frequent_questions(by=clerk)
    got = sorted(sorted(q.text for q in c.questions) for c in clusters)
    assert got == sorted(sorted(ts) for _, ts, _ in demo.TOPICS.values())
    assert sorted(c.representative.text[:2] for c in clusters if c.in_faq) == ["医保", "居住"]
    summary = home_summary(by=clerk, center_id=None)
    assert summary["open"] == 6 and summary["overdue"] == 2
    assert FaqEntry.objects.count() == 3
    assert [e.question for e in faq_search(q="jzz")] == ["居住证怎么办理？"]
