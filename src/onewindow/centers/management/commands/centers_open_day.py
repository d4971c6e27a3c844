"""``onewindow centers_open_day <center code> [--date YYYY-MM-DD] [--from HH:MM --to HH:MM] [--closed]``

Open a center on one date outside its weekly hours (a Saturday service day, extended hours) or
close it. Without times the center is open around the clock that day — useful to try the demo
kiosk and window outside office hours: ``onewindow centers_open_day 310106021``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from onewindow.centers.services.opening import special_opening_set
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError


class Command(BaseCommand):
    help = "Open (or close) a service center on one date, replacing its weekly hours for that day."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("center_code")
        parser.add_argument("--date", default="", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--from", dest="opens", default="00:00")
        parser.add_argument("--to", dest="closes", default="23:59")
        parser.add_argument("--closed", action="store_true")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = datetime.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            opens = datetime.time.fromisoformat(options["opens"])
            closes = datetime.time.fromisoformat(options["closes"])
        except ValueError as exc:
            raise CommandError(f"bad date or time: {exc}") from None
        try:
            row = special_opening_set(by=system_actor("centers_open_day"), center_code=options["center_code"],
                                      day=day, opens=opens,
                                      closes=closes, last_ticket=closes, closed=options["closed"],
                                      reason=options["reason"] or "operator")
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        state = "closed" if row.closed else f"open {row.opens:%H:%M}-{row.closes:%H:%M}"
        self.stdout.write(f"{options['center_code']} on {day.isoformat()}: {state}")
