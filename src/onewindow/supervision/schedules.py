"""Periodic jobs of supervision: the 双告知 deadline reminders and the end of drawn plans' inspections
every hour, the 监管预警 scan daily."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import supervision_alerts_scan, supervision_dual_notice_reminders, supervision_plans_close_due

scheduling.register(
    "supervision.dual_notice_reminders", every=datetime.timedelta(hours=1), task=supervision_dual_notice_reminders
)
scheduling.register("supervision.alerts_scan", every=datetime.timedelta(days=1), task=supervision_alerts_scan)
scheduling.register("supervision.plans_close_due", every=datetime.timedelta(hours=1), task=supervision_plans_close_due)
