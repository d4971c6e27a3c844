"""The daily summary list (汇总清单) as xlsx and PDF, and its entry in the archive index (资料归档).

One row per captured record of the day (window date), optionally for one window or one agency,
in archive-number order. Names are masked; ID numbers never appear (个人信息保护法 art. 51).
Downloading a list archives the file: it is written under MEDIA_ROOT/taxqr-archive with its
SHA-256 and a retention date 10 years on (税收征收管理法实施细则 art. 29).
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError
from onewindow.core.pdf import pdf_font

from . import permissions as perms
from . import selectors
from .models import ArchiveFile, ArchiveKind, TaxRecord

RETENTION_YEARS = 10
HEADERS = ("档案号", "保存时间", "窗口", "产权证号", "房屋坐落", "街道", "建筑面积(㎡)", "合同价格(元)",
           "合同日期", "交易双方", "经纪机构", "统一社会信用代码", "税费试算(元,仅供参考)", "扫码至保存(秒)")


@dataclass
class SummaryFile:
    content: bytes
    filename: str
    content_type: str
    archive: ArchiveFile


def summary_rows(user: Any, *, day: datetime.date, window: str = "", agency: str = "") -> list[list[Any]]:
    """The rows of the summary list (汇总清单) of ``day`` in ``user``'s scope."""
    qs = selectors.record_list_for(user, selectors.RecordFilter(day=day, window=window, agency=agency))
    records: list[TaxRecord] = list(qs.order_by("archive_no"))
    streets = selectors.street_names([r.street_code for r in records])
    return [[r.archive_no, timezone.localtime(r.saved_at).strftime("%Y-%m-%d %H:%M"), r.window, r.certificate_no,
             r.address, streets.get(r.street_code, r.street_code), r.area, r.price, r.contract_date.isoformat(),
             r.parties_masked, r.agency_name, r.agency_credit_code, r.estimate_total,
             int((r.saved_at - r.first_scan_at).total_seconds())] for r in records]


