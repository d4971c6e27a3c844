"""``onewindow market_generate_entities --count 3200000``: generated entities at city scale.

The benchmark's registry (issue #11: Shanghai has some 3.2 million market entities): entities
spread over the 16 districts and their streets (``core.Region``), made as the Jing'an demo makes
them (``market.demo.registry.generate_rows``: valid credit codes, GB/T 4754 industries). With
``--out FILE`` the rows are written to a CSV file (the import template's header) to be imported
by ``market_import_entities``; without it they are loaded directly through the import service,
with a progress bar. Idempotent: the same ``--seed`` and ``--start`` give the same credit codes.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from onewindow.core.actors import system_actor
from onewindow.core.models import Region, RegionLevel
from onewindow.market.demo.registry import generate_rows
from onewindow.market.services import COLUMNS, entities_load, industries_load


def districts() -> list[tuple[str, str, list[str]]]:
    """(code, short name, street codes) of Shanghai's districts."""
    out = []
    for district in Region.objects.filter(level=RegionLevel.DISTRICT, code__startswith="31", valid_to__isnull=True):
        streets = list(Region.objects.filter(parent=district, level=RegionLevel.STREET).values_list("code", flat=True))
        out.append((district.code, district.name.removesuffix("区").removesuffix("新"), streets))
    return out


class Command(BaseCommand):
    help = "Generate market entities across Shanghai (to a CSV file, or loaded directly)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=3_200_000)
        parser.add_argument("--seed", type=int, default=20160815)
        parser.add_argument("--start", type=int, default=1_000_000, help="first index of the credit codes")
        parser.add_argument("--out", type=Path, default=None, help="write a CSV file instead of loading")
        parser.add_argument("--chunk", type=int, default=5000)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        places = districts()
        if not places:
            raise CommandError("no districts: run `onewindow core_load_regions` first")
        rows = generate_rows(options["seed"], options["count"], places, start=options["start"], unique_names=False)
        started = time.monotonic()
        with tqdm(total=options["count"], unit=" rows", disable=options["quiet"]) as bar:
            if options["out"] is not None:
                with options["out"].open("w", encoding="utf-8", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow([label for _name, label in COLUMNS])
                    for _line, row in rows:
                        writer.writerow([row[name] for name, _label in COLUMNS])
                        bar.update(1)
                summary = f"wrote {options['count']} rows to {options['out']}"
            else:
                by = system_actor("market_generate_entities")
                industries_load(by=by)
                run = entities_load(by=by, rows=rows, label="generated", notify=False, chunk=options["chunk"],
                                    progress=bar.update)
                summary = (f"import #{run.pk}: {run.rows_created} created, {run.rows_unchanged} unchanged, "
                           f"{run.rows_failed} refused")
        elapsed = time.monotonic() - started
        self.stdout.write(f"{summary} in {elapsed:.1f} s ({options['count'] / max(elapsed, 1e-9):.0f} rows/s)")
