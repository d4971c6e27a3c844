"""Periodic jobs of notifications: the delivery sweep every 10 seconds."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import messages_deliver_due

scheduling.register("notifications.deliver_due", every=datetime.timedelta(seconds=10), task=messages_deliver_due)
