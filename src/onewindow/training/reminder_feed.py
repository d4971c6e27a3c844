"""Reminders fed by training (提醒管理, issue #14 part 6): each clerk invited to a planned session
that starts within ``TRAINING_REMINDER_DAYS`` days (14) is reminded of it, due at its start. Run by
the scheduler (``training.reminders_sync``, schedules.py) and once by the demo; idempotent
(``notifications.services.reminders_sync`` upserts by user and source key, and resolves the
reminders of sessions cancelled, held or no longer attended by the clerk)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.services import ReminderWant, reminders_sync

from .choices import SessionStatus
from .models import Attendance

KEY_PREFIX = "training:session:"


def training_wants(*, now: datetime.datetime | None = None) -> list[ReminderWant]:
    """The reminders that should exist now: one per invited clerk of each planned session
    starting between now and the horizon."""
    moment = now or timezone.now()
    horizon = moment + datetime.timedelta(days=int(getattr(settings, "TRAINING_REMINDER_DAYS", 14)))
    rows = (Attendance.objects.filter(session__status=SessionStatus.PLANNED, session__starts_at__gte=moment,
                                      session__starts_at__lte=horizon, clerk__is_active=True)
            .select_related("clerk", "session", "session__course").order_by("session__starts_at", "session_id",
                                                                              "clerk_id"))
    wants = []
    for attendance in rows:
        session = attendance.session
        start = timezone.localtime(session.starts_at)
        wants.append(ReminderWant(
            user=attendance.clerk, source_key=f"{KEY_PREFIX}{session.pk}",
            title=_("培训：%(title)s") % {"title": session.course.title},
            detail=_("%(when)s，%(place)s，讲师%(trainer)s") % {"when": f"{start:%Y-%m-%d %H:%M}",
                                                              "place": session.place, "trainer": session.trainer},
            link=f"/training/sessions/{session.pk}/", due_at=session.starts_at))
    return wants


def training_reminders_feed(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """One run of the feeder: upsert the wanted reminders, resolve the others of this feeder."""
    return reminders_sync(kind=ReminderKind.TRAINING, key_prefix=KEY_PREFIX, wanted=training_wants(now=now))


@task()
def training_reminders_sync() -> dict[str, int]:
    """The periodic run (every 30 minutes, schedules.py)."""
    return training_reminders_feed()
