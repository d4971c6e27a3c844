"""Demo step: the seed window's item proposals (owner: item decisions)."""

from __future__ import annotations

from collections.abc import Callable


def proposals_load(progress: Callable[[int], object], seed: int) -> None:
    return None
