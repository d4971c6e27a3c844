"""``onewindow analytics_rebuild [--quiet]``: rebuild every rollup fact row from the raw history
(decision 0017) — after a change of the measures, or to check the incremental updates. Prints the
raw rows read, the partitions written and the seconds taken."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from onewindow.analytics.services.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the analytics rollups (fact tables) from the raw events of centers, cases and ratings."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        clock = time.monotonic()
        with tqdm(desc="rollups", unit=" rows", disable=options["quiet"], leave=True) as bar:
            run = rollup_rebuild(progress=bar.update)
        seconds = time.monotonic() - clock
        rate = run.events / seconds if seconds > 0 else 0.0
        self.stdout.write(f"events read: {run.events}\npartitions: {run.partitions}\n"
                          f"seconds: {seconds:.1f} ({rate:.0f} rows/s)")
