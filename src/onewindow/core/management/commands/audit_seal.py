"""``onewindow audit_seal``: seal pending audit entries now (the scheduler does it every 10 s)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from onewindow.core.audit import audit_seal_pending


class Command(BaseCommand):
    help = "Seal every unsealed audit entry into the hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{audit_seal_pending()} entries sealed")
