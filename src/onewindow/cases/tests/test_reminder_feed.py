"""The case feeds of 提醒管理 (issue #14 part 6): deadlines near or late remind the handler (or the
department's reviewers), licences expiring within 30 days remind the holder; each run is idempotent
and a reminder resolves when its fact leaves the status."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import CaseClock, Licence
from onewindow.cases.reminder_feed import cases_reminders_feed
from onewindow.cases.testing import CaseWorld
from onewindow.notifications.models import Reminder

pytestmark = pytest.mark.django_db


def rows(kind: str) -> list[tuple[int, str, str]]:
    return list(Reminder.objects.filter(kind=kind).order_by("user_id", "source_key")
                .values_list("user_id", "source_key", "state"))


def test_deadline_reminds_the_handler_once_and_resolves_when_the_case_moves(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.UNDER_REVIEW)
    assert case.handler_id == p.reviewer.pk
    today = timezone.localdate()
    CaseClock.objects.filter(case=case, kind="decision", stopped_on__isnull=True).update(
        due_date=today + datetime.timedelta(days=1))
    assert cases_reminders_feed(today=today)["deadline_upserted"] == 1
    key = f"case:{case.pk}:decision:under_review"
    assert rows("case_deadline") == [(p.reviewer.pk, key, "open")]
    reminder = Reminder.objects.get(source_key=key)
    assert (reminder.link, reminder.detail) == (f"/cases/staff/{case.pk}/", case.title)
    cases_reminders_feed(today=today)
    assert rows("case_deadline") == [(p.reviewer.pk, key, "open")]
    services.case_approve(by=p.reviewer, case_id=case.pk)
    result = cases_reminders_feed(today=today)
    assert result["deadline_resolved"] == 1
    assert rows("case_deadline") == [(p.reviewer.pk, key, "resolved")]


def test_a_case_without_handler_reminds_the_reviewers(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.ACCEPTED)
    case.handler = None
    case.save(update_fields=["handler"])
    CaseClock.objects.filter(case=case, kind="decision").update(level="yellow")
    cases_reminders_feed()
    assert rows("case_deadline") == [(p.reviewer.pk, f"case:{case.pk}:decision:accepted", "open")]


def test_a_far_deadline_reminds_nobody(case_world: CaseWorld) -> None:
    case_world.in_status(CaseStatus.UNDER_REVIEW)
    assert cases_reminders_feed()["deadline_upserted"] == 0
    assert not Reminder.objects.exists()


def test_licence_expiry_reminds_the_holder(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.in_status(CaseStatus.APPROVED)
    licence = Licence.objects.get(case=case)
    today = timezone.localdate()
    Licence.objects.filter(pk=licence.pk).update(valid_to=today + datetime.timedelta(days=40))
    cases_reminders_feed(today=today)
    assert rows("licence_expiry") == []
    soon = today + datetime.timedelta(days=20)
    Licence.objects.filter(pk=licence.pk).update(valid_to=soon)
    cases_reminders_feed(today=today)
    cases_reminders_feed(today=today)
    key = f"licence:{licence.pk}:{soon.isoformat()}"
    assert rows("licence_expiry") == [(p.citizen.pk, key, "open")]
    Licence.objects.filter(pk=licence.pk).update(valid_to=today + datetime.timedelta(days=365))  # renewed
    assert cases_reminders_feed(today=today)["licence_resolved"] == 1
    assert rows("licence_expiry") == [(p.citizen.pk, key, "resolved")]
