"""Spreadsheet upload of pooled records: 100 rows with 3 bad import 97 and report 3 (line, column,
message); GBK CSV from Excel is read; a file in another encoding or with wrong columns is refused
whole with nothing written; the template of each kind round-trips."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from onewindow.core.errors import DomainError
from onewindow.market.choices import RecordKind
from onewindow.market.models import PooledRecord
from onewindow.market.services import record_import, records

from .test_records_world import RecordsWorld, build_records_world, new_entity, snapshot, unknown_code

LICENCE_HEADERS = [
    "来源记录编号",
    "统一社会信用代码",
    "主体名称",
    "许可证书名称",
    "许可决定文书号",
    "事项实施编码",
    "许可决定日期",
    "有效期自",
    "有效期至",
    "状态",
]


@pytest.fixture
def w(db: None) -> RecordsWorld:
    return build_records_world()


def _licence_lines(w: RecordsWorld, n: int = 100) -> list[list[Any]]:
    """``n`` licence rows; rows 10, 50 and 90 (lines 11, 51, 91) are bad in one field each."""
    entities = [w.entity, new_entity("上海静安乙公司"), new_entity("上海静安丙公司")]
    queued = unknown_code()
    rows: list[list[Any]] = []
    for i in range(1, n + 1):
        code = entities[i % 3].credit_code if i % 7 else queued
        rows.append(
            [f"XK{i:04d}", code, "", "食品经营许可证", f"JY3101060{i:05d}", "", "2017-03-01", "", "2022-02-28", "有效"]
        )
    if n < 100:
        return rows
    rows[9][1] = rows[9][1][:-1] + ("0" if rows[9][1][-1] != "0" else "1")  # check character
    rows[49][6] = "2017-02-30"  # no such day
    rows[89][8] = "2016-01-01"  # before validity starts
    return rows


def _xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(headers: list[str], rows: list[list[Any]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


EXPECTED_ERRORS = [
    (11, "统一社会信用代码", "统一社会信用代码校验位错误，请核对后重新输入"),
    (51, "许可决定日期", "请填写有效日期（YYYY-MM-DD）。"),
    (91, "有效期至", "有效期至不能早于有效期起。"),
]


@pytest.mark.parametrize(("fmt", "filename"), [("xlsx", "许可.xlsx"), ("utf-8-sig", "许可.csv"), ("gbk", "许可.csv")])
def test_100_rows_with_3_bad_import_97_and_report_3(w: RecordsWorld, fmt: str, filename: str) -> None:
    rows = _licence_lines(w)
    content = _xlsx(LICENCE_HEADERS, rows) if fmt == "xlsx" else _csv(LICENCE_HEADERS, rows, fmt)
    result = records.records_upload(by=w.user("data_clerk"), kind="licence", filename=filename, content=content)
    assert (result.count("created"), result.count("rejected")) == (97, 3)
    errors = [
        (r.line, record_import.column_label("licence", name), m)
        for r in result.rejected
        for name, msgs in r.errors.items()
        for m in msgs
    ]
    assert errors == EXPECTED_ERRORS
    assert PooledRecord.objects.filter(channel="upload").count() == 97
    assert PooledRecord.objects.filter(entity__isnull=True).count() == 14  # every 7th row names no entity
    again = records.records_upload(by=w.user("data_clerk"), kind="licence", filename=filename, content=content)
    assert (again.count("unchanged"), again.count("rejected"), PooledRecord.objects.count()) == (97, 3, 97)


def test_a_file_in_another_encoding_is_refused_whole(w: RecordsWorld) -> None:
    content = _csv(LICENCE_HEADERS, _licence_lines(w, 5), "utf-16")
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        records.records_upload(by=w.user("data_clerk"), kind="licence", filename="x.csv", content=content)
    assert (refused.value.status, refused.value.code) == (422, "table_encoding")
    assert str(refused.value.message) == "无法识别文件编码：请将 CSV 另存为 UTF-8 或 GBK 编码，或上传 xlsx 文件。"
    assert snapshot() == before


def test_wrong_columns_are_refused_whole(w: RecordsWorld) -> None:
    headers = [h for h in LICENCE_HEADERS if h != "许可决定文书号"] + ["备注"]
    rows = [row[:4] + row[5:] + ["x"] for row in _licence_lines(w, 3)]
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        records.records_upload(by=w.user("data_clerk"), kind="licence", filename="x.xlsx", content=_xlsx(headers, rows))
    assert refused.value.code == "records_upload_columns"
    assert (
        str(refused.value.message)
        == "表头与模板不一致（缺少列：许可决定文书号；无法识别的列：备注），请下载模板后重新填写。"
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"", "x.csv", "table_empty"),
        (b"PK\x03\x04broken", "x.xlsx", "table_unreadable"),
        (b"%PDF-1.4", "x.pdf", "table_format"),
        (
            "来源记录编号,统一社会信用代码,许可证书名称,许可决定文书号,许可决定日期\n".encode(),
            "x.csv",
            "records_upload_empty",
        ),
        ("来源记录编号,统一社会信用代码\n".encode(), "x.csv", "records_upload_columns"),
    ],
)
def test_unreadable_files_are_refused(w: RecordsWorld, content: bytes, filename: str, code: str) -> None:
    before = snapshot()
    with pytest.raises(DomainError) as refused:
        records.records_upload(by=w.user("data_clerk"), kind="licence", filename=filename, content=content)
    assert (refused.value.status, refused.value.code) == (422, code)
    assert snapshot() == before


@pytest.mark.parametrize("kind", RecordKind.values)
def test_each_template_has_its_columns_and_reads_back(w: RecordsWorld, kind: str) -> None:
    book = load_workbook(io.BytesIO(record_import.template_xlsx(kind)))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers == [str(label) for _name, label, _required in record_import.COLUMNS[kind]]
    assert book.sheetnames[1] == "填写说明"
    samples = {
        "licence": ["L1", w.entity.credit_code, "", "食品经营许可证", "JY1", "", "2017-03-01", "", "", ""],
        "filing": ["F1", w.entity.credit_code, "", "食品经营备案", "BA1", "2017-03-01", ""],
        "penalty": [
            "P1",
            w.entity.credit_code,
            "",
            "无证经营",
            "沪市监静处〔2017〕1号",
            "食品安全法第一百二十二条",
            "警告、罚款",
            "10,000.00",
            "2017-03-01",
            "已公示",
            "",
        ],
        "inspection": ["I1", w.entity.credit_code, "", "双随机抽查", "", "2017-03-01", "未发现问题", "", ""],
    }
    result = records.records_upload(
        by=w.user("data_clerk"), kind=kind, filename="t.xlsx", content=_xlsx([str(h) for h in headers], [samples[kind]])
    )
    assert [(r.outcome, r.errors) for r in result.rows] == [("created", {})]
    record = PooledRecord.objects.get()
    assert (record.kind, record.entity_id) == (kind, w.entity.pk)
    if kind == "penalty":
        assert (record.penalty_kinds, str(record.amount), record.disclosure) == (
            ["warning", "fine"],
            "10000.00",
            "disclosed",
        )


# --------------------------------------------------------------------------- the page
def test_upload_page_shows_counts_and_the_error_table(w: RecordsWorld) -> None:
    client = w.client("data_clerk")
    page = client.get("/market/records/upload/")
    assert page.status_code == 200
    content = _xlsx(LICENCE_HEADERS, _licence_lines(w))
    upload = io.BytesIO(content)
    upload.name = "许可.xlsx"
    response = client.post("/market/records/upload/", {"kind": "licence", "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="count-created">97</strong>' in html
    assert '<strong id="count-rejected">3</strong>' in html
    assert '<strong id="count-queued">14</strong>' in html
    for line, column, message in EXPECTED_ERRORS:
        assert f'<tr data-line="{line}"><td>{line}</td><td>{column}</td><td>{message}</td></tr>' in html


def test_upload_page_refusal_renders_the_message_with_422(w: RecordsWorld) -> None:
    upload = io.BytesIO(_csv(LICENCE_HEADERS, _licence_lines(w, 2), "utf-16"))
    upload.name = "许可.csv"
    response = w.client("data_clerk").post("/market/records/upload/", {"kind": "licence", "file": upload})
    assert response.status_code == 422
    assert 'data-code="table_encoding"' in response.content.decode()
    assert PooledRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("data_clerk", 200),
        ("data_clerk_other", 200),
        ("clerk", 403),
        ("regulator", 403),
        ("admin", 403),
        ("citizen", 403),
        ("agent", 403),
    ],
)
def test_upload_page_is_for_data_clerks(w: RecordsWorld, who: str, status: int) -> None:
    assert w.client(who).get("/market/records/upload/").status_code == status


def test_anonymous_is_sent_to_login(w: RecordsWorld) -> None:
    for url in (
        "/market/records/upload/",
        "/market/records/queue/",
        "/market/records/objections/",
        f"/market/records/entity/{w.entity.pk}/",
        "/market/records/template/licence.xlsx",
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_template_download(w: RecordsWorld) -> None:
    response = w.client("data_clerk").get("/market/records/template/penalty.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="records-penalty-template.xlsx"'
    assert w.client("data_clerk").get("/market/records/template/nothing.xlsx").status_code == 404
