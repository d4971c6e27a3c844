"""``onewindow notifications_deliver``: deliver the due SMS once (for cron or an operator).

The scheduler does this every 10 s; this command is the same sweep, run by hand. ``--limit``
caps how many messages one run tries.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from onewindow.notifications.backends import get_sms_backend
from onewindow.notifications.services import messages_deliver_due


class Command(BaseCommand):
    help = "Deliver the due SMS messages of the outbox once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        backend = get_sms_backend()
        if not backend.delivers:
            self.stdout.write("backend 'outbox': SMS stay in the outbox, nothing to deliver")
            return
        tried = messages_deliver_due(limit=limit)
        self.stdout.write(f"tried {tried} message(s) with backend '{backend.name}'")
