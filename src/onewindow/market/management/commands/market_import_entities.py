"""``onewindow market_import_entities FILE``: import a CSV or xlsx file into the registry.

Streams the file in chunks (``--chunk``, default 2,000 rows a transaction) with a progress bar,
idempotent by credit code; prints the counts and the first refused rows (all of them are kept on
the import record: ``/market/import/<id>/``). Runs as the system actor ``market_import_entities``.
``--no-notify`` skips the entity-change listeners (双告知) for a first load of an existing registry.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.market.services import entities_import


def count_rows(path: Path) -> int | None:
    """Rows of a CSV file (lines less the header), for the bar's total; None for xlsx."""
    if path.suffix.lower() != ".csv":
        return None
    with path.open("rb") as handle:
        return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1)


class Command(BaseCommand):
    help = "Import market entities from a CSV (UTF-8 or GBK) or xlsx file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--chunk", type=int, default=2000, help="rows per transaction (default 2000)")
        parser.add_argument("--no-notify", action="store_true", help="do not tell the 双告知 listeners")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        started = time.monotonic()
        with tqdm(total=count_rows(path), unit=" rows", disable=options["quiet"]) as bar, path.open("rb") as handle:
            try:
                run = entities_import(by=system_actor("market_import_entities"), file=handle, file_name=path.name,
                                      notify=not options["no_notify"], chunk=max(1, options["chunk"]),
                                      progress=bar.update)
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
        elapsed = time.monotonic() - started
        rate = run.rows_total / elapsed if elapsed else 0.0
        self.stdout.write(f"import #{run.pk} {run.status}: {run.rows_total} rows, {run.rows_created} created, "
                          f"{run.rows_updated} updated, {run.rows_unchanged} unchanged, {run.rows_failed} refused "
                          f"in {elapsed:.1f} s ({rate:.0f} rows/s)")
        if run.message:
            self.stdout.write(run.message)
        for error in run.errors[:20]:
            self.stdout.write(f"  line {error['line']} {error['field']} {error['code']}: {error['message']}")
