"""The appointment feed of 提醒管理 (issue #14 part 6): a booking made logged in reminds its account
the day before; idempotent; resolved when the booking is cancelled (or checked in, or missed)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.centers.models import Appointment, AppointmentSlot
from onewindow.centers.reminder_feed import centers_reminders_feed
from onewindow.centers.testing import CenterWorld
from onewindow.notifications.models import Reminder

pytestmark = pytest.mark.django_db


def book(world: CenterWorld, day: datetime.date, code: str, *, user: bool = True) -> Appointment:
    category = world.a if user else world.b  # one active booking per person, category and day
    slot, _ = AppointmentSlot.objects.get_or_create(category=category, date=day, starts=datetime.time(9, 0), defaults={
        "center": world.center, "ends": datetime.time(9, 30), "capacity": 5, "booked": 2})
    citizen = world.cw.p.citizen
    return Appointment.objects.create(slot=slot, category=category, date=day, person=citizen.person,
                                      user=citizen if user else None, code=code)


def test_appointment_reminds_the_day_before_once_and_resolves(center_world: CenterWorld) -> None:
    today = timezone.localdate()
    citizen = center_world.cw.p.citizen
    tomorrow = book(center_world, today + datetime.timedelta(days=1), "RA000001")
    book(center_world, today + datetime.timedelta(days=3), "RA000002")  # too early
    book(center_world, today + datetime.timedelta(days=1), "RA000003", user=False)  # booked at a kiosk
    assert centers_reminders_feed(today=today) == {"upserted": 1, "resolved": 0}
    assert centers_reminders_feed(today=today) == {"upserted": 1, "resolved": 0}
    reminder = Reminder.objects.get()
    assert (reminder.user_id, reminder.source_key, reminder.kind, reminder.link) == (
        citizen.pk, f"appointment:{tomorrow.pk}", "appointment", "/centers/appointments/RA000001/")
    assert reminder.due_at == timezone.make_aware(datetime.datetime.combine(tomorrow.date, datetime.time(9, 0)))
    Appointment.objects.filter(pk=tomorrow.pk).update(status="cancelled")
    assert centers_reminders_feed(today=today) == {"upserted": 0, "resolved": 1}
    assert Reminder.objects.get().state == "resolved"
