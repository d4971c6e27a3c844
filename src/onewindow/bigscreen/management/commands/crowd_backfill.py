"""``onewindow crowd_backfill FILE --source ID [--dry-run]``: import a CSV file of crowd counts for
one source's area (issue #16 part 2, "Bulk backfill from CSV"; services/backfill.py).

The file: UTF-8 (a BOM is fine), header ``bucket_start,zone,origin,present,arrivals``. All or
nothing: a bad line refuses the file and the message names the line. A re-run of the same file
is ``unchanged``. ``--dry-run`` checks and computes everything and writes nothing. A progress bar
(tqdm, on stderr) counts the reports written; ``--quiet`` hides it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from onewindow.bigscreen.models import Source
from onewindow.bigscreen.services.backfill import crowd_backfill
from onewindow.core.errors import DomainError


class Command(BaseCommand):
    help = "Import crowd counts of one source from a CSV file (bucket_start,zone,origin,present,arrivals)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", type=int, required=True, help="the source's id (its area is imported)")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        source = Source.objects.select_related("area").filter(pk=options["source"]).first()
        if source is None:
            raise CommandError(f"no crowd source with id {options['source']}")
        started = time.monotonic()
        bar = tqdm(unit=" reports", disable=options["quiet"])

        def total(n: int) -> None:
            bar.reset(total=n)

        try:
            result = crowd_backfill(source=source, data=path.read_bytes(), dry_run=options["dry_run"],
                                    progress=bar.update, on_reports=total)
        except DomainError as exc:
            details = "; ".join(f"{field}: {' '.join(str(m) for m in messages)}"
                                for field, messages in exc.fields.items())
            raise CommandError(f"{exc.code}: {exc.message} {details}".strip()) from None
        finally:
            bar.close()
        elapsed = time.monotonic() - started
        self.stdout.write(f"{'dry run, nothing written: ' if result.dry_run else ''}{source.area.code} "
                          f"{result.rows} rows, {result.reports} reports: {result.created} created, "
                          f"{result.corrected} corrected, {result.unchanged} unchanged in {elapsed:.1f} s")
