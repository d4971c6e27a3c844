"""Periodic jobs of the big-data display (issue #16 part 7): the simulated crowd feed every minute
(a 5-minute bucket is sent within a minute of its end; the runs in between find nothing to send)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import bigscreen_crowd_simulate

scheduling.register("bigscreen.crowd_simulate", every=datetime.timedelta(minutes=1), task=bigscreen_crowd_simulate)
