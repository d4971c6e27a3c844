"""Background tasks of the service centers; the scheduler runs them."""

from __future__ import annotations

from django_tasks import task

from onewindow.core.actors import system_actor

from .services import appointments_mark_no_shows, appointments_send_reminders


@task()
def centers_appointment_upkeep() -> dict[str, int]:
    """Mark no-shows and send the appointment reminders (every 5 minutes)."""
    by = system_actor("centers_appointment_upkeep")
    return {"no_shows": appointments_mark_no_shows(by=by), "reminders": appointments_send_reminders()}
