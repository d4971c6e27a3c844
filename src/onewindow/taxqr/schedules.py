"""Periodic jobs of taxqr: archive the previous day's summary lists (资料归档), checked hourly."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import summary_archive_daily

scheduling.register("taxqr.summary_archive", every=datetime.timedelta(hours=1), task=summary_archive_daily)
