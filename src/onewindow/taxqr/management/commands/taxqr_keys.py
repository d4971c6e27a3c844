"""``onewindow taxqr_keys``: generate, rotate and exchange the keys of the housing-transaction QR code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.errors import DomainError
from onewindow.taxqr import keystore


class Command(BaseCommand):
    help = ("Keys of the housing-transaction QR code for this instance's side (TAXQR_ROLE): "
            "generate | rotate | show | import-recipient KID PUBLIC | import-verification KID PUBLIC")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["generate", "rotate", "show", "import-recipient",
                                               "import-verification"])
        parser.add_argument("kid", nargs="?", default="")
        parser.add_argument("public", nargs="?", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action in ("generate", "rotate"):
                for line in keystore.generate(rotate=action == "rotate"):
                    self.stdout.write(line)
            elif action == "show":
                self.stdout.write(f"role {keystore.role()}, key dir {keystore.key_dir()}")
                for name in (keystore.SENDER_FILE, keystore.RECEIVER_FILE):
                    data = keystore.read_json(name)
                    if data is None:
                        self.stdout.write(f"{name}: missing")
                        continue
                    if name == keystore.SENDER_FILE:
                        self.stdout.write(f"{name}: signing {data.get('signing', {}).get('kid')}, "
                                          f"encrypting to {data.get('recipient', {}).get('kid')}")
                    else:
                        self.stdout.write(f"{name}: verification {sorted(data.get('verification', {}))}, "
                                          f"decryption {sorted(data.get('decryption', {}))}")
            else:
                if not options["kid"] or not options["public"]:
                    raise CommandError(f"{action} needs KID and PUBLIC (base64)")
                importer = (keystore.import_recipient if action == "import-recipient"
                            else keystore.import_verification)
                importer(options["kid"], options["public"])
                self.stdout.write(f"{action}: {options['kid']} saved")
        except (DomainError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
