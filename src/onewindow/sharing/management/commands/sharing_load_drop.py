"""``onewindow sharing_load_drop --resource CODE --sha256 HEX [--kid K --signature S] FILE``: load a
bulk drop (批量交换文件) from a file on the server, for operators on the extranet.

The same checks as an upload (``services.bulk.drop_receive``): the declared SHA-256, the Ed25519
signature by a key of the provider department (unless ``SHARING_DROPS_REQUIRE_SIGNATURE`` is
off), the catalogue's columns, each row. Runs as the system actor ``sharing_load_drop``, or as
``--user USERNAME`` (then that user must be an admin or data clerk of the provider department).
Prints the drop's counts and its first row errors; exits 1 when the drop is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.accounts.models import User
from onewindow.core.actors import Actor, system_actor
from onewindow.core.errors import DomainError

from ...choices import DropStatus
from ...services.bulk import drop_receive, drop_refusal_message, resource_for_drop

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Load a signed CSV/xlsx bulk drop into a dataset resource of the catalogue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--resource", required=True, help="the resource code, e.g. 310106-SCJG-0001")
        parser.add_argument("--sha256", required=True, help="the file's SHA-256 as declared by the sender (hex)")
        parser.add_argument("--kid", default="", help="the signing key id of the provider department")
        parser.add_argument("--signature", default="", help="Base64 Ed25519 signature of the hex SHA-256")
        parser.add_argument("--user", default="", help="act as this user instead of the system")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        by: Actor = system_actor("sharing_load_drop")
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
            by = user
        try:
            resource = resource_for_drop(options["resource"])
            drop = drop_receive(by=by, resource=resource, file_name=path.name, content=path.read_bytes(),
                                declared_sha256=options["sha256"], kid=options["kid"], signature=options["signature"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if drop.status == DropStatus.REFUSED:
            raise CommandError(f"drop #{drop.pk} refused: {drop.refusal_code}: {drop_refusal_message(drop)}")
        self.stdout.write(f"drop #{drop.pk} {drop.status}: {drop.rows_total} rows, {drop.rows_created} created, "
                          f"{drop.rows_updated} updated, {drop.rows_unchanged} unchanged, {drop.rows_failed} failed")
        if not (drop.rows_created or drop.rows_updated):
            self.stdout.write("nothing changed")
        for error in drop.errors[:SHOWN_ERRORS]:
            self.stdout.write(f"  line {error['line']} {error['field']} {error['code']}: {error['message']}")
        if len(drop.errors) > SHOWN_ERRORS:
            self.stdout.write(f"  … {len(drop.errors) - SHOWN_ERRORS} more errors: /sharing/drops/{drop.pk}/")
