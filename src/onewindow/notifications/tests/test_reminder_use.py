"""Reminders in use (提醒管理, issue #14 part 6): the owner's snooze and done (others 404, nothing
changed), the page and its header count, the API matrix, and delivery once per due."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onewindow.accounts.testing import Principals
from onewindow.core.errors import Conflict, DomainError, NotFound
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message, Reminder, ReminderPreference
from onewindow.notifications.services import (
    reminder_done,
    reminder_resolve,
    reminder_snooze,
    reminder_upsert,
    reminders_deliver_due,
    snooze_until,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications/reminders"
HOUR = datetime.timedelta(hours=1)


def make(user: Any, key: str = "case:1:decision", due: datetime.datetime | None = None) -> Reminder:
    return reminder_upsert(user=user, kind="case_deadline", source_key=key, title=f"办件 {key} 将到期",
                           link="/staff/cases/", due_at=due)


def snapshot() -> list[tuple[Any, ...]]:
    return list(Reminder.objects.order_by("pk").values_list("pk", "state", "snoozed_until", "done_at", "sent_at"))


def test_snooze_and_done_are_the_owners_only(principals: Principals) -> None:
    mine = make(principals.clerk)
    before, audits = snapshot(), AuditEntry.objects.count()
    with pytest.raises(NotFound):
        reminder_snooze(by=principals.reviewer, reminder_id=mine.pk, until=timezone.now() + HOUR)
    with pytest.raises(NotFound):
        reminder_done(by=principals.reviewer, reminder_id=mine.pk)
    assert (snapshot(), AuditEntry.objects.count()) == (before, audits)
    until = timezone.now() + HOUR
    snoozed = reminder_snooze(by=principals.clerk, reminder_id=mine.pk, until=until)
    assert (snoozed.state, snoozed.snoozed_until) == ("snoozed", until)
    done = reminder_done(by=principals.clerk, reminder_id=mine.pk)
    assert (done.state, done.snoozed_until) == ("done", None)
    assert list(AuditEntry.objects.filter(target_id=str(mine.pk)).order_by("pk").values_list("action", flat=True)) \
        == ["notifications.reminder_snooze", "notifications.reminder_done"]


def test_bad_snooze_and_closed_reminders_are_refused(principals: Principals) -> None:
    mine = make(principals.clerk)
    before = snapshot()
    for until in (timezone.now() - HOUR, timezone.now() + datetime.timedelta(days=91)):
        with pytest.raises(DomainError) as caught:
            reminder_snooze(by=principals.clerk, reminder_id=mine.pk, until=until)
        assert (caught.value.status, caught.value.code) == (422, "reminder_snooze_invalid")
    with pytest.raises(DomainError):
        snooze_until("custom")
    reminder_resolve(source_key=mine.source_key)
    resolved = snapshot()
    with pytest.raises(Conflict):
        reminder_done(by=principals.clerk, reminder_id=mine.pk)
    with pytest.raises(Conflict):
        reminder_snooze(by=principals.clerk, reminder_id=mine.pk, until=timezone.now() + HOUR)
    assert snapshot() == resolved != before


def test_snooze_choices() -> None:
    now = timezone.make_aware(datetime.datetime(2026, 12, 4, 15, 30))  # a Friday
    assert snooze_until("hour", now=now) == now + HOUR
    assert snooze_until("tomorrow", now=now) == timezone.make_aware(datetime.datetime(2026, 12, 5, 9, 0))
    assert snooze_until("next_working_day", now=now) == timezone.make_aware(datetime.datetime(2026, 12, 7, 9, 0))


def test_delivery_once_per_due_and_sms_only_by_preference(principals: Principals) -> None:
    now = timezone.now()
    soon = make(principals.clerk, "a", now + HOUR)
    make(principals.clerk, "b", now + datetime.timedelta(days=5))  # beyond the lead time
    texted = make(principals.reviewer, "c", now - HOUR)
    ReminderPreference.objects.create(user=principals.reviewer, channel="sms")
    assert reminders_deliver_due(now=now) == 2
    assert reminders_deliver_due(now=now) == 0
    rows = list(Message.objects.filter(event="reminder_due").order_by("user_id", "channel")
                .values_list("user_id", "channel", "subject_id"))
    assert sorted(rows) == sorted([(principals.clerk.pk, "inapp", str(soon.pk)),
                                   (principals.reviewer.pk, "inapp", str(texted.pk)),
                                   (principals.reviewer.pk, "sms", str(texted.pk))])
    # a snooze that ends notifies again, once, and the reminder is open again
    reminder_snooze(by=principals.clerk, reminder_id=soon.pk, until=now + HOUR)
    assert reminders_deliver_due(now=now + 2 * HOUR) == 1
    assert reminders_deliver_due(now=now + 2 * HOUR) == 0
    soon.refresh_from_db()
    assert (soon.state, soon.snoozed_until) == ("open", None)
    assert Message.objects.filter(event="reminder_due", subject_id=str(soon.pk)).count() == 2


def test_page_groups_and_header_count(principals: Principals) -> None:
    now = timezone.now()
    make(principals.clerk, "late", now - HOUR)
    make(principals.clerk, "far", now + datetime.timedelta(days=40))
    make(principals.reviewer, "theirs", now - HOUR)
    client = principals.client("clerk")
    page = client.get("/messages/reminders/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="reminders-due">2<' in html
    overdue = html.split('id="reminders-overdue"', 1)[1].split("</section>", 1)[0]
    later = html.split('id="reminders-later"', 1)[1].split("</section>", 1)[0]
    assert "办件 late 将到期" in overdue and "办件 far 将到期" in later
    assert "theirs" not in html
    with CaptureQueriesContext(connection) as ctx:
        client.get("/messages/")
    assert len([q for q in ctx.captured_queries if "notifications_reminder" in q["sql"]]) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert principals.client("anonymous").get("/catalog/").status_code == 200
    assert not [q for q in ctx.captured_queries if "notifications_reminder" in q["sql"]]
    assert principals.client("anonymous").get("/messages/reminders/").status_code == 302


def test_page_actions(principals: Principals) -> None:
    mine = make(principals.clerk, due=timezone.now() + HOUR)
    other = principals.client("reviewer")
    before = snapshot()
    assert other.post(f"/messages/reminders/{mine.pk}/done/").status_code == 404
    assert other.post(f"/messages/reminders/{mine.pk}/snooze/", {"choice": "hour"}).status_code == 404
    assert snapshot() == before
    client = principals.client("clerk")
    assert client.post(f"/messages/reminders/{mine.pk}/snooze/", {"choice": "custom", "until": ""}).status_code == 422
    assert snapshot() == before
    assert client.post(f"/messages/reminders/{mine.pk}/snooze/", {"choice": "tomorrow"}).status_code == 302
    assert Reminder.objects.get(pk=mine.pk).state == "snoozed"
    assert client.post(f"/messages/reminders/{mine.pk}/done/").status_code == 302
    assert Reminder.objects.get(pk=mine.pk).state == "done"
    assert client.post("/messages/reminders/preference/", {"channel": "fax"}).status_code == 422
    assert not ReminderPreference.objects.exists()
    assert client.post("/messages/reminders/preference/", {"channel": "sms"}).status_code == 302
    assert ReminderPreference.objects.get(user=principals.clerk).channel == "sms"


@pytest.mark.parametrize(
    ("who", "status", "ids"),
    [("clerk", 200, ["mine"]), ("reviewer", 200, ["theirs"]), ("manager", 200, []), ("anonymous", 401, None)],
)
def test_api_list_matrix(principals: Principals, who: str, status: int, ids: list[str] | None) -> None:
    keys = {make(principals.clerk, "mine").pk: "mine", make(principals.reviewer, "theirs").pk: "theirs"}
    response = principals.client(who).get(API)
    assert response.status_code == status
    if ids is not None:
        assert [keys[item["id"]] for item in response.json()["items"]] == ids
        assert response.json()["due"] == len(ids)


def test_api_actions(principals: Principals) -> None:
    mine = make(principals.clerk)
    before = snapshot()
    other = principals.client("reviewer")
    assert other.post(f"{API}/{mine.pk}/done", content_type="application/json").status_code == 404
    assert other.post(f"{API}/{mine.pk}/snooze", {"choice": "hour"}, content_type="application/json").status_code \
        == 404
    assert principals.client("anonymous").post(f"{API}/{mine.pk}/done").status_code == 401
    assert principals.client("device").post(f"{API}/{mine.pk}/done").status_code == 403
    client = principals.client("clerk")
    bad = client.post(f"{API}/{mine.pk}/snooze", {"choice": "never"}, content_type="application/json")
    assert (bad.status_code, bad.json()["code"]) == (422, "reminder_snooze_invalid")
    assert snapshot() == before
    snoozed = client.post(f"{API}/{mine.pk}/snooze", {"choice": "hour"}, content_type="application/json")
    assert (snoozed.status_code, snoozed.json()["state"]) == (200, "snoozed")
    assert client.get(f"{API}?state=snoozed").json()["items"][0]["id"] == mine.pk
    done = client.post(f"{API}/{mine.pk}/done", content_type="application/json")
    assert (done.status_code, done.json()["state"]) == (200, "done")
    assert client.get(f"{API}/preference").json() == {"channel": "inapp"}
    wrong = client.put(f"{API}/preference", {"channel": "fax"}, content_type="application/json")
    assert (wrong.status_code, wrong.json()["code"]) == (422, "reminder_channel_invalid")
    assert client.put(f"{API}/preference", {"channel": "sms"}, content_type="application/json").json() \
        == {"channel": "sms"}
