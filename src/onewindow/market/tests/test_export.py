"""The registry lookup export (导出 Excel): who may export, the exact cells of the file, the job
path with its progress, the download by its requester only, and the refusals with nothing written."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.test import Client

from onewindow.core import exports as core_exports
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, ExportJob, ExportStatus
from onewindow.core.xlsx import sheet_rows
from onewindow.market import exports
from onewindow.market.services import entity_register, risk_grades_import
from onewindow.market.services.registry import RiskGradeRow
from onewindow.market.testing import RegistryWorld, entity_row

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILTER = {"street": "310106012"}


@pytest.fixture
def entities(registry_world: RegistryWorld) -> list[dict[str, Any]]:
    rows = [
        entity_row(name="上海静安宏达贸易有限公司", legal_representative_name="王五"),
        entity_row(name="上海恒通餐饮管理有限公司", street_code="310106021"),
        entity_row(name="上海静安瑞丰贸易有限公司", status="revoked", status_on="2020-05-06"),
        entity_row(name="上海静安百盛商贸有限公司"),
        entity_row(name="上海静安新华书店有限公司"),
    ]
    for row in rows:
        entity_register(by=system_actor("test"), data=row)
    risk_grades_import(
        by=registry_world.user("data_clerk"),
        rows=[RiskGradeRow(1, rows[0]["credit_code"], "B", datetime.date(2024, 11, 1), "静安区市场监管局月度分类")],
    )
    return rows


def _counts() -> tuple[int, int]:
    return AuditEntry.objects.filter(action="market.entity_export").count(), ExportJob.objects.count()


def _rows(content: bytes) -> list[tuple[Any, ...]]:
    return list(sheet_rows(io.BytesIO(content)))


def _download(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


HEADER = (
    "统一社会信用代码",
    "名称",
    "主体类型",
    "法定代表人",
    "行业代码",
    "行业名称",
    "所在区",
    "所在街镇",
    "登记状态",
    "成立日期",
    "风险分类",
    "分类日期",
)


def _expected(rows: list[dict[str, Any]], title: str) -> list[tuple[Any, ...]]:
    pad = (None,) * 11
    body = []
    for row in rows:
        revoked = row["status"] == "revoked"
        graded = row["name"] == "上海静安宏达贸易有限公司"
        body.append(
            (
                row["credit_code"],
                row["name"],
                "有限责任公司",
                row["legal_representative_name"],
                "5211",
                "百货零售",
                "静安区",
                "南京西路街道",
                "吊销" if revoked else "存续",
                datetime.datetime(2016, 8, 15),
                "B" if graded else None,
                datetime.datetime(2024, 11, 1) if graded else None,
            )
        )
    return [(title, *pad), HEADER, *body, (f"合计 {len(rows)} 户", *pad)]


def test_small_export_downloads_at_once_with_the_published_columns(
    registry_world: RegistryWorld, entities: list[dict[str, Any]]
) -> None:
    response = registry_world.client("regulator").post("/market/export/", FILTER)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="market-entities-')
    expected_rows = [entities[0], entities[2], entities[3], entities[4]]
    assert _rows(response.content) == _expected(expected_rows, "市场主体查询结果（street=310106012）")
    for row in entities:  # never the legal representative's ID number or phone
        assert row["legal_rep_id_number"].encode() not in response.content
        assert row["legal_rep_phone"].encode() not in response.content
    entry = AuditEntry.objects.get(action="market.entity_export")
    assert entry.actor_id == str(registry_world.user("regulator").pk)
    assert entry.after is not None
    assert {k: v for k, v in entry.after.items() if k != "sha256"} == {
        "street": "310106012",
        "department_id": registry_world.p.other_department.pk,
        "rows": 4,
        "mode": "inline",
    }
    assert ExportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "status", "department"),
    [
        ("regulator", 200, "other_department"),
        ("data_clerk", 200, "registrar"),
        ("data_clerk_other", 200, "other_department"),
        ("admin", 200, None),
        ("manager", 200, "department"),
    ],
)
def test_who_may_export(
    registry_world: RegistryWorld, entities: list[dict[str, Any]], name: str, status: int, department: str | None
) -> None:
    w = registry_world
    client = w.client(name) if name != "manager" else _login(w.p.users["manager"])
    response = client.post("/market/export/", FILTER)
    assert response.status_code == status and response["Content-Type"] == XLSX
    entry = AuditEntry.objects.get(action="market.entity_export")
    expected = {
        "other_department": w.p.other_department.pk,
        "registrar": w.registrar.pk,
        "department": w.p.department.pk,
        None: None,
    }[department]
    assert entry.after is not None and entry.after["department_id"] == expected


def _login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["citizen", "clerk_other_department"])
def test_export_is_refused_without_a_supervising_role(
    registry_world: RegistryWorld, entities: list[dict[str, Any]], name: str
) -> None:
    response = registry_world.client(name).post("/market/export/", FILTER)
    assert response.status_code == 403
    assert 'data-code="market_registry_forbidden"' in response.content.decode()
    assert _counts() == (0, 0)


@pytest.mark.parametrize("name", ["anonymous", "token", "clerk_token", "device"])
def test_export_needs_a_signed_in_session(
    registry_world: RegistryWorld, entities: list[dict[str, Any]], name: str
) -> None:
    # API tokens and devices are machines: the export is a page of a signed-in person
    response = registry_world.client(name).post("/market/export/", FILTER)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _counts() == (0, 0)


def test_export_is_a_post(registry_world: RegistryWorld, entities: list[dict[str, Any]]) -> None:
    assert registry_world.client("regulator").get("/market/export/", FILTER).status_code == 405
    assert _counts() == (0, 0)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"q": "宏"}, "market_search_too_short"),
        ({"q": "有限公司"}, "market_search_too_broad"),
        ({"street": "999999999"}, "market_region_unknown"),
        ({"status": "gone"}, "market_status_unknown"),
        ({"q": "不存在的名字"}, "market_export_empty"),
    ],
)
def test_bad_filters_are_refused_with_nothing_written(
    registry_world: RegistryWorld, entities: list[dict[str, Any]], data: dict[str, str], code: str
) -> None:
    response = registry_world.client("regulator").post("/market/export/", data)
    assert response.status_code == 422
    assert f'data-code="{code}"' in response.content.decode()
    assert _counts() == (0, 0)


def test_more_than_the_search_cap_is_refused(
    registry_world: RegistryWorld, entities: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from onewindow.market import selectors

    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    response = registry_world.client("regulator").post("/market/export/", {"district": "310106"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-code="market_export_too_many"' in html and "匹配超过 3 户，无法导出" in html
    assert _counts() == (0, 0)


def test_search_page_offers_the_export_with_the_current_filters(
    registry_world: RegistryWorld, entities: list[dict[str, Any]]
) -> None:
    html = registry_world.client("regulator").get("/market/", {"q": "宏达", "status": "active"}).content.decode()
    assert 'action="/market/export/"' in html and "导出 Excel" in html
    assert '<input type="hidden" name="q" value="宏达">' in html
    assert '<input type="hidden" name="status" value="active">' in html
    assert 'name="street"' in html  # the search form's select, not a hidden filter
    assert '<input type="hidden" name="street"' not in html
    empty = registry_world.client("regulator").get("/market/", {"q": "不存在的名字"}).content.decode()
    assert "导出 Excel" not in empty


class Progress:
    """Records the job's row as the task saw it after each progress step."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[tuple[str, int, int]] = []
        real = core_exports.export_progress

        def spy(job_id: int, rows_done: int) -> None:
            real(job_id, rows_done)
            job = ExportJob.objects.get(pk=job_id)
            self.seen.append((job.status, job.rows_done, job.rows_total))

        monkeypatch.setattr(core_exports, "export_progress", spy)


