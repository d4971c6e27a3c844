"""Reference-data reads: ``GET /api/v1/core/regions`` and ``/departments`` with filters.

Not an aim of issue #2; a cheap read benchmark that needs no catalog (``--only core_regions``).
"""

from __future__ import annotations

NAME = "core regions"
BASELINE = "constant"
AIMS: dict[str, float] = {}


def paths() -> list[str]:
    return ["/api/v1/core/regions?level=district", "/api/v1/core/regions?parent=310106",
            "/api/v1/core/departments?region=310106"]
