"""大客流预警 (issue #16 part 3): the density alerts of an area's zones.

Placeholder for the lead's contract only: the ingest calls :func:`alerts_evaluate` after each
recomputed bucket; part 3's helper replaces this body.
"""

from __future__ import annotations

import datetime


def alerts_evaluate(*, area_id: int, bucket_start: datetime.datetime) -> None:
    """Open, raise or close the alerts of ``area_id``'s zones from the merged figures of the bucket
    starting at ``bucket_start`` (only the area's latest bucket moves alerts)."""
    return None