def _xlsx(title: str, rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "汇总清单"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    sheet.append([f"合计 {len(rows)} 件"])
    for column, width in zip("ABCDEFGHIJKLMN", (16, 17, 8, 30, 36, 14, 12, 14, 12, 20, 28, 20, 16, 12), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(title: str, rows: list[list[Any]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = pdf_font()
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    head = ParagraphStyle("head", fontName=font, fontSize=14, leading=18)
    columns = (0, 1, 2, 3, 4, 6, 7, 9, 10, 12)
    data = [[Paragraph(HEADERS[i], small) for i in columns]]
    data += [[Paragraph("" if row[i] is None else str(row[i]), small) for i in columns] for row in rows]
    # Widths (pt, 794 available on landscape A4) keep an archive number and a certificate number on one line.
    table = Table(data, repeatRows=1, colWidths=[76, 60, 30, 130, 135, 40, 55, 70, 110, 55])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title, leftMargin=24, rightMargin=24,
                            topMargin=24, bottomMargin=24)
    doc.build([Paragraph(title, head), table, Paragraph(f"合计 {len(rows)} 件", small)])
    return out.getvalue()


def summary_export(*, by: Any, day: datetime.date, fmt: str = "xlsx", window: str = "",
                   agency: str = "") -> SummaryFile:
    """Make the summary list (汇总清单) of ``day`` and archive it (资料归档); tax staff or admin."""
    if fmt not in ("xlsx", "pdf"):
        raise DomainError(_("仅支持 xlsx 或 pdf。"), code="format_invalid", status=422)
    rows = summary_rows(by, day=day, window=window, agency=agency)
    bureaus = perms.bureaus_of(by)
    bureau = bureaus[0] if len(bureaus) == 1 else None
    scope = bureau.short_code if bureau else "ALL"
    title = (f"房交信息汇总清单 {day.isoformat()}" + (f" 窗口{window}" if window else "")
             + (f" {agency}" if agency else ""))
    content = _xlsx(title, rows) if fmt == "xlsx" else _pdf(title, rows)
    reference = f"{scope}-{day:%Y%m%d}-HZ" + (f"-W{window}" if window else "") + (f"-{agency[:18]}" if agency else "")
    kind = ArchiveKind.SUMMARY_XLSX if fmt == "xlsx" else ArchiveKind.SUMMARY_PDF
    archive = _archive(by=by, bureau=bureau, kind=kind, reference=reference, day=day,
                       filters={"window": window, "agency": agency}, rows=len(rows), content=content, suffix=fmt)
    content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                    else "application/pdf")
    return SummaryFile(content, f"{reference}.{fmt}", content_type, archive)


def _archive(*, by: Any, bureau: Any, kind: str, reference: str, day: datetime.date, filters: dict[str, str],
             rows: int, content: bytes, suffix: str) -> ArchiveFile:
    digest = hashlib.sha256(content).hexdigest()
    scope = bureau.short_code if bureau else "ALL"
    relative = Path("taxqr-archive") / scope / f"{day:%Y}" / f"{reference}-{digest[:8]}.{suffix}"
    path = Path(settings.MEDIA_ROOT) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    retention = (day.replace(year=day.year + RETENTION_YEARS) if (day.month, day.day) != (2, 29)
                 else datetime.date(day.year + RETENTION_YEARS, 3, 1))
    with transaction.atomic():
        archive = ArchiveFile.objects.create(bureau=bureau, kind=kind, reference=reference, day=day, filters=filters,
                                             rows=rows, path=str(relative), sha256=digest, size=len(content),
                                             retention_until=retention, created_by=by)
        audit_record(actor=by, action="taxqr.archive.file", target=archive,
                     after={"kind": kind, "rows": rows, "sha256": digest})
    return archive


def record_sheet_export(*, by: Any, record_id: int) -> SummaryFile:
    """The record sheet (房交信息表) of one captured record as PDF, archived (资料归档).

    Names and ID numbers are masked: the sheet goes into the paper file, the full record stays
    encrypted in the database (个人信息保护法 art. 51).
    """
    record = selectors.record_get_for(by, record_id)
    data = selectors.record_masked(record.record)
    saved = timezone.localtime(record.saved_at)
    lines = [("档案号", record.archive_no), ("税务机关", record.bureau.department.name),
             ("产权证号", record.certificate_no), ("房屋坐落", record.address),
             ("建筑面积(㎡)", str(record.area)), ("合同价格(元)", str(record.price)),
             ("合同签订日期", record.contract_date.isoformat()),
             ("经纪机构", f"{record.agency_name} {record.agency_credit_code}".strip() or "—")]
    for side, label in (("sellers", "卖方"), ("buyers", "买方")):
        for person in data.get(side) or []:
            lines.append((label, f"{person.get('name', '')} {person.get('id_number', '')} {person.get('share', '')}%"))
    lines += [("窗口 / 保存时间", f"{record.window} / {saved:%Y-%m-%d %H:%M}"),
              ("校验规则版本", record.ruleset_version),
              ("税费试算(元,仅供参考)", str(record.estimate_total or "—"))]
    content = _sheet_pdf(f"房交信息表 {record.archive_no}", lines)
    archive = _archive(by=by, bureau=record.bureau, kind=ArchiveKind.RECORD_PDF, reference=record.archive_no,
                       day=saved.date(), filters={}, rows=1, content=content, suffix="pdf")
    return SummaryFile(content, f"{record.archive_no}.pdf", "application/pdf", archive)


def _sheet_pdf(title: str, lines: list[tuple[str, str]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    head = ParagraphStyle("head", fontName=font, fontSize=15, leading=20)
    table = Table([[Paragraph(k, body), Paragraph(v, body)] for k, v in lines], colWidths=[130, 380])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title).build([Paragraph(title, head), table])
    return out.getvalue()
