"""The summary exports write nothing on a GET, never outside the archive root, and no formula
(issue #9 points 2 and 6).

Every test here runs with MEDIA_ROOT deep inside its own tmp_path, so that a path traversal
before the fix lands inside tmp_path (and is seen), and scans that tree, the original MEDIA_ROOT
and the top of the temp directory for new files before and after.
"""

from __future__ import annotations

import datetime
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from onewindow.accounts import reauth
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.taxqr import exports, services
from onewindow.taxqr.models import ArchiveFile, ArchiveKind, ClientDraft, TaxRecord

from .conftest import TaxWorld, sample

pytestmark = pytest.mark.django_db

API = "/api/v1/taxqr"
ORIGINAL_MEDIA_ROOT = Path(django_settings.MEDIA_ROOT)


def _files(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")} if root.exists() else set()


def _temp_exports() -> set[str]:
    top = Path(tempfile.gettempdir())
    return {str(p) for p in top.iterdir() if p.suffix in (".pdf", ".xlsx") or "HZ" in p.name}


class Sandbox:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.media = tmp_path / "a" / "b" / "c" / "media"
        self.media.mkdir(parents=True)

    def snapshot(self) -> tuple[set[str], set[str], set[str]]:
        return _files(self.tmp_path), _files(ORIGINAL_MEDIA_ROOT), _temp_exports()


@pytest.fixture
def sandbox(settings: Any, tmp_path: Path) -> Sandbox:
    box = Sandbox(tmp_path)
    settings.MEDIA_ROOT = box.media
    settings.TAXQR_ARCHIVE_ROOT = box.media / "taxqr-archive"
    return box


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _state() -> tuple[int, int, int]:
    return TaxRecord.objects.count(), ArchiveFile.objects.count(), ClientDraft.objects.count()


def _capture(world: TaxWorld, seed: int, *, address: str | None = None, agency_name: str | None = None,
             window: str = "1") -> TaxRecord:
    data = sample(seed)
    if address is not None:
        data["property"]["address"] = address
    if agency_name is not None:
        data["contract"]["agency_name"] = agency_name
    owner = world.principals.citizen
    draft = services.draft_save(by=owner, data=data)
    texts = services.draft_generate_code(by=owner, draft_id=draft.pk, now=timezone.now()).draft.codes
    return services.record_capture(by=world.tax_clerk, text=texts[0], window=window)


# ---- point 2: traversal -------------------------------------------------------------------

def test_reproduction_get_with_traversal_window_and_agency_writes_nothing(world: TaxWorld, sandbox: Sandbox) -> None:
    _capture(world, 301)
    before, state, audits = sandbox.snapshot(), _state(), AuditEntry.objects.count()
    response = _login(world.tax_clerk).get(f"{API}/summary.pdf", {
        "date": timezone.localdate().isoformat(), "window": "/../../../../../", "agency": "/../../../../outx"})
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body["code"] == "summary_filter_invalid" and set(body["fields"]) == {"window", "agency"}
    assert sandbox.snapshot() == before
    assert not list(sandbox.tmp_path.glob("outx*")) and not list(sandbox.tmp_path.rglob("*.pdf"))
    assert _state() == state and AuditEntry.objects.count() == audits


TRAVERSAL = {
    "dot-dot slash": "../",
    "deep traversal": "/../../../../../",
    "url-encoded": "%2e%2e%2f%2e%2e%2f",
    "double-encoded": "%252e%252e%252f",
    "NUL byte": "1%00",
    "NUL then traversal": "%00../../",
    "absolute path": "/etc/passwd",
    "windows absolute": "C:%5CWindows%5C",
    "backslashes": "..%5C..%5C",
    "fullwidth dots and solidus": "%EF%BC%8E%EF%BC%8E%EF%BC%8F",  # ．．／
    "one dot leader": "%E2%80%A4%E2%80%A4/",  # U+2024
    "fullwidth solidus": "1%EF%BC%8F..",  # U+FF0F
}
ENDPOINTS = {"api xlsx": f"{API}/summary.xlsx?", "api pdf": f"{API}/summary.pdf?",
             "page xlsx": "/tax/summary/?format=xlsx&", "page pdf": "/tax/summary/?format=pdf&"}


@pytest.mark.parametrize("field", ["window", "agency"])
@pytest.mark.parametrize("name", list(TRAVERSAL))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_traversal_input_is_a_422_and_writes_nothing(world: TaxWorld, sandbox: Sandbox, endpoint: str, name: str,
                                                     field: str) -> None:
    _capture(world, 302)
    before, state, audits = sandbox.snapshot(), _state(), AuditEntry.objects.count()
    # The query string is sent as written here (already encoded), so the encodings reach Django.
    url = f"{ENDPOINTS[endpoint]}date={timezone.localdate().isoformat()}&{field}={TRAVERSAL[name]}"
    response = _login(world.tax_clerk).get(url)
    assert response.status_code == 422, response.content[:300]
    if endpoint.startswith("api"):
        body = response.json()
        assert body["code"] == "summary_filter_invalid" and list(body["fields"]) == [field]
    else:
        assert 'data-code="summary_filter_invalid"' in response.content.decode()
    assert sandbox.snapshot() == before
    assert _state() == state and AuditEntry.objects.count() == audits


@pytest.mark.parametrize("date", ["2017-13-01", "2017-02-30", "../../", "2017-07-25%00", "x" * 30])
def test_bad_date_is_a_422(world: TaxWorld, sandbox: Sandbox, date: str) -> None:
    before = sandbox.snapshot()
    client = _login(world.tax_clerk)
    api = client.get(f"{API}/summary.xlsx?date={date}")
    page = client.get(f"/tax/summary/?format=xlsx&date={date}")
    assert (api.status_code, api.json()["code"], list(api.json()["fields"])) == (422, "invalid", ["date"])
    assert page.status_code == 422
    assert sandbox.snapshot() == before and ArchiveFile.objects.count() == 0


# ---- point 2: a GET writes nothing --------------------------------------------------------

@pytest.mark.parametrize(("url", "fmt"), [(f"{API}/summary.xlsx", ""), (f"{API}/summary.pdf", ""),
                                          ("/tax/summary/", "xlsx"), ("/tax/summary/", "pdf")])
def test_summary_get_streams_from_memory_and_writes_nothing(world: TaxWorld, sandbox: Sandbox, url: str,
                                                            fmt: str) -> None:
    record = _capture(world, 303, window="7")
    before, state = sandbox.snapshot(), _state()
    audits = set(AuditEntry.objects.values_list("pk", flat=True))
    credit = record.agency_credit_code
    params = {"date": timezone.localdate().isoformat(), "window": "7", "agency": credit}
    response = _login(world.tax_clerk).get(url, {**params, **({"format": fmt} if fmt else {})})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"].startswith("attachment;")
    assert sandbox.snapshot() == before and _state() == state
    new = AuditEntry.objects.exclude(pk__in=audits)
    assert [(e.action, e.after["rows"]) for e in new] == [("taxqr.summary.download", 1)]


# ---- point 2: archiving is a POST (or the scheduled job), under the archive root only -----

def test_archive_path_is_built_from_safe_parts_and_stays_under_the_root(sandbox: Sandbox, settings: Any) -> None:
    root = Path(settings.TAXQR_ARCHIVE_ROOT).resolve()
    day = datetime.date(2017, 7, 25)
    assert exports.archive_path(bureau_code="JA", day=day, sequence=3, suffix="pdf") == (
        root / "JA" / "2017" / "JA-20170725-HZ-0003.pdf")
    assert exports.archive_path(bureau_code="XHQ", day=day, sequence=12, suffix="xlsx", tag="FJ") == (
        root / "XHQ" / "2017" / "XHQ-20170725-FJ-0012.xlsx")
    bad: list[dict[str, Any]] = [
        {"bureau_code": "../JA"}, {"bureau_code": "JA/.."}, {"bureau_code": ""}, {"bureau_code": "ja"},
        {"bureau_code": "J\x00A"}, {"bureau_code": "/etc"}, {"bureau_code": "ＪＡ"}, {"bureau_code": ".."},
        {"suffix": "../pdf"}, {"suffix": "pdf/../../x"}, {"suffix": "exe"}, {"sequence": 0}, {"sequence": -1},
        {"sequence": "1/../.."}, {"tag": "../"}, {"day": "2017/../../"},
    ]
    for override in bad:
        kwargs = {"bureau_code": "JA", "day": day, "sequence": 1, "suffix": "pdf", **override}
        with pytest.raises(DomainError) as refused:
            exports.archive_path(**kwargs)
        assert refused.value.code == "archive_path_invalid", override
    # A directory of the root that is a link to elsewhere is caught by resolving the path.
    outside = sandbox.tmp_path / "elsewhere"
    outside.mkdir()
    root.mkdir(parents=True, exist_ok=True)
    (root / "XH").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DomainError) as escaped:
        exports.archive_path(bureau_code="XH", day=day, sequence=1, suffix="pdf")
    assert escaped.value.code == "archive_path_invalid"


