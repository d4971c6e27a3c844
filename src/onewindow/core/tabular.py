"""Reading an uploaded table (CSV or xlsx) the one way: encoding, format and header refusals.

Departments send spreadsheets saved by Excel: an xlsx workbook, or a CSV that Excel in China
writes in GBK (GB18030 is its superset), sometimes UTF-8 with a BOM. :func:`open_table` tells
them apart — an xlsx by its zip signature, a CSV's encoding by trying UTF-8 first (GB18030 decodes
almost any byte string, so the order matters) — and streams the rows with their line numbers, so
an import of millions of rows never holds the file in memory. Anything else is refused with a
stable code and a message the clerk can act on, before a single row is written:
``table_format`` (neither CSV nor xlsx), ``table_unreadable`` (a damaged workbook),
``table_encoding`` (a CSV in neither UTF-8 nor GBK), ``table_empty`` (no header row).
Basis: GB 18030-2022 (the national character set); OWASP ASVS 5.0 V5 (file handling).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.utils.translation import gettext as _

from .errors import DomainError
from .xlsx import sheet_rows

#: How many bytes of a CSV decide its encoding (the decoders are incremental, so a character cut
#: at the end is not an error; a later undecodable byte refuses the file while reading).
SNIFF_BYTES = 256 * 1024
ZIP_SIGNATURE = b"PK\x03\x04"
ENCODINGS = ("utf-8-sig", "gb18030")


class TableRefused(DomainError):
    """The file as a whole cannot be read (422; nothing is written)."""

    status = 422


@dataclass
class Table:
    """An opened table: its header cells, then ``(line number, cells)`` of each non-empty row."""

    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str  # "utf-8-sig", "gb18030" or "xlsx"


def _refuse(code: str, message: str) -> TableRefused:
    return TableRefused(message, code=code, fields={"file": [message]})


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig`` or ``gb18030`` for the first bytes of a CSV file, else refuse."""
    for encoding in ENCODINGS:
        try:
            codecs.getincrementaldecoder(encoding)(errors="strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise _refuse("table_encoding", _("无法识别文件编码：请将 CSV 另存为 UTF-8 或 GBK 编码，或上传 xlsx 文件。"))


def _blank(cells: Any) -> bool:
    return not any(c is not None and str(c).strip() for c in cells)


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _csv(file: IO[bytes]) -> Table:
    encoding = detect_encoding(file.read(SNIFF_BYTES))
    file.seek(0)
    reader = csv.reader(io.TextIOWrapper(file, encoding=encoding, newline="", errors="strict"))
    try:
        first = next(reader, None)
    except (UnicodeDecodeError, csv.Error):
        raise _refuse("table_encoding", _("文件编码或格式有误，无法读取表头。")) from None
    if first is None:
        raise _refuse("table_empty", _("文件为空。"))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for cells in reader:
                if not _blank(cells):
                    yield reader.line_num, list(cells)
        except (UnicodeDecodeError, csv.Error):
            raise _refuse("table_encoding", _("文件第 %(line)s 行之后的内容无法按 %(encoding)s 读取。")
                          % {"line": reader.line_num, "encoding": encoding.upper()}) from None

    return Table(header=[_cell_text(c) for c in first], rows=rows(), encoding=encoding)


def _xlsx(file: IO[bytes]) -> Table:
    try:
        cells = sheet_rows(file)
        first = next(cells, None)
    except ValueError:
        raise _refuse("table_unreadable", _("无法读取该 xlsx 文件，请用模板重新填写后上传。")) from None
    if first is None:
        raise _refuse("table_empty", _("文件为空。"))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for line, values in enumerate(cells, start=2):
            if not _blank(values):
                yield line, list(values)

    return Table(header=[_cell_text(c) for c in first], rows=rows(), encoding="xlsx")


def open_table(file: IO[bytes], file_name: str) -> Table:
    """Open an upload (or a file on disk) as a table: xlsx by its signature, CSV by its name."""
    head = file.read(len(ZIP_SIGNATURE))
    file.seek(0)
    if head == ZIP_SIGNATURE:
        return _xlsx(file)
    if PurePath(file_name).suffix.lower() in (".csv", ".txt"):
        return _csv(file)
    raise _refuse("table_format", _("只接受 CSV 或 xlsx 文件。"))
