"""``onewindow supervision_verify_draw <number>``: recompute a 双随机 draw from its stored inputs.

The check of docs/draw-algorithm.md §9 with the stored rows (issue #12 part 3): the pool, roster
and constraints files against their digests and the plan JSON, the secret against its
commitment, the selection, officers, skips and replacements against a recomputation by
``OW-DRAW-1``, and the inspections against the result. Prints ``MATCH`` (exit status 0) or
``MISMATCH`` with the first difference (exit status 1).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.core.errors import DomainError
from onewindow.supervision.selectors import draws as draw_selectors


class Command(BaseCommand):
    help = "Recompute a draw plan's selection from its stored inputs; print MATCH or MISMATCH (exit 1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="the plan number, e.g. SC2026000001")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = draw_selectors.plan_by_number(options["number"])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {options['number']}") from None
        report = draw_selectors.plan_verify(plan)
        if report.ok:
            self.stdout.write(f"MATCH {plan.number}")
            return
        self.stdout.write(f"MISMATCH {plan.number}: {report.difference}")
        raise SystemExit(1)
