"""``onewindow audit_verify``: recompute the audit hash chain; exit 1 on any problem."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from onewindow.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail: report edited, inserted or deleted entries and a truncated tail."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        self.stdout.write(f"{report.checked} sealed entries checked, {report.unsealed} not yet sealed")
        if report.ok:
            self.stdout.write(self.style.SUCCESS("audit chain OK"))
            return
        first: dict[str, bool] = {}
        for problem in report.problems:
            label = "FIRST " if problem.kind not in first else ""
            first[problem.kind] = True
            entry = f" entry {problem.entry_id}" if problem.entry_id is not None else ""
            self.stdout.write(self.style.ERROR(f"{label}{problem.kind.upper()}{entry}: {problem.detail}"))
        sys.exit(1)