def test_archive_post_writes_the_days_summary_under_the_root(world: TaxWorld, sandbox: Sandbox,
                                                             settings: Any) -> None:
    _capture(world, 304, window="2")
    _capture(world, 305, window="3")
    client = _login(world.tax_clerk)
    day = timezone.localdate()
    before = _files(sandbox.tmp_path)
    made = [client.post(f"{API}/summary/archive", {"date": day.isoformat(), "format": fmt},
                        content_type="application/json") for fmt in ("pdf", "xlsx", "pdf")]
    assert [r.status_code for r in made] == [201, 201, 201], made[0].content[:300]
    root = Path(settings.TAXQR_ARCHIVE_ROOT).resolve()
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    stamp = f"{day:%Y%m%d}"
    assert files == [f"JA/{day:%Y}/JA-{stamp}-HZ-0001.pdf", f"JA/{day:%Y}/JA-{stamp}-HZ-0002.xlsx",
                     f"JA/{day:%Y}/JA-{stamp}-HZ-0003.pdf"]
    archives = list(ArchiveFile.objects.order_by("pk"))
    assert [(a.kind, a.rows, a.reference, a.bureau_id, a.path) for a in archives] == [
        (ArchiveKind.SUMMARY_PDF, 2, f"JA-{stamp}-HZ-0001", world.bureau.pk, files[0]),
        (ArchiveKind.SUMMARY_XLSX, 2, f"JA-{stamp}-HZ-0002", world.bureau.pk, files[1]),
        (ArchiveKind.SUMMARY_PDF, 2, f"JA-{stamp}-HZ-0003", world.bureau.pk, files[2])]
    assert made[0].json()["reference"] == f"JA-{stamp}-HZ-0001"
    assert AuditEntry.objects.filter(action="taxqr.archive.file").count() == 3
    # Outside the archive root nothing was written.
    assert {p for p in _files(sandbox.tmp_path) - before if not p.startswith(str(root))} == set()


