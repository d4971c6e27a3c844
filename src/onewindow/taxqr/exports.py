"""The daily summary list (汇总清单) as xlsx and PDF, and the archive (资料归档) of tax files.

One row per captured record of the day (window date), optionally for one window or one agency,
in archive-number order. Names are masked; ID numbers never appear (个人信息保护法 art. 51).

Downloading (a GET) streams the file from memory: it creates no record and no file, only an
audit entry of the download (issue #9). Archiving — writing the day's summary of a bureau under
``TAXQR_ARCHIVE_ROOT`` with its SHA-256 and a retention date 10 years on (税收征收管理法实施细则
art. 29) — is a POST by the bureau's staff (re-authenticated) or the daily scheduled job
(``taxqr.summary_archive``). Archive paths are built by :func:`archive_path` only, from the
bureau's short code (from the database), the date and a gap-free sequence number, and are
checked to stay under the archive root (OWASP ASVS 5.0 V5 File Handling; 等保2.0 入侵防范).
Every xlsx goes through :mod:`onewindow.core.xlsx` (strings are text, never formulas).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core import xlsx
from onewindow.core.actors import Actor, system_actor
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.identifiers import IdentifierError, validate_credit_code
from onewindow.core.numbering import next_number
from onewindow.core.pdf import pdf_font

from . import permissions as perms
from . import rules, selectors, services
from .choices import ArchiveKind, RecordAction
from .models import ArchiveFile, TaxBureau, TaxRecord

RETENTION_YEARS = 10
HEADERS = ("档案号", "保存时间", "窗口", "产权证号", "房屋坐落", "街道", "建筑面积(㎡)", "合同价格(元)",
           "合同日期", "交易双方", "经纪机构", "统一社会信用代码", "税费试算(元,仅供参考)", "扫码至保存(秒)")
WIDTHS = (16, 17, 8, 30, 36, 14, 12, 14, 12, 20, 28, 20, 16, 12)
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
BUREAU_CODE = re.compile(r"[A-Z]{2,4}")  # TaxBureau.short_code
ARCHIVE_TAGS = ("HZ", "FJ")  # 汇总清单 (summary list), 房交信息表 (record sheet)
MAX_SEQUENCE = 9999


@dataclass
class SummaryFile:
    """A file made in memory, ready to stream (and the archive entry, when it was archived)."""

    content: bytes
    filename: str
    content_type: str
    archive: ArchiveFile | None = None


@dataclass(frozen=True)
class SummaryFilter:
    """The validated parameters of a summary list (汇总清单)."""

    day: datetime.date
    window: str = ""
    agency: str = ""


def summary_filter(*, day: datetime.date | str | None, window: str = "", agency: str = "") -> SummaryFilter:
    """Validate the parameters of a summary list, or refuse with ``summary_filter_invalid`` (422).

    ``day`` a date (or ``YYYY-MM-DD``); ``window`` empty or a window code (:func:`rules.window_code`);
    ``agency`` empty or a unified social credit code (GB 32100, checked by python-stdnum through
    core.identifiers). Full-width characters are NFKC-normalised first (``１`` is ``1``); anything
    else — paths, dots, slashes, NUL bytes, encodings — is refused, so that no request value can
    name a file (OWASP ASVS 5.0 V2 Validation; issue #9).
    """
    fields: dict[str, list[Any]] = {}
    parsed: datetime.date | None = day if isinstance(day, datetime.date) else None
    if not isinstance(day, datetime.date):
        text = unicodedata.normalize("NFKC", str(day or ""))
        try:
            parsed = datetime.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            parsed = None
        if parsed is None:
            fields["date"] = [_("请输入有效日期（YYYY-MM-DD）。")]
    try:
        window = rules.window_code(window)
    except DomainError as exc:
        fields.update(exc.fields)
    agency = unicodedata.normalize("NFKC", agency or "")
    if agency:
        try:
            agency = validate_credit_code(agency, field="agency")
        except IdentifierError as exc:
            fields["agency"] = [exc.message]
    if fields or parsed is None:
        raise DomainError(_("筛选条件有误，请检查标出的项。"), code="summary_filter_invalid", status=422,
                          fields=fields)
    return SummaryFilter(day=parsed, window=window, agency=agency)


def _rows(records: list[TaxRecord]) -> list[list[Any]]:
    streets = selectors.street_names([r.street_code for r in records])
    return [[r.archive_no, timezone.localtime(r.saved_at).strftime("%Y-%m-%d %H:%M"), r.window, r.certificate_no,
             r.address, streets.get(r.street_code, r.street_code), r.area, r.price, r.contract_date.isoformat(),
             r.parties_masked, r.agency_name, r.agency_credit_code, r.estimate_total,
             int((r.saved_at - r.first_scan_at).total_seconds())] for r in records]


def summary_rows(user: Any, *, day: datetime.date, window: str = "", agency: str = "") -> list[list[Any]]:
    """The rows of the summary list (汇总清单) of ``day`` in ``user``'s scope."""
    qs = selectors.record_list_for(user, selectors.RecordFilter(day=day, window=window, agency=agency))
    return _rows(list(qs.order_by("archive_no")))


def _xlsx(title: str, rows: list[list[Any]]) -> bytes:
    return xlsx.workbook_bytes([xlsx.Sheet("汇总清单", rows, title=title, headers=HEADERS,
                                           footer=[f"合计 {len(rows)} 件"], widths=WIDTHS)])


def _pdf(title: str, rows: list[list[Any]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = pdf_font()
    small = ParagraphStyle("small", fontName=font, fontSize=7, leading=9)
    head = ParagraphStyle("head", fontName=font, fontSize=14, leading=18)
    columns = (0, 1, 2, 3, 4, 6, 7, 9, 10, 12)
    # Paragraph reads mini-markup: every value is escaped, so "<" or "&" in an address is text.
    data = [[Paragraph(escape(HEADERS[i]), small) for i in columns]]
    data += [[Paragraph("" if row[i] is None else escape(str(row[i])), small) for i in columns] for row in rows]
    # Widths (pt, 794 available on landscape A4) keep an archive number and a certificate number on one line.
    table = Table(data, repeatRows=1, colWidths=[76, 60, 30, 130, 135, 40, 55, 70, 110, 55])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=title, leftMargin=24, rightMargin=24,
                            topMargin=24, bottomMargin=24)
    doc.build([Paragraph(escape(title), head), table, Paragraph(f"合计 {len(rows)} 件", small)])
    return out.getvalue()


def _title(flt: SummaryFilter) -> str:
    return (f"房交信息汇总清单 {flt.day.isoformat()}" + (f" 窗口{flt.window}" if flt.window else "")
            + (f" {flt.agency}" if flt.agency else ""))


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise DomainError(_("仅支持 xlsx 或 pdf。"), code="format_invalid", status=422,
                          fields={"format": [_("仅支持 xlsx 或 pdf。")]})


def _render(fmt: str, title: str, rows: list[list[Any]]) -> bytes:
    _check_format(fmt)
    return _xlsx(title, rows) if fmt == "xlsx" else _pdf(title, rows)


def summary_download(*, by: Actor, flt: SummaryFilter, fmt: str = "xlsx") -> SummaryFile:
    """The summary list (汇总清单) of ``flt`` in ``by``'s scope, made in memory for a download.

    Tax staff of a bureau (their bureau's records) or a system admin (all). Writes no file and no
    business record; the download itself is audited (who, which filter, how many rows, SHA-256),
    as every export of personal data is (个人信息保护法 art. 51; 等保2.0 安全审计).
    """
    _check_format(fmt)
    rows = summary_rows(by, day=flt.day, window=flt.window, agency=flt.agency)
    content = _render(fmt, _title(flt), rows)
    bureaus = perms.bureaus_of(by)
    scope = bureaus[0].short_code if len(bureaus) == 1 else "ALL"
    name = (f"{scope}-{flt.day:%Y%m%d}-HZ" + (f"-W{flt.window}" if flt.window else "")
            + (f"-{flt.agency}" if flt.agency else ""))
    audit_record(actor=by, action="taxqr.summary.download", target=("taxqr.summary", "", name),
                 after={"format": fmt, "day": flt.day.isoformat(), "window": flt.window, "agency": flt.agency,
                        "rows": len(rows), "sha256": hashlib.sha256(content).hexdigest()})
    return SummaryFile(content, f"{name}.{fmt}", FORMATS[fmt])


# ---- the archive (资料归档) -------------------------------------------------------------------

class ArchivePathInvalid(DomainError):
    """An archive path part that is not one of the safe forms, or a path outside the root."""

    status = 422
    code = "archive_path_invalid"


def archive_root() -> Path:
    """Where archived files live (``TAXQR_ARCHIVE_ROOT``, default ``MEDIA_ROOT/taxqr-archive``)."""
    configured = getattr(settings, "TAXQR_ARCHIVE_ROOT", None)
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "taxqr-archive"


def archive_path(*, bureau_code: str, day: datetime.date, sequence: int, suffix: str, tag: str = "HZ") -> Path:
    """The absolute path of an archived file: ``<root>/<bureau>/<year>/<bureau>-<yyyymmdd>-<tag>-<nnnn>.<suffix>``.

    The only function that names archive files. Its parts are never request input: the bureau's
    short code from the database (``[A-Z]{2,4}``), a date, a sequence number (1..9999), a known
    tag and suffix; any other value is refused (``archive_path_invalid``). The path is then
    resolved (symbolic links followed) and must lie under the resolved archive root.
    """
    valid = (isinstance(bureau_code, str) and BUREAU_CODE.fullmatch(bureau_code) is not None
             and type(day) is datetime.date and type(sequence) is int and 1 <= sequence <= MAX_SEQUENCE
             and isinstance(suffix, str) and suffix in FORMATS and isinstance(tag, str) and tag in ARCHIVE_TAGS)
    if not valid:
        raise ArchivePathInvalid(_("归档文件路径无效。"))
    root = archive_root().resolve()
    path = (root / bureau_code / f"{day:%Y}" / f"{bureau_code}-{day:%Y%m%d}-{tag}-{sequence:04d}.{suffix}").resolve()
    if not path.is_relative_to(root) or path == root:
        raise ArchivePathInvalid(_("归档文件路径无效。"))
    return path


def _write_new(path: Path, content: bytes) -> None:
    """Create ``path`` (never overwrite, never through a symbolic link) with ``content``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = archive_root().resolve()
    if not path.parent.resolve().is_relative_to(root):
        raise ArchivePathInvalid(_("归档文件路径无效。"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


def _retention(day: datetime.date) -> datetime.date:
    if (day.month, day.day) == (2, 29):
        return datetime.date(day.year + RETENTION_YEARS, 3, 1)
    return day.replace(year=day.year + RETENTION_YEARS)


def _archive(*, by: Actor, bureau: TaxBureau, kind: str, tag: str, day: datetime.date, suffix: str,
             content: bytes, rows: int, reference: str | None = None,
             filters: dict[str, str] | None = None) -> ArchiveFile:
    """Number, write and index one archived file in one transaction (the file goes if the row fails)."""
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        for _attempt in range(20):
            sequence = next_number(f"taxqr:archive:{bureau.short_code}:{day:%Y%m%d}:{tag}")
            if sequence > MAX_SEQUENCE:
                break
            path = archive_path(bureau_code=bureau.short_code, day=day, sequence=sequence, suffix=suffix, tag=tag)
            try:
                _write_new(path, content)
                break
            except FileExistsError:
                # A file left by a transaction that rolled back after writing (or a restored
                # database): never overwrite an archived file, take the next number.
                continue
        else:
            sequence = MAX_SEQUENCE + 1
        if sequence > MAX_SEQUENCE:
            raise DomainError(_("当日归档文件已达上限，请联系系统管理员。"), code="archive_full", status=409)
        number = path.name.rsplit(".", 1)[0]
        try:
            archive = ArchiveFile.objects.create(
                bureau=bureau, kind=kind, reference=reference or number, day=day, filters=filters or {}, rows=rows,
                path=path.relative_to(archive_root().resolve()).as_posix(), sha256=digest, size=len(content),
                retention_until=_retention(day), created_by=account_perms.as_user(by))
            audit_record(actor=by, action="taxqr.archive.file", target=archive,
                         after={"kind": kind, "rows": rows, "sha256": digest, "file": number})
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return archive


def _bureau_for(by: Actor, bureau_code: str = "") -> TaxBureau:
    """The bureau whose archive ``by`` writes: one of their bureaus (clerk, reviewer) or any (admin)."""
    perms.require_user(by)
    own = perms.bureaus_of(by)
    if not own and not perms.is_admin(by):
        raise PermissionDenied(_("只有税务机关工作人员可以归档汇总清单。"), code="not_tax_staff")
    if not bureau_code:
        if len(own) != 1:
            raise DomainError(_("请选择税务机关。"), code="bureau_required", status=422,
                              fields={"bureau": [_("必填")]})
        return own[0]
    found = next((b for b in own if b.short_code == bureau_code), None)
    if found is None and perms.is_admin(by):
        found = TaxBureau.objects.select_related("department").filter(short_code=bureau_code).first()
    if found is None:
        raise NotFound(_("找不到该税务机关。"), code="bureau_not_found")
    return found


def summary_archive(*, by: Actor, day: datetime.date, fmt: str = "pdf", bureau_code: str = "") -> ArchiveFile:
    """Archive the summary list (汇总清单) of ``day`` of one bureau (资料归档), every record of that day.

    Actor: the bureau's window clerk or reviewer (or a system admin naming the bureau), after
    re-authentication (the view checks it), or the scheduled job (a system actor). The file is
    written under the archive root with a gap-free sequence number of the bureau and day, and
    indexed with its SHA-256 and a retention date 10 years on (税收征收管理法实施细则 art. 29).
    """
    _check_format(fmt)
    return _archive_bureau_day(by=by, bureau=_bureau_for(by, bureau_code), day=day, fmt=fmt)


def _archive_bureau_day(*, by: Actor, bureau: TaxBureau, day: datetime.date, fmt: str) -> ArchiveFile:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    records = list(TaxRecord.objects.filter(bureau=bureau, saved_at__gte=start,
                                            saved_at__lt=start + datetime.timedelta(days=1)).order_by("archive_no"))
    rows = _rows(records)
    content = _render(fmt, f"房交信息汇总清单 {day.isoformat()} {bureau.department.name}", rows)
    kind = ArchiveKind.SUMMARY_XLSX if fmt == "xlsx" else ArchiveKind.SUMMARY_PDF
    return _archive(by=by, bureau=bureau, kind=kind, tag="HZ", day=day, suffix=fmt, content=content, rows=len(rows))


def summary_archive_daily(*, day: datetime.date | None = None) -> list[ArchiveFile]:
    """The scheduled job: archive yesterday's summary list (PDF and xlsx) of every bureau, once.

    Bureaus without a record that day get no file.
    A bureau and day already archived by this job are skipped, so the job may run every hour;
    the bureau row is locked while it checks, so two schedulers never archive a day twice.
    """
    day = day or timezone.localdate() - datetime.timedelta(days=1)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    busy = (TaxRecord.objects.filter(saved_at__gte=start, saved_at__lt=start + datetime.timedelta(days=1))
            .values_list("bureau_id", flat=True).distinct())
    made: list[ArchiveFile] = []
    for bureau_id in sorted(set(busy)):
        with transaction.atomic():
            bureau = TaxBureau.objects.select_for_update().select_related("department").get(pk=bureau_id)
            done = set(ArchiveFile.objects.filter(bureau=bureau, day=day, created_by=None,
                                                  kind__in=[ArchiveKind.SUMMARY_PDF, ArchiveKind.SUMMARY_XLSX])
                       .values_list("kind", flat=True))
            for fmt, kind in (("pdf", ArchiveKind.SUMMARY_PDF), ("xlsx", ArchiveKind.SUMMARY_XLSX)):
                if kind not in done:
                    made.append(_archive_bureau_day(by=system_actor("taxqr.archive_daily"), bureau=bureau, day=day,
                                                    fmt=fmt))
    return made


def _record_sheet(record: TaxRecord) -> bytes:
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
    return _sheet_pdf(f"房交信息表 {record.archive_no}", lines)


def record_sheet_download(*, by: Actor, record_id: int) -> SummaryFile:
    """The record sheet (房交信息表) of one captured record as PDF, made in memory (audited download).

    Names and ID numbers are masked: the sheet goes into the paper file, the full record stays
    encrypted in the database (个人信息保护法 art. 51).
    """
    record = selectors.record_get_for(by, record_id)
    content = _record_sheet(record)
    audit_record(actor=by, action="taxqr.record.sheet_download", target=record,
                 after={"sha256": hashlib.sha256(content).hexdigest()})
    return SummaryFile(content, f"{record.archive_no}.pdf", FORMATS["pdf"])


def record_sheet_archive(*, by: Actor, record_id: int) -> SummaryFile:
    """Archive the record sheet (房交信息表) of one record (资料归档), re-authenticated (the view
    checks it). Actor (workflow.RECORD ``archive``): the bureau's clerk or reviewer, or a system
    admin; another bureau's staff get 404. The record is locked, the file indexed and audited and
    the record's ``archive`` event appended in one transaction."""
    with transaction.atomic():
        record = services.record_lock(by=by, record_id=record_id, action=RecordAction.ARCHIVE)
        services.record_guard(record, RecordAction.ARCHIVE, by)
        content = _record_sheet(record)
        archive = _archive(by=by, bureau=record.bureau, kind=ArchiveKind.RECORD_PDF, tag="FJ",
                           day=timezone.localtime(record.saved_at).date(), suffix="pdf", content=content, rows=1,
                           reference=record.archive_no)
        services.record_event(record, RecordAction.ARCHIVE, by, data={"archive": archive.pk, "file": archive.path},
                              at=archive.created_at)
    return SummaryFile(content, f"{record.archive_no}.pdf", FORMATS["pdf"], archive)


def _sheet_pdf(title: str, lines: list[tuple[str, str]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    font = pdf_font()
    body = ParagraphStyle("body", fontName=font, fontSize=10, leading=14)
    head = ParagraphStyle("head", fontName=font, fontSize=15, leading=20)
    table = Table([[Paragraph(escape(k), body), Paragraph(escape(v), body)] for k, v in lines], colWidths=[130, 380])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title).build([Paragraph(escape(title), head), table])
    return out.getvalue()
