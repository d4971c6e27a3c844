"""The follow-up feed of 提醒管理 (issue #14 part 6): an open 差评回访 reminds the handlers of the
rated body (not those of another body); idempotent; resolved when the follow-up is closed."""

from __future__ import annotations

import pytest

from onewindow.accounts.testing import Principals
from onewindow.notifications.models import Reminder
from onewindow.ratings import services
from onewindow.ratings.reminder_feed import ratings_reminders_feed

from .test_transitions import bad_rating

pytestmark = pytest.mark.django_db


def test_followup_reminds_the_handlers_once_and_resolves_when_closed(principals: Principals) -> None:
    followup = bad_rating(principals)
    key = f"followup:{followup.pk}"
    assert ratings_reminders_feed() == {"upserted": 1, "resolved": 0}
    assert ratings_reminders_feed() == {"upserted": 1, "resolved": 0}
    assert list(Reminder.objects.values_list("user_id", "source_key", "state", "link")) == [
        (principals.manager.pk, key, "open", f"/ratings/followups/{followup.pk}/")]
    services.followup_contact(by=principals.manager, followup_id=followup.pk, note="已电话联系")
    assert ratings_reminders_feed() == {"upserted": 1, "resolved": 0}
    services.followup_close(by=principals.manager, followup_id=followup.pk, fix_note="增设窗口", reply="已整改")
    assert ratings_reminders_feed() == {"upserted": 0, "resolved": 1}
    assert list(Reminder.objects.values_list("state", flat=True)) == ["resolved"]
