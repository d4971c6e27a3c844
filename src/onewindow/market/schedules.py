"""Periodic jobs of market: matching the queue of pooled records every 10 minutes."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import market_records_match

scheduling.register("market.records_match", every=datetime.timedelta(minutes=10), task=market_records_match)
