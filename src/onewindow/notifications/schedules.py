"""Periodic jobs of notifications: the delivery sweep every 10 seconds; due reminders every 5 minutes."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import messages_deliver_due, reminders_deliver_due

scheduling.register("notifications.deliver_due", every=datetime.timedelta(seconds=10), task=messages_deliver_due)
scheduling.register("notifications.reminders_deliver", every=datetime.timedelta(minutes=5), task=reminders_deliver_due)
