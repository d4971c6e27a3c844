"""``onewindow tokens_expiring [--days 30]``: machine tokens (systems and hall devices) that expire
soon, for the operator's daily check or the scheduler's mail (decision 0009)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from onewindow.accounts.tokens import tokens_expiring


class Command(BaseCommand):
    help = "List unrevoked machine tokens that expire within --days days (default 30)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        tokens = list(tokens_expiring(days))
        self.stdout.write(f"{len(tokens)} token(s) expire within {days} day(s):")
        for token in tokens:
            holder = token.owner.get_username() if token.owner else token.system_name
            expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M") if token.expires_at else ""
            self.stdout.write(f"{expires}\tow_{token.prefix}_…\t{token.name}\t{holder}\t{', '.join(token.scopes)}")
