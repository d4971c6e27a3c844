"""Browser test (Playwright + Debian Chromium): a clerk sees the reminder count in the header, opens
the reminder list, puts one off until tomorrow 9:00, marks the other done, and chooses SMS."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.testing import PASSWORD, Principals
from onewindow.notifications.models import Reminder
from onewindow.notifications.services import reminder_upsert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reminders(principals: Principals) -> tuple[Reminder, Reminder]:
    # Made before the page fixture starts Playwright's event loop (the ORM is sync-only).
    now = timezone.now()
    late = reminder_upsert(user=principals.clerk, kind="case_deadline", source_key="case:1:decision:accepted",
                           title="办件 JA-1 审查决定期限已超期", link="/cases/staff/",
                           due_at=now - datetime.timedelta(hours=2))
    later = reminder_upsert(user=principals.clerk, kind="followup", source_key="followup:1",
                            title="差评回访：办件 7", due_at=now + datetime.timedelta(days=40))
    return late, later


def test_a_clerk_snoozes_and_finishes_reminders(reminders: tuple[Reminder, Reminder], page: Any) -> None:
    late, later = reminders
    page.goto("/accounts/login/?next=/messages/")
    page.get_by_label("用户名").fill("p_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.locator("#reminders-due").inner_text().startswith("2")
    with page.expect_navigation():
        page.locator("#reminders-link").click()
    assert page.locator("h1").inner_text().startswith("我的提醒")
    overdue = page.locator("#reminders-overdue")
    assert overdue.locator(f'tr[data-reminder="{late.pk}"] td').first.inner_text() == "办件 JA-1 审查决定期限已超期"
    assert page.locator(f'#reminders-later tr[data-reminder="{later.pk}"]').count() == 1
    page.locator(f"#choice-{late.pk}").select_option("tomorrow")
    with page.expect_navigation():
        page.locator(f"#snooze-{late.pk}").click()
    assert page.locator("#reminders-overdue tr[data-reminder]").count() == 0
    assert page.locator(f'#reminders-snoozed li[data-reminder="{late.pk}"]').count() == 1
    assert page.locator("#reminders-due").inner_text().startswith("1")
    page.locator(f"#done-{later.pk}").focus()  # keyboard only: focus and Enter
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#reminders-due").count() == 0
    assert page.locator("#reminder-total").inner_text() == "0"
    page.get_by_label("站内和短信").check()
    with page.expect_navigation():
        page.locator("#save-preference").click()
    assert page.get_by_label("站内和短信").is_checked()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the page never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
