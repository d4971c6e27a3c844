"""Periodic jobs of analytics: the incremental rollup update every 5 minutes (decision 0017)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .reminder_feed import analytics_reminders_sync
from .tasks import rollups_update

scheduling.register("analytics.rollup_update", every=datetime.timedelta(minutes=5), task=rollups_update)

scheduling.register("analytics.reminders_sync", every=datetime.timedelta(minutes=30), task=analytics_reminders_sync)
