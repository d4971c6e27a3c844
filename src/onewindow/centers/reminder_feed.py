"""Reminders fed by the service centers (提醒管理, issue #14 part 6): the resident's appointment.

An appointment booked while logged in (it has the booking account) reminds that account from the
day before until it happens: on the day before and the day itself, while it is still booked. It
resolves when the booking is checked in, cancelled or missed. Run by the scheduler
(``centers.reminders_sync``, centers/schedules.py) and once by the demo; idempotent.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.services import ReminderWant, reminders_sync

from .choices import AppointmentStatus
from .models import Appointment


def appointment_wants(*, today: datetime.date | None = None) -> list[ReminderWant]:
    """The appointment reminders that should exist today (see the module docstring)."""
    today = today or timezone.localdate()
    appointments = (Appointment.objects.filter(status=AppointmentStatus.BOOKED, user__isnull=False,
                                               user__is_active=True,
                                               date__gte=today, date__lte=today + datetime.timedelta(days=1))
                    .select_related("user", "slot__center", "category").order_by("date", "slot__starts", "pk"))
    wants: list[ReminderWant] = []
    for appointment in appointments:
        assert appointment.user is not None
        slot = appointment.slot
        starts = timezone.make_aware(datetime.datetime.combine(appointment.date, slot.starts))
        wants.append(ReminderWant(
            user=appointment.user, source_key=f"appointment:{appointment.pk}",
            title=_("预约：%(date)s %(time)s %(center)s") % {
                "date": appointment.date.isoformat(), "time": slot.starts.strftime("%H:%M"),
                "center": slot.center.name},
            detail=_("%(category)s，预约码 %(code)s。请按时到场签到。") % {
                "category": appointment.category.name, "code": appointment.code},
            link=f"/centers/appointments/{appointment.code}/", due_at=starts))
    return wants


def centers_reminders_feed(*, today: datetime.date | None = None) -> dict[str, int]:
    """One run of the appointment feed."""
    return reminders_sync(kind=ReminderKind.APPOINTMENT, key_prefix="appointment:",
                          wanted=appointment_wants(today=today))


@task()
def centers_reminders_sync() -> dict[str, int]:
    """The periodic run of the appointment feed (centers/schedules.py)."""
    return centers_reminders_feed()
