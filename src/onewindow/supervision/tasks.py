"""Background tasks of supervision (django.tasks); the scheduler enqueues the periodic ones."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from .services import dual_notice_reminders_send
from .services.alert_scan import alerts_scan
from .services.alerts import alert_reminders_send
from .services.draws import plans_close_due


@task()
def supervision_dual_notice_reminders() -> dict[str, Any]:
    """Remind departments of 双告知 tasks due soon and report overdue ones (hourly)."""
    return dual_notice_reminders_send()


@task()
def supervision_alerts_scan() -> dict[str, Any]:
    """监管预警: run the alert rules once and remind alerts left open too long (daily)."""
    raised = alerts_scan()
    return {"raised": raised, "reminded": alert_reminders_send()}


@task()
def supervision_plans_close_due() -> dict[str, Any]:
    """End the inspection of drawn plans whose end date has passed (hourly): the public page then
    shows the names and the secret, and no result is recorded after the end."""
    return {"closed": plans_close_due()}
