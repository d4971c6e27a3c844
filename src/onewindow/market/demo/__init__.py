"""Demo data of market: the Jing'an registry (``registry``), then the pooled records (``records``,
when that part is present), in that order."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from . import registry


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> Any:
    registry.load(progress=progress, seed=seed, size=size)
    if importlib.util.find_spec("onewindow.market.demo.records") is not None:
        records = importlib.import_module("onewindow.market.demo.records")
        return records.load(progress=progress, seed=seed, size=size)
    return None
