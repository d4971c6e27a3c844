"""``onewindow market_load_industries``: load GB/T 4754-2017 from market/data (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onewindow.core.actors import system_actor
from onewindow.market.services import industries_load


class Command(BaseCommand):
    help = "Load the GB/T 4754-2017 industry classification (sections, divisions and the demo's classes)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = industries_load(by=system_actor("market_load_industries"))
        self.stdout.write(f"industries: {written} written")
