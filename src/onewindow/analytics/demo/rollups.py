"""Demo step: build the rollups of the demo history (owner: rollups)."""

from __future__ import annotations

from collections.abc import Callable


def rollups_load(progress: Callable[[int], object], seed: int) -> None:
    return None
