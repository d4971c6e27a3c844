"""Demo data of the management system, run by ``onewindow demo_data`` after cases and centers:
the rollups of the whole demo history (``rollups``) and the item proposals of the seed window
(``proposals``: the 临汾路 center's history of 事项调整建议, 5 withdrawals decided in 2016–2017)."""

from __future__ import annotations

from collections.abc import Callable


def load(progress: Callable[[int], object], seed: int) -> None:
    from .proposals import proposals_load
    from .rollups import rollups_load

    proposals_load(progress, seed)
    rollups_load(progress, seed)
