"""Fixtures shared by the big-data display's tests (bigscreen/testing.py builds them)."""

from __future__ import annotations

import pytest

from onewindow.bigscreen.testing import CrowdWorld, build_crowd_world


@pytest.fixture
def crowd_world(db: None) -> CrowdWorld:
    return build_crowd_world()
