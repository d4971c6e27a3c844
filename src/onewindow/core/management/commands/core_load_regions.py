"""``onewindow core_load_regions``: create or update the Shanghai division table (idempotent)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from onewindow.core.actors import system_actor
from onewindow.core.services import regions_load


class Command(BaseCommand):
    help = "Load the administrative regions of Shanghai from the packaged division table."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", type=Path, default=None, help="another table in the same JSON format")

    def handle(self, *args: Any, **options: Any) -> None:
        result = regions_load(by=system_actor("core_load_regions"), path=options["file"])
        self.stdout.write(f"regions {result.version}: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged")
