"""core.exports: the export job's lifecycle (each status × action), its private file path, the
requester-only lookup and the hourly purge."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from onewindow.accounts.testing import UserFactory
from onewindow.core import exports, scheduling
from onewindow.core.models import ExportJob, ExportStatus

pytestmark = pytest.mark.django_db


def _job(status: str = ExportStatus.QUEUED, **changes: object) -> ExportJob:
    job = exports.export_create(
        by=UserFactory.create(),
        kind="test.rows",
        parameters={"q": "x"},
        rows_total=10,
        department_id=None,
        download_name="rows.xlsx",
    )
    ExportJob.objects.filter(pk=job.pk).update(status=status, **changes)
    job.refresh_from_db()
    return job


ACTIONS = {
    "start": lambda job: exports.export_start(job.pk),
    "finish": lambda job: exports.export_finish(job.pk, b"PK", suffix="xlsx", rows=10),
    "fail": lambda job: exports.export_fail(job.pk, "boom"),
}
ALLOWED = {
    ("start", ExportStatus.QUEUED): ExportStatus.RUNNING,
    ("finish", ExportStatus.RUNNING): ExportStatus.DONE,
    ("fail", ExportStatus.QUEUED): ExportStatus.FAILED,
    ("fail", ExportStatus.RUNNING): ExportStatus.FAILED,
}


@pytest.mark.parametrize("status", ExportStatus.values)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_status_and_action(status: str, action: str) -> None:
    job = _job(status)
    result = ACTIONS[action](job)
    job.refresh_from_db()
    target = ALLOWED.get((action, status))
    if target is None:
        assert result is None and job.status == status and job.file_name == "" and job.finished_at is None
        assert not (exports.export_root() / f"{job.token}.xlsx").exists()
    else:
        assert result is not None and job.status == target


def test_finish_writes_the_file_under_the_root_only_once() -> None:
    job = _job(ExportStatus.RUNNING)
    done = exports.export_finish(job.pk, b"PK-content", suffix="xlsx", rows=10)
    assert done is not None and done.file_name == f"{job.token}.xlsx"
    path = exports.export_path(done.file_name)
    assert path.read_bytes() == b"PK-content" and path.parent == exports.export_root().resolve()


@pytest.mark.parametrize("name", ["../x.xlsx", "a.xlsx", "A" * 43 + ".exe", "A" * 43 + ".xlsx/../b", "", "/etc/passwd"])
def test_export_path_refuses_anything_but_a_token_and_a_known_suffix(name: str) -> None:
    with pytest.raises(exports.ExportPathInvalid):
        exports.export_path(name)


def test_progress_only_while_running_and_within_the_total() -> None:
    job = _job(ExportStatus.RUNNING)
    exports.export_progress(job.pk, 4)
    exports.export_progress(job.pk, 11)  # above the total: ignored
    job.refresh_from_db()
    assert job.rows_done == 4
    queued = _job()
    exports.export_progress(queued.pk, 4)
    queued.refresh_from_db()
    assert queued.rows_done == 0


def test_only_the_requester_finds_the_job() -> None:
    job = _job()
    assert exports.export_get_for(job.requested_by, job.token) == job
    with pytest.raises(exports.NotFound) as other:
        exports.export_get_for(UserFactory.create(), job.token)
    assert other.value.code == "export_not_found"
    with pytest.raises(exports.NotFound) as kind:
        exports.export_get_for(job.requested_by, job.token, kind="other.kind")
    assert kind.value.code == "export_not_found"
    with pytest.raises(exports.DomainError) as ready:
        exports.export_file_for(job.requested_by, job.token)
    assert (ready.value.code, ready.value.status) == ("export_not_ready", 409)


def test_purge_expires_every_status_and_deletes_files() -> None:
    now = timezone.now()
    old = now - datetime.timedelta(hours=25)
    running = _job(ExportStatus.RUNNING, expires_at=old)
    done = _job(ExportStatus.RUNNING)
    exports.export_finish(done.pk, b"PK", suffix="xlsx", rows=10)
    ExportJob.objects.filter(pk=done.pk).update(expires_at=old)
    fresh = _job()
    assert exports.export_purge_expired(now) == 2
    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {running.pk: "expired", done.pk: "expired", fresh.pk: "queued"}
    assert not (exports.export_root() / f"{done.token}.xlsx").exists()
    with pytest.raises(exports.DomainError) as gone:
        exports.export_get_for(done.requested_by, done.token)
    assert (gone.value.code, gone.value.status) == ("export_expired", 410)


def test_a_job_taken_after_its_expiry_fails() -> None:
    job = _job(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert exports.export_start(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "export_expired")


def test_purge_runs_hourly() -> None:
    scheduling.discover()
    assert scheduling.registered()["core.export_purge"].every == datetime.timedelta(hours=1)
