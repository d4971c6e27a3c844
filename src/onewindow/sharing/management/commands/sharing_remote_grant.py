"""``onewindow sharing_remote_grant``: record on this (consumer) installation a grant another
installation issued — ``grant_register_remote`` for the operator. The other side's token is read
from a file or stdin, never from the command line (it would stay in the shell history and the
process list), and is never printed."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import Department
from onewindow.sharing.models import DataResource
from onewindow.sharing.services.remote_grants import grant_register_remote

ACTOR = "sharing_remote_grant"


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from exc


class Command(BaseCommand):
    help = ("Record a grant another installation issued: --resource CODE --department CODE --purpose P "
            "--fields a,b --valid-from D --valid-to D [--rate N] TOKEN_FILE ('-' reads stdin)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("token_file", help="a file holding the other side's grant token ('-': stdin)")
        parser.add_argument("--resource", required=True, help="this catalogue's code of the remote (http) resource")
        parser.add_argument("--department", required=True, help="the consumer department's code")
        parser.add_argument("--purpose", required=True, help="the granted purpose (case_handling, prefill, …)")
        parser.add_argument("--fields", required=True, help="the granted fields, comma-separated")
        parser.add_argument("--valid-from", required=True, help="first day (YYYY-MM-DD)")
        parser.add_argument("--valid-to", required=True, help="last day (YYYY-MM-DD)")
        parser.add_argument("--rate", type=int, default=60, help="calls per minute (default 60)")

    def handle(self, *args: Any, **options: Any) -> None:
        resource = DataResource.objects.select_related("current").filter(code=options["resource"]).first()
        if resource is None:
            raise CommandError(f"resource {options['resource']!r} not found")
        department = Department.objects.filter(code=options["department"]).first()
        if department is None:
            raise CommandError(f"department {options['department']!r} not found")
        source = options["token_file"]
        token = (sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")).strip()
        try:
            grant = grant_register_remote(
                by=system_actor(ACTOR), resource=resource, consumer_department=department,
                purpose=options["purpose"], fields=[f.strip() for f in options["fields"].split(",") if f.strip()],
                valid_from=_date(options["valid_from"]), valid_to=_date(options["valid_to"]),
                rate_per_minute=options["rate"], remote_token=token)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(f"grant {grant.pk} ({grant.request.number}) recorded: {resource.code} for "
                          f"{department.code}, {grant.purpose}, {', '.join(grant.fields)}, "
                          f"{grant.valid_from} – {grant.valid_to}")
