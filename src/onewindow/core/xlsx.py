"""The one way to write an xlsx export: every string is a text cell, never a formula.

Formula injection (CSV/xlsx injection, OWASP "CSV Injection"): a taxpayer's address or an agency
name typed as ``=HYPERLINK("http://x","click")``, ``+1``, ``-1+2`` or ``@SUM(A1)`` must land in a
list as the text it is, not as a live formula that Excel or LibreOffice evaluates when a clerk
opens the file. openpyxl turns any string starting with ``=`` into a formula cell (``<f>``); this
helper instead writes every ``str`` as an inline string (``t="inlineStr"``), which spreadsheet
programs display and never evaluate, and gives strings that start with a formula trigger
(``= + - @``, tab, carriage return) the quote prefix (``quotePrefix="1"``), so the cell stays
text even after someone edits it. Characters that XML 1.0 cannot carry are dropped instead of
failing the export. Numbers, dates and booleans stay typed values.

Every xlsx export of the project goes through :func:`workbook_bytes` (or :func:`append_row` and
:func:`set_value` on an openpyxl sheet). Basis: OWASP ASVS 5.0 V1 (Encoding and Sanitization:
output encoding for the interpreter that reads it, incl. spreadsheet formulas); GB/T 22239-2019
(等保2.0 三级) 入侵防范 / 数据完整性.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

#: The first characters that make Excel or LibreOffice read a typed entry as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _clean(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def set_value(cell: Any, value: Any) -> None:
    """Put ``value`` into the openpyxl ``cell``: strings as text (never a formula), numbers as numbers.

    ``Decimal`` becomes a float (Excel has no decimal type), ``None`` an empty cell; dates and
    booleans keep their type; anything else is written as its ``str``.
    """
    if value is None:
        cell.value = None
        return
    if isinstance(value, bool | int | float):
        cell.value = value
        return
    if isinstance(value, Decimal):
        cell.value = float(value)
        return
    if isinstance(value, datetime.datetime):
        cell.value = value.replace(tzinfo=None) if value.tzinfo is not None else value
        return
    if isinstance(value, datetime.date | datetime.time):
        cell.value = value
        return
    text = _clean(str(value))
    cell.value = text
    # openpyxl has just typed a leading "=" as a formula ("f"); make it (and every string) text.
    cell.data_type = "s"
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row to ``sheet`` with :func:`set_value` for each value."""
    values = list(values)
    # openpyxl's own append() would type a leading "=" as a formula: reserve the row, then fill it.
    sheet.append([None] * len(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        set_value(sheet.cell(row=row, column=column), value)


@dataclass
class Sheet:
    """One worksheet of :func:`workbook_bytes`: a title row, a bold header, rows, a footer."""

    name: str
    rows: Sequence[Sequence[Any]]
    title: str = ""
    headers: Sequence[str] = ()
    footer: Sequence[Any] = ()
    widths: Sequence[float] = field(default_factory=tuple)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An xlsx file (bytes, made in memory) of ``sheets``, every cell written by :func:`set_value`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    for spec in sheets:
        sheet = book.create_sheet(_clean(spec.name)[:31] or "Sheet")
        if spec.title:
            append_row(sheet, [spec.title])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=14)
        if spec.headers:
            append_row(sheet, spec.headers)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for values in spec.rows:
            append_row(sheet, values)
        if spec.footer:
            append_row(sheet, spec.footer)
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    """The rows of an uploaded workbook's first sheet, as cell values, streamed (read-only mode,
    so a file of millions of rows is never held in memory). Raises ``ValueError`` for a file that
    is not a readable xlsx; :mod:`core.tabular` turns that into a refusal with a code."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, XML errors) for a non-workbook
        raise ValueError("not a readable xlsx workbook") from exc
    if not book.worksheets:
        raise ValueError("the workbook has no sheet")
    yield from book.worksheets[0].iter_rows(values_only=True)
