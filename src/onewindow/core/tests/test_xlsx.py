"""core.xlsx: every string is a text cell (never a formula), numbers stay numbers (issue #9 point 6)."""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from onewindow.core import xlsx

HOSTILE = ['=HYPERLINK("http://x","click")', "+1", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1", "=1+1"]


def _sheet_xml(content: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()


def test_formula_like_strings_are_text_cells_with_the_quote_prefix() -> None:
    content = xlsx.workbook_bytes([xlsx.Sheet("清单", [HOSTILE], title="标题", headers=["a"] * len(HOSTILE))])
    assert "<f>" not in _sheet_xml(content) and "<f " not in _sheet_xml(content)
    sheet = load_workbook(io.BytesIO(content)).active
    cells = list(sheet[3])
    assert [c.value for c in cells] == [v.replace("\r", "\n") for v in HOSTILE]  # XML reads CR as LF
    assert {(c.data_type, c.quotePrefix) for c in cells} == {("s", True)}
    # Ordinary strings are text too, without the prefix.
    assert (sheet["A1"].value, sheet["A1"].data_type, sheet["A1"].quotePrefix) == ("标题", "s", False)


def test_numbers_dates_and_empty_cells_keep_their_types() -> None:
    when = datetime.datetime(2017, 7, 25, 10, 0, tzinfo=datetime.UTC)
    row = [1, 2.5, Decimal("5200000.00"), -3, True, datetime.date(2017, 7, 25), when, None, "-", "1e5"]
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes([xlsx.Sheet("s", [row])]))).active
    cells = list(sheet[1])
    assert [c.value for c in cells[:5]] == [1, 2.5, 5200000, -3, True]
    assert [c.data_type for c in cells[:5]] == ["n", "n", "n", "n", "b"]
    assert cells[5].value == datetime.datetime(2017, 7, 25) and cells[6].value == datetime.datetime(2017, 7, 25, 10)
    assert cells[7].value is None
    assert (cells[8].value, cells[8].data_type, cells[8].quotePrefix) == ("-", "s", True)
    assert (cells[9].value, cells[9].data_type) == ("1e5", "s")


def test_characters_xml_cannot_carry_are_dropped_instead_of_failing() -> None:
    sheet = load_workbook(io.BytesIO(xlsx.workbook_bytes([xlsx.Sheet("s\x00", [["a\x00b\x1fc", "=\x01x"]])]))).active
    assert [c.value for c in sheet[1]] == ["abc", "=x"]


@given(st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_any_text_reads_back_as_the_same_text_and_never_a_formula(values: list[str]) -> None:
    content = xlsx.workbook_bytes([xlsx.Sheet("s", [values])])
    assert "<f>" not in _sheet_xml(content)
    cells = list(load_workbook(io.BytesIO(content)).active[1])
    cleaned = [xlsx._clean(v) for v in values]
    # XML parsing turns a bare carriage return into a line feed; otherwise the text is unchanged.
    assert [c.value or "" for c in cells] == [v.replace("\r\n", "\n").replace("\r", "\n") for v in cleaned]
    assert all(c.data_type == "s" for c, v in zip(cells, cleaned, strict=True) if v)


def test_every_xlsx_export_of_the_project_uses_this_helper() -> None:
    """openpyxl is imported only by core/xlsx.py (and tests that read files back)."""
    src = Path(xlsx.__file__).resolve().parents[1]
    users = sorted(str(p.relative_to(src)) for p in src.rglob("*.py")
                   if "tests" not in p.parts and p.name != "xlsx.py"
                   and re.search(r"^\s*(from|import) openpyxl", p.read_text(encoding="utf-8"), re.M))
    assert users == []
