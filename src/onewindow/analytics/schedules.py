"""Periodic jobs of analytics: the incremental rollup update every 5 minutes (decision 0017)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import rollups_update

scheduling.register("analytics.rollup_update", every=datetime.timedelta(minutes=5), task=rollups_update)