# ---- point 6: formula injection -----------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://x","click")', "+1", "-1+2", "@SUM(A1)"]


def test_hostile_address_and_agency_name_are_text_cells_in_the_real_export(world: TaxWorld,
                                                                          sandbox: Sandbox) -> None:
    for seed, value in enumerate(HOSTILE, start=310):
        _capture(world, seed, address=value, agency_name=value)
    response = _login(world.tax_clerk).get(f"{API}/summary.xlsx", {"date": timezone.localdate().isoformat()})
    assert response.status_code == 200
    # The sheet XML holds no formula element at all.
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [row for row in sheet.iter_rows(min_row=3) if str(row[0].value or "").startswith("JA-")]
    headers = [c.value for c in sheet[2]]
    address, agency = headers.index("房屋坐落"), headers.index("经纪机构")
    area, price = headers.index("建筑面积(㎡)"), headers.index("合同价格(元)")
    assert [(r[address].value, r[agency].value) for r in rows] == [(v, v) for v in HOSTILE]
    for row in rows:
        for cell in (row[address], row[agency]):
            assert (cell.data_type, cell.quotePrefix) == ("s", True)
        assert (row[area].data_type, row[area].value) == ("n", 89.5)
        assert (row[price].data_type, row[price].value) == ("n", 5200000)


# ---- re-authentication before exports -----------------------------------------------------

def test_export_and_archive_need_a_fresh_reauthentication_for_a_session(world: TaxWorld, sandbox: Sandbox) -> None:
    _capture(world, 320)
    client = _login(world.tax_clerk)
    session = client.session
    session.pop(reauth.SESSION_KEY, None)
    session.save()
    before, state = sandbox.snapshot(), _state()
    day = timezone.localdate().isoformat()
    audits = AuditEntry.objects.count()
    download = client.get(f"{API}/summary.xlsx", {"date": day})
    archive = client.post(f"{API}/summary/archive", {"date": day, "format": "pdf"}, content_type="application/json")
    page = client.get("/tax/summary/", {"date": day, "format": "pdf"})
    assert (download.status_code, download.json()["code"]) == (403, "reauth_required")
    assert (archive.status_code, archive.json()["code"]) == (403, "reauth_required")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauth/?next=")
    assert sandbox.snapshot() == before and _state() == state and AuditEntry.objects.count() == audits


