"""``onewindow market_import_risk_grades FILE``: the regulator's monthly credit-risk classification.

A CSV file (UTF-8 or GBK, as ``market_import_entities`` reads) with the columns 统一社会信用代码,
风险分类 (A–D), 分类日期 (YYYY-MM-DD) and 来源 (or credit_code, grade, graded_on, source):
企业信用风险分类, 国市监信发〔2022〕6号 (DOMAIN.md R4.6). Refused rows are printed with their line,
field and code; the others are written with a version each (``risk_grades_import``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.market.services import RiskGradeRow, risk_grades_import
from onewindow.market.services.importer import detect_encoding
from onewindow.market.services.validation import parse_date

HEADER = {"统一社会信用代码": "credit_code", "风险分类": "grade", "分类日期": "graded_on", "来源": "source"}


class Command(BaseCommand):
    help = "Import the monthly credit-risk classification (A–D) of market entities from a CSV file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        data = path.read_bytes()
        try:
            encoding = detect_encoding(data[: 1 << 20])
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        reader = csv.reader(io.StringIO(data.decode(encoding)))
        names = [HEADER.get(c.strip().lstrip("\ufeff"), c.strip()) for c in next(reader, [])]
        if sorted(names) != sorted(HEADER.values()):
            raise CommandError("columns must be: " + "、".join(HEADER))
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row = dict(zip(names, (c.strip() for c in cells), strict=False))
            rows.append(RiskGradeRow(line=reader.line_num, credit_code=row["credit_code"].upper(),
                                     grade=row["grade"].upper(), graded_on=parse_date(row["graded_on"]),
                                     source=row["source"]))
        result = risk_grades_import(by=system_actor("market_import_risk_grades"), rows=rows)
        self.stdout.write(f"risk grades: {result.updated} updated, {result.unchanged} unchanged, "
                          f"{len(result.errors)} refused")
        for error in result.errors[:50]:
            self.stdout.write(f"  line {error.line} {error.field} {error.code}: {error.message}")
