"""``onewindow core_calendar_set --first 2027-02-06 --last 2027-02-12 --holiday --name 春节``: enter
a holiday period or an adjusted workday of the State Council's notice (decision 0011), through the
same audited service as the admin, so the running deadlines over those days move."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.services import calendar_days_set


class Command(BaseCommand):
    help = "Set the working status of a day or a span of days (holiday or adjusted workday)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--first", type=datetime.date.fromisoformat, required=True, help="YYYY-MM-DD")
        parser.add_argument("--last", type=datetime.date.fromisoformat, help="YYYY-MM-DD (default: --first)")
        kind = parser.add_mutually_exclusive_group(required=True)
        kind.add_argument("--holiday", action="store_true", help="days off (法定节假日)")
        kind.add_argument("--workday", action="store_true", help="adjusted workdays (调休上班)")
        parser.add_argument("--name", default="", help="e.g. 春节")
        parser.add_argument("--note", default="", help="the notice, e.g. 国办发明电〔2026〕号")

    def handle(self, *args: Any, **options: Any) -> None:
        first = options["first"]
        last = options["last"] or first
        try:
            rows = calendar_days_set(by=system_actor("core_calendar_set"), first=first, last=last,
                                     is_working_day=bool(options["workday"]), name=options["name"],
                                     note=options["note"], channel="system")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{first.isoformat()}..{last.isoformat()}: {len(rows)} calendar days set")
