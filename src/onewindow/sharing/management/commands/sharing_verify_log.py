"""``onewindow sharing_verify_log``: verify the exchange log's signatures, chain and checkpoints;
exit 1 when there is any problem (each one listed)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from onewindow.sharing.services.log import log_verify


class Command(BaseCommand):
    help = ("Verify the exchange log: each entry's content hash and Ed25519 signature, peer statements, "
            "the hash chain and its checkpoints (table and file). Exit 1 when a problem is found.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seal", action="store_true",
                            help="seal pending entries first (as the sharing.log_seal task does)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            from onewindow.sharing.services.log import log_seal_pending

            self.stdout.write(f"{log_seal_pending()} entries sealed")
        report = log_verify()
        self.stdout.write(f"{report.checked} entries checked, {report.unsealed} not yet sealed")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("exchange log OK"))
            return
        for problem in report.problems:
            entry = f"entry {problem.entry_id}" if problem.entry_id is not None else "-"
            self.stdout.write(self.style.ERROR(f"{problem.code} {entry}: {problem.message}"))
        self.stdout.write(f"{len(report.problems)} problems")
        sys.exit(1)