def test_large_export_becomes_a_job_with_progress_and_a_private_download(
    registry_world: RegistryWorld,
    entities: list[dict[str, Any]],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MARKET_EXPORT_INLINE_MAX = 3
    settings.MARKET_EXPORT_CHUNK = 2
    progress = Progress(monkeypatch)
    client = registry_world.client("data_clerk")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/market/export/", FILTER)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/market/exports/{job.token}/"
    assert (job.status, job.rows_done, job.rows_total, job.kind) == ("queued", 0, 4, "market.entities")
    assert job.requested_by == registry_world.user("data_clerk") and job.department_id == registry_world.registrar.pk
    assert job.expires_at - job.created_at == datetime.timedelta(hours=24)
    entry = AuditEntry.objects.get(action="market.entity_export")
    assert entry.after == {
        "street": "310106012",
        "department_id": registry_world.registrar.pk,
        "rows": 4,
        "mode": "job",
    }
    page = client.get(f"/market/exports/{job.token}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'data-status="queued"' in html
    assert f'hx-get="/market/exports/{job.token}/" hx-trigger="every 2s"' in html
    assert '<progress id="export-bar" max="4" value="0">0%</progress>' in html
    assert client.get(f"/market/exports/{job.token}/download/").status_code == 409  # not ready

    assert len(callbacks) == 1
    callbacks[0]()  # the task (the immediate backend runs it at once)

    assert progress.seen == [("running", 2, 4), ("running", 4, 4)]
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.error_code) == ("done", 4, "")
    assert job.file_name == f"{job.token}.xlsx" and job.finished_at is not None
    partial = client.get(f"/market/exports/{job.token}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.startswith('<section id="export-progress" data-status="done"')
    assert "hx-trigger" not in partial and f'href="/market/exports/{job.token}/download/"' in partial
    download = client.get(f"/market/exports/{job.token}/download/")
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    assert download["Content-Disposition"] == f'attachment; filename="{job.download_name}"'
    expected_rows = [entities[0], entities[2], entities[3], entities[4]]
    assert _rows(_download(download)) == _expected(expected_rows, "市场主体查询结果（street=310106012）")


def test_another_user_cannot_see_or_download_a_job(
    registry_world: RegistryWorld,
    entities: list[dict[str, Any]],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MARKET_EXPORT_INLINE_MAX = 3
    with django_capture_on_commit_callbacks(execute=True):
        registry_world.client("data_clerk").post("/market/export/", FILTER)
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE
    before = (AuditEntry.objects.count(), ExportJob.objects.count())
    for name in ("regulator", "data_clerk_other", "admin"):
        client = registry_world.client(name)
        for url in (f"/market/exports/{job.token}/", f"/market/exports/{job.token}/download/"):
            response = client.get(url)
            assert response.status_code == 404
            assert 'data-code="export_not_found"' in response.content.decode()
    guessed = registry_world.client("data_clerk").get("/market/exports/" + "A" * 43 + "/download/")
    assert guessed.status_code == 404 and 'data-code="export_not_found"' in guessed.content.decode()
    odd = registry_world.client("data_clerk").get("/market/exports/..%2F..%2Fetc/")
    assert odd.status_code == 404
    assert registry_world.client("anonymous").get(f"/market/exports/{job.token}/download/").status_code == 302
    assert (AuditEntry.objects.count(), ExportJob.objects.count()) == before


def test_expired_job_is_gone_with_its_file(
    registry_world: RegistryWorld,
    entities: list[dict[str, Any]],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MARKET_EXPORT_INLINE_MAX = 3
    client = registry_world.client("regulator")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/market/export/", FILTER)
    job = ExportJob.objects.get()
    path = core_exports.export_path(job.file_name)
    assert path.is_file() and path.parent == core_exports.export_root().resolve()
    assert core_exports.export_purge_expired(job.created_at + datetime.timedelta(hours=23)) == 0
    assert core_exports.export_purge_expired(job.created_at + datetime.timedelta(hours=24)) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not path.exists()
    for url in (f"/market/exports/{job.token}/", f"/market/exports/{job.token}/download/"):
        response = client.get(url)
        assert response.status_code == 410 and 'data-code="export_expired"' in response.content.decode()
    assert core_exports.export_purge_expired(job.created_at + datetime.timedelta(hours=48)) == 0


def test_job_fails_with_the_code_when_the_requester_lost_the_role(
    registry_world: RegistryWorld,
    entities: list[dict[str, Any]],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MARKET_EXPORT_INLINE_MAX = 3
    user = registry_world.user("regulator")
    client = registry_world.client("regulator")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/market/export/", FILTER)
    user.staff_roles.all().delete()
    callbacks[0]()
    job = ExportJob.objects.get()
    assert (job.status, job.error_code, job.file_name, job.rows_done) == ("failed", "market_registry_forbidden", "", 0)
    assert exports.entities_export_run(job.pk) == {"job": job.pk, "status": "skipped"}  # a repeated task
