"""``onewindow core_rotate_keys``: re-encrypt personal data under the current field key (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onewindow.core import crypto
from onewindow.core.keys import rotate_field_keys


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field and recompute every keyed hash under the current key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        kid = crypto.current_key().kid
        counts = rotate_field_keys(batch_size=options["batch_size"])
        for count in counts:
            self.stdout.write(f"{count.model}: {count.scanned} rows scanned, {count.rotated} re-encrypted")
        total = sum(c.rotated for c in counts)
        self.stdout.write(self.style.SUCCESS(f"current key {kid}: {total} rows re-encrypted"))
