"""``onewindow core_calendar_recompute --year 2027``: move the running clocks after the packaged
holiday calendar learned a year (an upgrade of ``chinesecalendar``; decision 0011)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.services import calendar_recompute


class Command(BaseCommand):
    help = "Recompute the running deadlines over a year (or a span) after the holiday calendar changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--year", type=int, help="every day of this year")
        parser.add_argument("--first", type=datetime.date.fromisoformat, help="first day (YYYY-MM-DD)")
        parser.add_argument("--last", type=datetime.date.fromisoformat, help="last day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["year"]:
            first, last = datetime.date(options["year"], 1, 1), datetime.date(options["year"], 12, 31)
        elif options["first"] and options["last"]:
            first, last = options["first"], options["last"]
        else:
            raise CommandError("give --year, or --first and --last")
        try:
            moved = calendar_recompute(by=system_actor("core_calendar_recompute"), first=first, last=last)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{first.isoformat()}..{last.isoformat()}: {moved} running clocks recomputed")
