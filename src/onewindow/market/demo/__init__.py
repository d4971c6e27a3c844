"""Demo data of market: the Jing'an registry (``registry``), then the pooled records (``records``,
when that part is present), then the 联合惩戒 lists (``sanctions``), in that order."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from . import registry, sanctions


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> Any:
    registry.load(progress=progress, seed=seed, size=size)
    result = None
    if importlib.util.find_spec("onewindow.market.demo.records") is not None:
        records = importlib.import_module("onewindow.market.demo.records")
        result = records.load(progress=progress, seed=seed, size=size)
    sanctions.load(progress=progress, seed=seed, size=size)
    return result
