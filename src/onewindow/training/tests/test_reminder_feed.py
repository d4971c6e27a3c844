"""Training reminders: each invited clerk of a planned session starting within 14 days; a
cancelled session's reminders resolve; a run twice changes nothing."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.notifications.models import Reminder
from onewindow.training import services
from onewindow.training.reminder_feed import training_reminders_feed
from onewindow.training.testing import TrainingWorld

pytestmark = pytest.mark.django_db


def test_reminders_of_coming_sessions(training_world: TrainingWorld) -> None:
    t = training_world
    now = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 0))
    course = t.course()
    soon = t.session(course, start=now + datetime.timedelta(days=2), clerks=[t.clerk, t.clerk2])
    t.session(course, start=now + datetime.timedelta(days=20), clerks=[t.clerk])  # beyond 14 days
    t.session(course, start=now - datetime.timedelta(days=1), clerks=[t.clerk])  # past
    assert training_reminders_feed(now=now) == {"upserted": 2, "resolved": 0}
    rows = list(Reminder.objects.order_by("user_id").values_list("user_id", "kind", "source_key", "link", "due_at",
                                                                  "state"))
    assert rows == sorted([(u.pk, "training", f"training:session:{soon.pk}", f"/training/sessions/{soon.pk}/",
                            soon.starts_at, "open") for u in (t.clerk, t.clerk2)])
    assert Reminder.objects.get(user=t.clerk).title == "培训：户籍业务培训"
    assert training_reminders_feed(now=now) == {"upserted": 2, "resolved": 0}
    assert Reminder.objects.count() == 2
    services.session_cancel(by=t.manager, session=soon, reason="改期")
    assert training_reminders_feed(now=now) == {"upserted": 0, "resolved": 2}
    assert set(Reminder.objects.values_list("state", flat=True)) == {"resolved"}
