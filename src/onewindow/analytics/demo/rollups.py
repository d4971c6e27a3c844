"""Demo step: build the rollups of the whole demo history (owner: rollups; decision 0017).

Idempotent: with no fact rows yet, a rebuild (streamed, set-based); otherwise an incremental
update, which reads only the events written since (none on a second run)."""

from __future__ import annotations

from collections.abc import Callable

from ..models import CaseDayFact, RollupCursor, TicketHourFact
from ..services.rollups import rollup_rebuild, rollup_update


def rollups_load(progress: Callable[[int], object], seed: int) -> None:
    has_facts = TicketHourFact.objects.exists() or CaseDayFact.objects.exists()
    if has_facts and RollupCursor.objects.filter(last_id__gt=0).exists():
        run = rollup_update()
        progress(run.events)
        return
    rollup_rebuild(progress=progress)
