"""Periodic jobs of staffing (issue #15): live advice every 5 minutes (only centers open now get
any), the demand models refitted once a day (the scheduler runs it every 24 hours from its first
tick; the fit reads the rollups, which the nightly rebuild has completed)."""

from __future__ import annotations

import datetime

from onewindow.core import scheduling

from .tasks import staffing_advice_refresh, staffing_demand_models_build

scheduling.register("staffing.advice_refresh", every=datetime.timedelta(minutes=5), task=staffing_advice_refresh)
scheduling.register("staffing.demand_models_build", every=datetime.timedelta(hours=24),
                    task=staffing_demand_models_build)