def test_a_machine_token_needs_no_reauthentication_but_its_scope(world: TaxWorld, sandbox: Sandbox) -> None:
    from onewindow.accounts.testing import make_api_token

    _capture(world, 321)
    day = timezone.localdate().isoformat()
    _, reader = make_api_token(owner=world.tax_clerk, scopes=["taxqr:read"])
    _, writer = make_api_token(owner=world.tax_clerk, scopes=["taxqr:read", "taxqr:write"])
    client = Client()
    download = client.get(f"{API}/summary.xlsx", {"date": day}, headers={"Authorization": f"Bearer {reader}"})
    assert download.status_code == 200 and not ArchiveFile.objects.exists()
    refused = client.post(f"{API}/summary/archive", {"date": day}, content_type="application/json",
                          headers={"Authorization": f"Bearer {reader}"})
    assert (refused.status_code, refused.json()["code"]) == (403, "insufficient_scope")
    assert not ArchiveFile.objects.exists()
    made = client.post(f"{API}/summary/archive", {"date": day}, content_type="application/json",
                       headers={"Authorization": f"Bearer {writer}"})
    assert made.status_code == 201 and ArchiveFile.objects.get().kind == ArchiveKind.SUMMARY_PDF


def test_an_archived_file_is_never_overwritten(world: TaxWorld, sandbox: Sandbox, settings: Any) -> None:
    _capture(world, 322)
    day = timezone.localdate()
    # A file left by a transaction that rolled back after writing it, under the next number.
    left = exports.archive_path(bureau_code="JA", day=day, sequence=1, suffix="pdf")
    left.parent.mkdir(parents=True)
    left.write_bytes(b"left over")
    archive = exports.summary_archive(by=world.tax_clerk, day=day, fmt="pdf")
    assert archive.reference == f"JA-{day:%Y%m%d}-HZ-0002" and left.read_bytes() == b"left over"
    assert (Path(settings.TAXQR_ARCHIVE_ROOT) / archive.path).read_bytes().startswith(b"%PDF-")


def test_pdf_values_are_text_not_markup(world: TaxWorld, sandbox: Sandbox) -> None:
    from pypdf import PdfReader

    _capture(world, 323, address="上海市<b>静安区</b> & <font size=40>临汾路", agency_name="<para>")
    response = _login(world.tax_clerk).get(f"{API}/summary.pdf", {"date": timezone.localdate().isoformat()})
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "<b>静安区</b>" in text.replace("\n", "") and "<para>" in text


@pytest.mark.parametrize("window", ["../", "1/2", "=1+1", "窗口1", "a" * 21, "1\x00"])
def test_capture_refuses_a_window_code_that_is_not_letters_and_digits(world: TaxWorld, window: str) -> None:
    data = sample(330)
    draft = services.draft_save(by=world.principals.citizen, data=data)
    text = services.draft_generate_code(by=world.principals.citizen, draft_id=draft.pk,
                                        now=timezone.now()).draft.codes[0]
    state, audits = _state(), AuditEntry.objects.count()
    response = _login(world.tax_clerk).post(f"{API}/window/capture", {"text": text, "window": window})
    assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
        422, "window_invalid", ["window"])
    assert _state() == state and AuditEntry.objects.count() == audits
    saved = _login(world.tax_clerk).post(f"{API}/window/capture", {"text": text, "window": "Ａ-１２"})
    assert saved.status_code == 201 and TaxRecord.objects.get().window == "A-12"


def test_an_admin_archives_a_named_bureau_and_bad_archive_requests_write_nothing(world: TaxWorld,
                                                                                 sandbox: Sandbox) -> None:
    _capture(world, 331)
    admin = world.principals.client("admin")
    day = timezone.localdate().isoformat()
    before, audits = sandbox.snapshot(), AuditEntry.objects.count()
    for body, status, code in (({"date": day, "bureau": "ZZ"}, 404, "bureau_not_found"),
                               ({"date": day, "bureau": "../"}, 422, "invalid"),
                               ({"date": day, "format": "exe", "bureau": "JA"}, 422, "invalid"),
                               ({"date": "../../", "bureau": "JA"}, 422, "invalid")):
        response = admin.post(f"{API}/summary/archive", body, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert sandbox.snapshot() == before and AuditEntry.objects.count() == audits
    assert not ArchiveFile.objects.exists()
    made = admin.post(f"{API}/summary/archive", {"date": day, "bureau": "JA", "format": "xlsx"},
                      content_type="application/json")
    assert made.status_code == 201
    archive = ArchiveFile.objects.get()
    assert (archive.bureau_id, archive.kind, archive.rows) == (world.bureau.pk, ArchiveKind.SUMMARY_XLSX, 1)
