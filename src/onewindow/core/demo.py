"""Demo data of core: the Shanghai division table (called by ``onewindow demo_data``)."""

from __future__ import annotations

import json
from collections.abc import Callable

from .actors import system_actor
from .models import Region
from .services import REGIONS_FILE, regions_load


def load(progress: Callable[[int], object], seed: int) -> None:
    """Load the regions once; a no-op when every region of the table is already there."""
    expected = len(json.loads(REGIONS_FILE.read_text(encoding="utf-8"))["regions"])
    if Region.objects.count() >= expected:
        progress(expected)
        return
    result = regions_load(by=system_actor("demo_data"))
    progress(result.created + result.updated + result.unchanged)
