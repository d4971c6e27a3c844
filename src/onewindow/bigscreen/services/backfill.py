"""Bulk backfill of crowd counts from CSV (历史客流补录, issue #16 part 2: "Bulk backfill from CSV").

The file: UTF-8, with or without a byte-order mark (Excel writes one), a header row naming the
columns ``bucket_start,zone,origin,present,arrivals`` (in any order; other columns are ignored),
one count per row. ``origin`` is a class (local / domestic / international, any case) or a
home-region code (31, 310106, HK, US …, by ``BIGSCREEN_ORIGIN_RULE``). Rows are grouped into one
report per bucket (the same instant however its offset was written) for the source's own area,
and go through the same validation and idempotency as the API (services/ingest.py): a re-run of
the same file is ``unchanged`` everywhere and writes nothing.

All or nothing: one bad row refuses the whole file (``crowd_csv_invalid`` and the ingest's codes),
and the error names the CSV line (``lines[7].present``, line 1 being the header), so the sender
can fix it and send the file again. ``dry_run`` validates and computes everything, then rolls
back.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from ..buckets import bucket_parse
from ..choices import OriginClass
from ..models import Source, Zone
from .ingest import Prepared, check_source, ingest_prepared, prepare

COLUMNS = ("bucket_start", "zone", "origin", "present", "arrivals")
INTEGER = re.compile(r"^-?[0-9]{1,15}$")
COUNT_FIELD = re.compile(r"^counts\[(\d+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class BackfillResult:
    rows: int
    reports: int
    created: int
    unchanged: int
    corrected: int
    dry_run: bool


def _refuse(line: int, column: str | None, message: Any, code: str = "crowd_csv_invalid") -> DomainError:
    field = f"lines[{line}]" + (f".{column}" if column else "")
    return DomainError(_("CSV 文件第 %(n)s 行有误，整个文件未导入。") % {"n": line}, code=code, status=422,
                       fields={field: [message]})


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_("CSV 文件须为 UTF-8 编码。"), code="crowd_csv_encoding", status=422,
                          fields={"file": [_("CSV 文件须为 UTF-8 编码。")]}) from None


def _number(cell: str) -> int | str | None:
    """The integer a cell holds; the cell itself when it is not one (the ingest refuses it)."""
    text = cell.strip()
    if not text:
        return None
    return int(text) if INTEGER.match(text) else text


def _count(row: dict[str, str]) -> dict[str, Any]:
    origin = row["origin"].strip()
    count: dict[str, Any] = {"zone": row["zone"].strip(), "present": _number(row["present"]),
                             "arrivals": _number(row["arrivals"])}
    if origin.lower() in OriginClass.values:
        count["origin"] = origin.lower()
    else:
        count["region"] = origin
    return count


def parse_reports(source: Source, data: bytes | str) -> tuple[list[tuple[str, list[dict[str, Any]], list[int]]], int]:
    """The reports of a CSV file, each (bucket text, counts, the line of each count), and its row count."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise _refuse(1, None, _("文件为空：第一行须为表头 bucket_start,zone,origin,present,arrivals。"))
        names = [name.strip().lower() for name in header]
        missing = [name for name in COLUMNS if name not in names]
        if missing:
            raise _refuse(1, None, _("表头缺少列：%(cols)s。") % {"cols": ", ".join(missing)})
        index = {name: names.index(name) for name in COLUMNS}
        groups: dict[datetime.datetime | str, tuple[str, list[dict[str, Any]], list[int]]] = {}
        rows = 0
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) < len(names):
                raise _refuse(line, None, _("本行的列数少于表头。"))
            row = {name: cells[position] for name, position in index.items()}
            rows += 1
            try:
                key: datetime.datetime | str = bucket_parse(row["bucket_start"])
            except DomainError:
                key = row["bucket_start"]  # refused below, by the ingest, naming this line
            group = groups.setdefault(key, (row["bucket_start"], [], []))
            group[1].append(_count(row))
            group[2].append(line)
    except csv.Error:
        raise _refuse(reader.line_num, None, _("CSV 格式有误（引号未闭合等）。")) from None
    if not rows:
        raise _refuse(2, None, _("文件中没有数据行。"))
    return list(groups.values()), rows


def _at_line(error: DomainError, first_line: int, lines: list[int]) -> DomainError:
    """The ingest's refusal of one report, named by the CSV line of the count (or the bucket's first line)."""
    fields: dict[str, list[Any]] = {}
    shown = first_line
    for name, messages in error.fields.items():
        match = COUNT_FIELD.match(name)
        if match and int(match.group(1)) < len(lines):
            shown = lines[int(match.group(1))]
            column = match.group(2)
            if column == "region":
                column = "origin"
        else:
            column = "bucket_start" if name == "bucket_start" else None
        fields[f"lines[{shown}]" + (f".{column}" if column else "")] = list(messages)
    return DomainError(_("CSV 文件第 %(n)s 行有误，整个文件未导入。") % {"n": shown}, code=error.code,
                       status=error.status, fields=fields)


def crowd_backfill(*, source: Source, data: bytes | str, dry_run: bool = False, now: datetime.datetime | None = None,
                   progress: Callable[[int], object] | None = None,
                   on_reports: Callable[[int], object] | None = None) -> BackfillResult:
    """Import a CSV file of ``source``'s counts (actor: the source, by its token, or an operator
    running ``onewindow crowd_backfill``). ``on_reports(n)`` is told the number of reports once
    the file is read and valid, ``progress(1)`` after each one is written."""
    now = now or timezone.now()
    check_source(source)
    groups, rows = parse_reports(source, data)
    zones: dict[int, dict[str, Zone]] = {}
    prepared: list[Prepared] = []
    for bucket, counts, lines in groups:
        try:
            prepared.append(prepare(source, {"area": source.area.code, "bucket_start": bucket, "counts": counts},
                                    now=now, zones=zones))
        except DomainError as error:
            raise _at_line(error, lines[0], lines) from None
    prepared.sort(key=lambda item: item.bucket_start)
    if on_reports is not None:
        on_reports(len(prepared))
    with transaction.atomic():
        results = ingest_prepared(source, prepared, via="csv", now=now, progress=progress)
        if dry_run:
            transaction.set_rollback(True)
    statuses = [result.status for result in results]
    return BackfillResult(rows=rows, reports=len(results), created=statuses.count("created"),
                          unchanged=statuses.count("unchanged"), corrected=statuses.count("corrected"),
                          dry_run=dry_run)
