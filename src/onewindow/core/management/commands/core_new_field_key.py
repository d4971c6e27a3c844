"""``onewindow core_new_field_key [kid] [--algorithms sm4-gcm+hmac-sm3]``: print a new entry for
ONEWINDOW_FIELD_KEYS (``kid:base64``, or ``kid:<cipher>+<mac>:base64`` naming its algorithms)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onewindow.core import crypto


class Command(BaseCommand):
    help = "Print a fresh field-encryption key entry; put it first in ONEWINDOW_FIELD_KEYS to rotate."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kid", nargs="?", default="", help="key id (default: k<YYYYMMDD>)")
        parser.add_argument("--algorithms", default="",
                            help="cipher+mac this key writes with, e.g. sm4-gcm+hmac-sm3 (default: the "
                                 "settings ONEWINDOW_FIELD_CIPHER / ONEWINDOW_FIELD_MAC)")

    def handle(self, *args: Any, **options: Any) -> None:
        kid = options["kid"] or f"k{timezone.localdate():%Y%m%d}"
        if crypto.SEPARATOR in kid or ":" in kid or "," in kid or not kid.isascii():
            raise CommandError("The key id may not contain '$', ':' or ',' and must be ASCII.")
        named = options["algorithms"]
        if named:
            cipher, _, mac = named.partition("+")
            if cipher not in crypto.CIPHERS or mac not in crypto.MACS:
                raise CommandError(f"--algorithms must be <cipher>+<mac> with a cipher of {', '.join(crypto.CIPHERS)} "
                                   f"and a mac of {', '.join(crypto.MACS)}.")
            if not (crypto.supported(cipher) and crypto.supported(mac)):
                raise CommandError(f"{named} is not supported by this OpenSSL.")
        self.stdout.write(crypto.new_key_spec(kid, named))
