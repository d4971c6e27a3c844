"""core.tabular: CSV in UTF-8 or GBK, xlsx, and the refusals of a file that can't be read."""

from __future__ import annotations

import io

import pytest

from onewindow.core.tabular import TableRefused, open_table
from onewindow.core.xlsx import Sheet, workbook_bytes

ROWS = [["统一社会信用代码", "名称"], ["91310106MA1FL0000X", "上海静安某某餐饮有限公司"], ["", ""],
        ["91310106MA1FL0001Y", "上海静安某某贸易有限公司"]]


def _csv(encoding: str) -> bytes:
    return "\r\n".join(",".join(r) for r in ROWS).encode(encoding) + b"\r\n"


@pytest.mark.parametrize(("encoding", "seen"), [("utf-8", "utf-8-sig"), ("utf-8-sig", "utf-8-sig"),
                                                ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_a_csv_is_read_in_utf8_or_gbk_with_its_line_numbers(encoding: str, seen: str) -> None:
    table = open_table(io.BytesIO(_csv(encoding)), "entities.CSV")
    assert (table.header, table.encoding) == (["统一社会信用代码", "名称"], seen)
    assert list(table.rows) == [(2, ["91310106MA1FL0000X", "上海静安某某餐饮有限公司"]),
                                (4, ["91310106MA1FL0001Y", "上海静安某某贸易有限公司"])]


def test_an_xlsx_is_known_by_its_signature_whatever_its_name() -> None:
    content = workbook_bytes([Sheet(name="主体", headers=ROWS[0], rows=ROWS[1:])])
    table = open_table(io.BytesIO(content), "upload.bin")
    assert (table.header, table.encoding) == (["统一社会信用代码", "名称"], "xlsx")
    assert list(table.rows) == [(2, ["91310106MA1FL0000X", "上海静安某某餐饮有限公司"]),
                                (4, ["91310106MA1FL0001Y", "上海静安某某贸易有限公司"])]


@pytest.mark.parametrize(("content", "name", "code"), [
    (b"", "empty.csv", "table_empty"),
    (b"\xff\xfe\x00\xd8\x00\xdc\xff", "utf16.csv", "table_encoding"),
    (b"PK\x03\x04not really a zip", "broken.xlsx", "table_unreadable"),
    (b"%PDF-1.7", "scan.pdf", "table_format"),
])
def test_an_unreadable_file_is_refused_with_a_code(content: bytes, name: str, code: str) -> None:
    with pytest.raises(TableRefused) as refused:
        open_table(io.BytesIO(content), name)
    assert (refused.value.code, refused.value.status, list(refused.value.fields)) == (code, 422, ["file"])
