"""Background tasks of the service centers; the scheduler runs them."""

from __future__ import annotations

from django_tasks import task

from .services import appointments_mark_no_shows, appointments_send_reminders


@task()
def centers_appointment_upkeep() -> dict[str, int]:
    """Mark no-shows and send the appointment reminders (every 5 minutes)."""
    return {"no_shows": appointments_mark_no_shows(), "reminders": appointments_send_reminders()}
