"""``onewindow core_new_field_key [kid]``: print a new ``kid:base64`` entry for ONEWINDOW_FIELD_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onewindow.core import crypto


class Command(BaseCommand):
    help = "Print a fresh field-encryption key entry; put it first in ONEWINDOW_FIELD_KEYS to rotate."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kid", nargs="?", default="", help="key id (default: k<YYYYMMDD>)")

    def handle(self, *args: Any, **options: Any) -> None:
        kid = options["kid"] or f"k{timezone.localdate():%Y%m%d}"
        if crypto.SEPARATOR in kid or ":" in kid or "," in kid or not kid.isascii():
            raise CommandError("The key id may not contain '$', ':' or ',' and must be ASCII.")
        self.stdout.write(crypto.new_key_spec(kid))
