"""``onewindow sharing_keys``: the Ed25519 keys of the exchange log — list, create, rotate, export
the public keys for a peer installation, import a peer's public keys. Private keys are never
printed or exported."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import Department
from onewindow.sharing.models import SigningKey
from onewindow.sharing.services import keys as key_service

ACTOR = "sharing_keys"


class Command(BaseCommand):
    help = ("Keys of the exchange log: list | create [--department CODE] | rotate [--department CODE] | "
            "export [--output FILE] | import --peer CODE --name NAME --url URL FILE ('-' reads stdin)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["list", "create", "rotate", "export", "import"])
        parser.add_argument("file", nargs="?", default="", help="import: the peer's exported JSON ('-': stdin)")
        parser.add_argument("--department", default="", help="department code (default: the installation's key)")
        parser.add_argument("--output", default="", help="export: write the JSON to this file")
        parser.add_argument("--peer", default="", help="import: the peer installation's code")
        parser.add_argument("--name", default="", help="import: the peer installation's name")
        parser.add_argument("--url", default="", help="import: the peer's exchange base URL")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc

    def _department(self, options: dict[str, Any]) -> Department | None:
        code = options["department"].strip()
        if not code:
            return None
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise CommandError(f"department {code!r} not found")
        return department

    def _list(self, options: dict[str, Any]) -> None:
        rows = SigningKey.objects.select_related("department", "peer").order_by("peer__code", "kid")
        for key in rows:
            if key.peer is not None:
                owner = f"peer {key.peer.code}"
            else:
                owner = f"department {key.department.code}" if key.department else "installation"
            state = "active" if key.active else f"retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at \
                else "inactive"
            self.stdout.write(f"{key.kid}\t{owner}\t{state}\t{key.public_key}")
        if not rows:
            self.stdout.write("no keys yet (an own key is created on first use, or with 'create')")

    def _create(self, options: dict[str, Any]) -> None:
        key = key_service.signing_key_for(self._department(options))
        self.stdout.write(f"active key {key.kid} public {key.public_key}")

    def _rotate(self, options: dict[str, Any]) -> None:
        key = key_service.key_rotate(by=system_actor(ACTOR), department=self._department(options))
        self.stdout.write(f"rotated: active key {key.kid} public {key.public_key}")

    def _export(self, options: dict[str, Any]) -> None:
        text = json.dumps(key_service.public_keys_export(), ensure_ascii=False, indent=2)
        if options["output"]:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"public keys written to {options['output']}")
        else:
            self.stdout.write(text)

    def _import(self, options: dict[str, Any]) -> None:
        source = options["file"]
        if not source or not options["peer"] or not options["url"]:
            raise CommandError("import needs --peer CODE --url URL and FILE (or '-' for stdin)")
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from exc
        peer = key_service.peer_keys_import(by=system_actor(ACTOR), peer_code=options["peer"],
                                            name=options["name"] or options["peer"], base_url=options["url"],
                                            keys_json=text)
        kids = list(peer.keys.order_by("kid").values_list("kid", flat=True))
        self.stdout.write(f"peer {peer.code}: {len(kids)} public keys ({', '.join(kids)})")
