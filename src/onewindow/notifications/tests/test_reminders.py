"""Reminders (提醒管理, issue #14 part 6): upsert is idempotent by (user, source key) and follows the
re-open rules; resolve closes by source; the count is what is due now."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.notifications.choices import ReminderKind, ReminderState
from onewindow.notifications.models import Reminder
from onewindow.notifications.selectors import reminder_count, reminders_for
from onewindow.notifications.services import reminder_resolve, reminder_upsert

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def upsert(user, key="case:1:decision", due=None, **kw):  # type: ignore[no-untyped-def]
    values = {"kind": ReminderKind.CASE_DEADLINE, "title": "办件 JA-1 将到期", "link": "/staff/cases/JA-1/"}
    values.update(kw)
    return reminder_upsert(user=user, source_key=key, due_at=due, **values)


def test_upsert_is_idempotent_and_follows_the_source() -> None:
    user = UserFactory.create()
    due = timezone.now() + DAY
    first = upsert(user, due=due)
    again = upsert(user, due=due, title="办件 JA-1 明日到期", detail="黄灯")
    assert again.pk == first.pk
    assert Reminder.objects.count() == 1
    row = Reminder.objects.get()
    assert (row.title, row.detail, row.state, row.due_at) == ("办件 JA-1 明日到期", "黄灯", "open", due)


def test_done_stays_done_unless_the_due_moves_later() -> None:
    user = UserFactory.create()
    due = timezone.now() + DAY
    reminder = upsert(user, due=due)
    Reminder.objects.filter(pk=reminder.pk).update(state=ReminderState.DONE, done_at=timezone.now(),
                                                   sent_at=timezone.now())
    assert upsert(user, due=due).state == "done"
    assert upsert(user, due=due - DAY).state == "done"
    reopened = upsert(user, due=due + DAY)
    assert (reopened.state, reopened.done_at, reopened.sent_at) == ("open", None, None)


def test_resolved_reopens_and_resolve_counts_by_key_and_user() -> None:
    one, two = UserFactory.create(), UserFactory.create()
    upsert(one)
    upsert(two)
    upsert(one, key="case:2:decision")
    assert reminder_resolve(source_key="case:1:decision", user=one) == 1
    assert list(Reminder.objects.filter(source_key="case:1:decision").order_by("user_id")
                .values_list("state", flat=True)) == ["resolved", "open"]
    assert reminder_resolve(source_key="case:1:decision") == 1
    assert reminder_resolve(source_key="case:1:decision") == 0
    assert upsert(one).state == "open"
    assert Reminder.objects.get(user=one, source_key="case:2:decision").state == "open"


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "staff/x"])
def test_upsert_refuses_an_outside_link(link: str) -> None:
    user = UserFactory.create()
    with pytest.raises(ValueError):
        upsert(user, link=link)
    assert Reminder.objects.count() == 0


def test_count_is_open_plus_woken_snoozed() -> None:
    user = UserFactory.create()
    now = timezone.now()
    upsert(user, key="a")
    asleep = upsert(user, key="b")
    woken = upsert(user, key="c")
    done = upsert(user, key="d")
    Reminder.objects.filter(pk=asleep.pk).update(state="snoozed", snoozed_until=now + DAY)
    Reminder.objects.filter(pk=woken.pk).update(state="snoozed", snoozed_until=now - DAY)
    Reminder.objects.filter(pk=done.pk).update(state="done")
    upsert(UserFactory.create(), key="a")
    assert reminder_count(user=user) == 2
    assert sorted(r.source_key for r in reminders_for(user=user)) == ["a", "c"]
    assert [r.source_key for r in reminders_for(user=user, state="snoozed")] == ["b"]
