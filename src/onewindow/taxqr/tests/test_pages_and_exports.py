"""Pages of taxqr (client form, window, records, summary, analysis) and the summary exports."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from onewindow.core.models import AuditEntry
from onewindow.taxqr import exports, services
from onewindow.taxqr.models import ArchiveFile, ArchiveKind, ClientDraft, DraftStatus, TaxRecord

from .conftest import NOW, TaxWorld, codes_for, sample

pytestmark = pytest.mark.django_db


def _login(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _flat(data: dict, prefix: str = "") -> dict[str, str]:  # type: ignore[type-arg]
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= _flat(value, f"{name}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                out |= _flat(item, f"{name}.{i}.")
        elif isinstance(value, bool):
            if value:
                out[name] = "on"
        elif value is not None:
            out[name] = str(value)
    return out


def test_client_form_adds_a_seller_saves_and_generates_the_code(world: TaxWorld) -> None:
    client = _login(world.principals.agent)
    assert client.get("/tax/client/new/").status_code == 200
    fields = _flat(sample(90))
    added = client.post("/tax/client/new/", {**fields, "op": "add:sellers"})
    assert added.status_code == 200
    assert b'name="sellers.1.name"' in added.content
    assert ClientDraft.objects.count() == 0
    response = client.post("/tax/client/new/", {**fields, "op": "code"})
    draft = ClientDraft.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tax/client/{draft.pk}/code/"
    assert draft.status == DraftStatus.CODED
    assert draft.data["buyers"][0]["family"]["children"][0]["name"] == "李小明"
    page = client.get(f"/tax/client/{draft.pk}/code/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("<svg") == 1 and "第 1 张，共 1 张" in html and "仅供参考" in html
    png = client.get(f"/tax/client/{draft.pk}/code/1.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert _login(world.principals.citizen).get(f"/tax/client/{draft.pk}/code/").status_code == 404


def test_client_form_shows_field_errors_and_keeps_the_draft_uncoded(world: TaxWorld) -> None:
    client = _login(world.principals.citizen)
    fields = _flat(sample(91)) | {"property.area": "1", "op": "code"}
    response = client.post("/tax/client/new/", fields)
    assert response.status_code == 422
    assert "建筑面积应在 5 至 3000 平方米之间" in response.content.decode()
    assert list(ClientDraft.objects.values_list("status", flat=True)) == [DraftStatus.DRAFT]


def test_window_page_previews_then_captures_and_shows_the_archive_number(world: TaxWorld) -> None:
    client = _login(world.tax_clerk)
    assert client.get("/tax/window/").status_code == 200
    text = codes_for(92, now=timezone.now())[0]
    first = (timezone.now() - datetime.timedelta(seconds=30)).isoformat()
    preview = client.post("/tax/window/", {"op": "preview", "text": text + "\n", "window": "5", "first_scan_at": first})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'id="confirm"' in html
    assert sample(92)["sellers"][0]["id_number"] not in html
    assert TaxRecord.objects.count() == 0
    saved = client.post("/tax/window/", {"op": "capture", "text": text, "window": "5", "first_scan_at": first})
    record = TaxRecord.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/tax/window/?saved={record.pk}"
    assert record.window == "5" and 29 <= (record.saved_at - record.first_scan_at).total_seconds() <= 60
    assert record.archive_no in client.get(saved["Location"]).content.decode()
    again = client.post("/tax/window/", {"op": "preview", "text": text})
    assert again.status_code == 409 and 'data-code="qr_already_saved"' in again.content.decode()


@pytest.mark.parametrize("path", ["/tax/window/", "/tax/records/", "/tax/summary/", "/tax/analysis/"])
def test_tax_pages_refuse_non_tax_users_and_send_anonymous_to_login(world: TaxWorld, path: str) -> None:
    assert Client().get(path).status_code == 302
    response = _login(world.principals.agent).get(path)
    assert response.status_code == 403 and 'data-code="not_tax_staff"' in response.content.decode()


def test_record_detail_unmasks_only_on_request_and_audits_it(world: TaxWorld) -> None:
    record = services.record_capture(by=world.tax_clerk, text=codes_for(93)[0], now=NOW)
    client = _login(world.tax_reviewer)
    id_number = sample(93)["sellers"][0]["id_number"]
    masked = client.get(f"/tax/records/{record.pk}/")
    assert masked.status_code == 200 and id_number not in masked.content.decode()
    assert not AuditEntry.objects.filter(action="personal_data.view").exists()
    shown = client.get(f"/tax/records/{record.pk}/?unmask=1")
    assert id_number in shown.content.decode()
    assert AuditEntry.objects.get(action="personal_data.view").target_id == str(record.pk)
    assert _login(world.other_tax_clerk).get(f"/tax/records/{record.pk}/?unmask=1").status_code == 404
    assert AuditEntry.objects.filter(action="personal_data.view").count() == 1


def _day_records(world: TaxWorld) -> list[TaxRecord]:
    made = []
    for seed, window, minutes in ((94, "1", 0), (95, "2", 5), (96, "1", 9)):
        made.append(services.record_capture(by=world.tax_clerk, text=codes_for(seed)[0], window=window,
                                            now=NOW + datetime.timedelta(minutes=minutes)))
    services.record_capture(by=world.tax_clerk, text=codes_for(97)[0], window="1",
                            now=NOW + datetime.timedelta(days=1))
    return made


def test_summary_xlsx_holds_exactly_the_days_rows_and_writes_nothing(world: TaxWorld) -> None:
    made = _day_records(world)
    out = exports.summary_download(by=world.tax_clerk, flt=exports.summary_filter(day=NOW.date(), window="1"),
                                   fmt="xlsx")
    sheet = load_workbook(io.BytesIO(out.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "房交信息汇总清单 2017-07-25 窗口1"
    assert rows[1] == exports.HEADERS
    assert [r[0] for r in rows[2:-1]] == [made[0].archive_no, made[2].archive_no] == ["JA-2017-000001",
                                                                                    "JA-2017-000003"]
    assert rows[2][3] == "沪(2010)静字不动产权第000094号" and rows[2][9] == "张* → 李*"
    assert rows[-1][0] == "合计 2 件"
    assert all(sample(94)["sellers"][0]["id_number"] not in str(v) for r in rows for v in r)
    assert out.filename == "JA-20170725-HZ-W1.xlsx" and out.archive is None
    assert not ArchiveFile.objects.exists()
    download = AuditEntry.objects.get(action="taxqr.summary.download")
    assert download.after == {"format": "xlsx", "day": "2017-07-25", "window": "1", "agency": "", "rows": 2,
                              "sha256": hashlib.sha256(out.content).hexdigest()}


def test_summary_pdf_is_a_pdf_and_the_page_downloads_and_archives_by_post(world: TaxWorld, settings: object,
                                                                           tmp_path: object) -> None:
    settings.TAXQR_ARCHIVE_ROOT = tmp_path / "archive"  # type: ignore[attr-defined, operator]
    made = _day_records(world)
    out = exports.summary_download(by=world.tax_clerk, flt=exports.summary_filter(day=NOW.date()), fmt="pdf")
    assert out.content.startswith(b"%PDF-") and out.content.rstrip().endswith(b"%%EOF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(out.content)).pages)
    # The day's rows (not the next day's), each archive and certificate number on one line.
    assert re.findall(r"JA-2017-\d{6}", text) == [r.archive_no for r in made]
    assert [line for line in text.splitlines() if line.startswith("沪(")] == [r.certificate_no for r in made]
    assert "合计 3 件" in text
    assert all(sample(seed)["sellers"][0]["id_number"] not in text for seed in (94, 95, 96))
    client = _login(world.tax_clerk)
    response = client.get("/tax/summary/", {"date": "2017-07-25", "format": "xlsx"})
    assert response.status_code == 200
    assert len(list(load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 2 + 3 + 1
    assert not ArchiveFile.objects.exists()
    archived = client.post("/tax/summary/", {"date": "2017-07-25", "format": "pdf"})
    assert archived.status_code == 200 and "JA-20170725-HZ-0001" in archived.content.decode()
    archive = ArchiveFile.objects.get()
    assert (archive.kind, archive.rows, archive.reference, archive.retention_until, archive.path) == (
        ArchiveKind.SUMMARY_PDF, 3, "JA-20170725-HZ-0001", datetime.date(2027, 7, 25),
        "JA/2017/JA-20170725-HZ-0001.pdf")
    stored = (tmp_path / "archive" / archive.path).read_bytes()  # type: ignore[operator]
    assert hashlib.sha256(stored).hexdigest() == archive.sha256 and len(stored) == archive.size


def test_the_daily_job_archives_yesterdays_lists_of_every_bureau_once(world: TaxWorld, settings: object,
                                                                      tmp_path: object) -> None:
    from onewindow.taxqr import tasks

    settings.TAXQR_ARCHIVE_ROOT = tmp_path / "archive"  # type: ignore[attr-defined, operator]
    _day_records(world)
    written = exports.summary_archive_daily(day=NOW.date())
    assert [(a.bureau.short_code, a.kind, a.rows, a.reference, a.created_by) for a in written] == [
        ("JA", ArchiveKind.SUMMARY_PDF, 3, "JA-20170725-HZ-0001", None),
        ("JA", ArchiveKind.SUMMARY_XLSX, 3, "JA-20170725-HZ-0002", None)]
    assert exports.summary_archive_daily(day=NOW.date()) == []
    assert ArchiveFile.objects.count() == 2
    assert AuditEntry.objects.filter(action="taxqr.archive.file", actor_kind="system",
                                     actor_label="taxqr.archive_daily").count() == 2
    # The task archives yesterday (nothing captured then: no file).
    assert tasks.summary_archive_daily.call() == 0
    assert sorted(p.name for p in (tmp_path / "archive").rglob("*.*")) == [  # type: ignore[operator]
        "JA-20170725-HZ-0001.pdf", "JA-20170725-HZ-0002.xlsx"]


def test_analysis_page_shows_measured_window_time_beside_the_seed_figures(world: TaxWorld) -> None:
    services.record_capture(by=world.tax_clerk, text=codes_for(98)[0], now=NOW,
                            first_scan_at=NOW - datetime.timedelta(seconds=50))
    html = _login(world.tax_clerk).get("/tax/analysis/").content.decode()
    assert "50 秒" in html and "15 分钟" in html and "8 分钟" in html
    assert "vendor/echarts-5.6.0.min.js" in html


def test_analysis_counts_by_street_month_band_and_agency_with_the_median_entry_time(world: TaxWorld) -> None:
    from onewindow.taxqr import selectors

    # price/area: 5,200,000 / 89.50 = 58,100 /m² (band 5–6万); 9,000,000 / 89.50 = 100,558 (band 10–11万)
    for seed, price, seconds, day in ((101, "5200000", 40, 0), (102, "5200000", 60, 40), (103, "9000000", 90, 41)):
        services.record_capture(by=world.tax_clerk, text=codes_for(seed, price=price)[0],
                                now=NOW + datetime.timedelta(days=day),
                                first_scan_at=NOW + datetime.timedelta(days=day, seconds=-seconds))
    result = selectors.analysis_for(world.tax_reviewer)
    assert result.total == 3
    assert result.by_month == [("2017-07", 1), ("2017-09", 2)]
    assert result.by_street == [("310106021", 3)]
    assert result.price_bands == [("5–6万", 2), ("10–11万", 1)]
    assert result.agencies == [("上海链家房地产经纪有限公司", 3)]
    assert result.entry_seconds_median == 60
    assert selectors.analysis_for(world.other_tax_clerk).total == 0


def test_window_page_reads_an_uploaded_photo_then_captures_it(world: TaxWorld) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from onewindow.taxqr import images

    text = codes_for(104, now=timezone.now())[0]
    tile = Image.open(io.BytesIO(images.render_png(text, scale=4))).convert("L").rotate(4, expand=True, fillcolor=255)
    photo = io.BytesIO()
    tile.resize((int(tile.width * 1.5), int(tile.height * 1.5))).save(photo, format="JPEG", quality=80)
    client = _login(world.tax_clerk)
    preview = client.post("/tax/window/", {"op": "preview", "text": "", "window": "4",
                                           "image": SimpleUploadedFile("code.jpg", photo.getvalue(), "image/jpeg")})
    assert preview.status_code == 200 and 'id="confirm"' in preview.content.decode()
    assert TaxRecord.objects.count() == 0
    hidden = preview.context["preview"].text
    assert hidden == text
    saved = client.post("/tax/window/", {"op": "capture", "text": hidden, "window": "4"})
    assert saved.status_code == 302
    assert TaxRecord.objects.get().certificate_no == "沪(2010)静字不动产权第000104号"


def test_record_sheet_pdf_is_masked_and_archived_only_by_post(world: TaxWorld, settings: object,
                                                               tmp_path: object) -> None:
    settings.TAXQR_ARCHIVE_ROOT = tmp_path / "archive"  # type: ignore[attr-defined, operator]
    record = services.record_capture(by=world.tax_clerk, text=codes_for(105)[0], now=NOW)
    client = _login(world.tax_reviewer)
    response = client.get(f"/tax/records/{record.pk}/sheet.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert not ArchiveFile.objects.exists()
    assert AuditEntry.objects.filter(action="taxqr.record.sheet_download").count() == 1
    archived = client.post(f"/tax/records/{record.pk}/sheet.pdf")
    assert archived.status_code == 200 and archived.content.startswith(b"%PDF-")
    archive = ArchiveFile.objects.get()
    assert (archive.kind, archive.reference, archive.rows, archive.sha256, archive.path) == (
        ArchiveKind.RECORD_PDF, "JA-2017-000001", 1, hashlib.sha256(archived.content).hexdigest(),
        "JA/2017/JA-20170725-FJ-0001.pdf")
    assert _login(world.other_tax_clerk).get(f"/tax/records/{record.pk}/sheet.pdf").status_code == 404
    assert _login(world.other_tax_clerk).post(f"/tax/records/{record.pk}/sheet.pdf").status_code == 404
    assert ArchiveFile.objects.count() == 1


def test_navigation_shows_each_user_only_the_parts_they_may_open(world: TaxWorld) -> None:
    links = {"/tax/client/", "/tax/window/", "/tax/records/", "/tax/summary/", "/tax/analysis/"}

    def shown(user: object) -> set[str]:
        page = _login(user).get("/tax/client/").content.decode()
        nav = page[page.index('class="taxqr-nav"'):page.index("</nav>", page.index('class="taxqr-nav"'))]
        return {link for link in links if f'href="{link}"' in nav}

    assert shown(world.principals.agent) == {"/tax/client/"}
    assert shown(world.tax_clerk) == links
    assert shown(world.principals.admin) == links - {"/tax/window/"}


def test_the_archive_job_is_registered_hourly() -> None:
    from onewindow.core import scheduling

    scheduling.discover()
    assert scheduling.registered()["taxqr.summary_archive"].every == datetime.timedelta(hours=1)
