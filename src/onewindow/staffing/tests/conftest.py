"""Fixtures the staffing API and page tests share: ``sw``, the ``staffing_world`` with a known demand."""

from __future__ import annotations

import datetime

import pytest

from onewindow.centers.testing import CenterWorld
from onewindow.staffing.plans import SlotDemand
from onewindow.staffing.selectors import advice as advice_selectors
from onewindow.staffing.testing import StaffingWorld, build_staffing_world

OPEN_SLOTS = range(17, 34)  # 08:30–17:00


def known_demand(monkeypatch: pytest.MonkeyPatch, sw: StaffingWorld) -> None:
    """A known, light demand (category A, one person per half-hour, 5 minutes each) for every date
    asked, instead of a fitted model (the model is tested with the forecast)."""
    a = sw.categories["A"].pk

    def fake(center_id: int, days: list[datetime.date]) -> list[SlotDemand]:
        return [SlotDemand(d, s, a, 1.0, 0, 300.0) for d in days if d.weekday() < 5 for s in OPEN_SLOTS]

    monkeypatch.setattr(advice_selectors, "_demand", fake)


@pytest.fixture
def sw(center_world: CenterWorld, monkeypatch: pytest.MonkeyPatch) -> StaffingWorld:
    """``staffing_world`` with the known demand."""
    world = build_staffing_world(center_world)
    known_demand(monkeypatch, world)
    return world
