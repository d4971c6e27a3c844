"""Loading GB/T 4754-2017 (国民经济行业分类) from ``market/data/gbt4754_2017.csv``.

Idempotent: a code already present keeps its row (its name is corrected if the file differs), a
missing one is added. Called by the demo, by ``onewindow market_load_industries`` (run once at
installation, and again when the file gains codes) and by the test fixtures.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from onewindow.core.actors import Actor
from onewindow.core.audit import audit_record

from ..choices import IndustryLevel
from ..models import Industry

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "gbt4754_2017.csv"


def industry_rows(path: Path = DATA_FILE) -> list[dict[str, str]]:
    """The rows of the data file (comment lines starting with ``#`` skipped), parents first."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    for row in rows:
        if row["level"] not in IndustryLevel.values:
            raise ValueError(f"unknown industry level {row['level']!r} of {row['code']}")
    return rows


def industries_load(*, by: Actor, path: Path = DATA_FILE) -> int:
    """Add the missing industries of the file (and correct changed names); the number written."""
    rows = industry_rows(path)
    written = 0
    with transaction.atomic():
        existing = {i.code: i for i in Industry.objects.select_for_update()}
        for row in rows:
            section = row["code"] if row["level"] == IndustryLevel.SECTION else existing[row["parent"]].section
            current = existing.get(row["code"])
            if current is None:
                parent = existing[row["parent"]] if row["parent"] else None
                current = Industry.objects.create(
                    code=row["code"], name=row["name"], level=row["level"], section=section, parent=parent
                )
                existing[current.code] = current
                written += 1
            elif current.name != row["name"]:
                current.name = row["name"]
                current.save(update_fields=["name"])
                written += 1
        if written:
            audit_record(
                actor=by,
                action="market.industries_load",
                target=None,
                after={"file": path.name, "written": written},
                channel="system",
            )
    return written
