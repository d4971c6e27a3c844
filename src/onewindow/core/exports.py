"""Export jobs (导出任务) of any app: create, advance, finish, fail, find, download and purge.

An app whose export is too large to build while the page waits (the market registry's lookup
export, later the supervision and center statistics) creates a job here, enqueues its own task,
and that task calls :func:`export_start`, :func:`export_progress` after each chunk, then
:func:`export_finish` with the file's bytes (or :func:`export_fail` with a stable code). The
page polls :func:`export_get_for` and downloads through :func:`export_file_for`.

Rules: only the requesting user sees a job or its file; anyone else, and any token that is not
a job's, gets 404 ``export_not_found`` (the same answer, so a token cannot be probed). A job
expires 24 hours after it was asked for (``CORE_EXPORT_HOURS``); its file is then deleted by the
hourly ``core.export_purge`` job and the job answers 410 ``export_expired`` (个人信息保护法
art. 19: kept no longer than the purpose needs). Files are written under ``CORE_EXPORT_ROOT``
(default ``MEDIA_ROOT/exports``, never served as a static path), named only from the job's
random token and a known suffix, and checked to stay under the root (OWASP ASVS 5.0 V5 File
Handling). Transitions: queued → running → done | failed; queued/running/done/failed → expired.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import Conflict, DomainError, NotFound
from .models import ExportJob, ExportStatus

DEFAULT_HOURS = 24
SUFFIXES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
#: The statuses each transition starts from (the pure transition table of the lifecycle).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({ExportStatus.QUEUED}), ExportStatus.RUNNING),
    "finish": (frozenset({ExportStatus.RUNNING}), ExportStatus.DONE),
    "fail": (frozenset({ExportStatus.QUEUED, ExportStatus.RUNNING}), ExportStatus.FAILED),
    "expire": (
        frozenset({ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE, ExportStatus.FAILED}),
        ExportStatus.EXPIRED,
    ),
}
ACTIVE = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportPathInvalid(DomainError):
    status = 422
    code = "export_path_invalid"


def keep_hours() -> int:
    return max(1, int(getattr(settings, "CORE_EXPORT_HOURS", DEFAULT_HOURS)))


def export_root() -> Path:
    """Where export files live (``CORE_EXPORT_ROOT``, default ``MEDIA_ROOT/exports``)."""
    configured = getattr(settings, "CORE_EXPORT_ROOT", None)
    return Path(configured) if configured else Path(settings.MEDIA_ROOT) / "exports"


def export_path(file_name: str) -> Path:
    """The absolute path of an export file: ``<root>/<token>.<suffix>``, nothing else (the parts
    come from the job row, never from a request); refused (``export_path_invalid``) otherwise."""
    stem, _dot, suffix = file_name.partition(".")
    if not _TOKEN.fullmatch(stem) or suffix not in SUFFIXES:
        raise ExportPathInvalid(_("导出文件路径无效。"))
    root = export_root().resolve()
    path = (root / f"{stem}.{suffix}").resolve()
    if path.parent != root:
        raise ExportPathInvalid(_("导出文件路径无效。"))
    return path


def not_found() -> NotFound:
    return NotFound(_("未找到该导出任务，或您无权查看"), code="export_not_found")


def expired() -> DomainError:
    """410 Gone: the job existed and its file was deleted (not a 404, which says "never was")."""
    return DomainError(_("导出文件已过期并删除，请重新导出"), code="export_expired", status=410)


def export_create(
    *, by: Any, kind: str, parameters: dict[str, Any], rows_total: int, department_id: int | None, download_name: str
) -> ExportJob:
    """Record a queued export job of ``kind`` for the user ``by`` (the caller has already checked
    that ``by`` may export it and counted ``rows_total``). The caller enqueues its task after the
    commit and audits the request."""
    now = timezone.now()
    return ExportJob.objects.create(
        token=secrets.token_urlsafe(32),
        kind=kind[:60],
        requested_by=by,
        department_id=department_id,
        parameters=parameters,
        rows_total=max(0, int(rows_total)),
        download_name=download_name[:150],
        created_at=now,
        expires_at=now + datetime.timedelta(hours=keep_hours()),
    )


def _move(job_id: int, action: str, **changes: Any) -> ExportJob | None:
    """Lock the job, check that ``action`` may start from its status, set the target status and
    ``changes``; None when the job is gone or in another status (a repeated or late task)."""
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in sources:
            return None
        job.status = target
        for name, value in changes.items():
            setattr(job, name, value)
        job.save(update_fields=["status", *changes])
    return job


def export_start(job_id: int) -> ExportJob | None:
    """The task takes the job (queued → running); None if it was taken, failed or expired."""
    job = _move(job_id, "start")
    if job is not None and job.expires_at <= timezone.now():
        export_fail(job_id, "export_expired")
        return None
    return job


def export_progress(job_id: int, rows_done: int) -> None:
    """Record how many rows are built (one UPDATE, committed at once so the page sees it)."""
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, rows_total__gte=rows_done).update(
        rows_done=rows_done
    )


def _write_new(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


def export_finish(job_id: int, content: bytes, *, suffix: str, rows: int) -> ExportJob | None:
    """Write the file and mark the job done (running → done) with ``rows`` rows; None (and no
    file) when the job is no longer running."""
    job = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).first()
    if job is None:
        return None
    file_name = f"{job.token}.{suffix}"
    path = export_path(file_name)
    _write_new(path, content)
    done = _move(
        job_id,
        "finish",
        file_name=file_name,
        rows_done=rows,
        rows_total=max(rows, job.rows_total),
        finished_at=timezone.now(),
    )
    if done is None:
        path.unlink(missing_ok=True)
    return done


def export_fail(job_id: int, code: str) -> ExportJob | None:
    """Mark the job failed with a stable error code (queued or running → failed)."""
    return _move(job_id, "fail", error_code=code[:60], finished_at=timezone.now())


def export_get_for(user: Any, token: str, *, kind: str = "") -> ExportJob:
    """The job named by ``token``, for its requester only (else 404 ``export_not_found``; an
    expired job 410 ``export_expired``). ``kind`` restricts the answer to one app's jobs."""
    token = str(token or "")
    if not _TOKEN.fullmatch(token) or not getattr(user, "is_authenticated", False):
        raise not_found()
    job = ExportJob.objects.filter(token=token, requested_by_id=user.pk).first()
    if job is None or (kind and job.kind != kind):
        raise not_found()
    if job.status == ExportStatus.EXPIRED or job.expires_at <= timezone.now():
        raise expired()
    return job


def export_file_for(user: Any, token: str, *, kind: str = "") -> tuple[ExportJob, Path]:
    """The finished job and its file, for its requester; 409 ``export_not_ready`` while it runs
    or after it failed."""
    job = export_get_for(user, token, kind=kind)
    if job.status != ExportStatus.DONE or not job.file_name:
        raise Conflict(_("导出文件尚未生成"), code="export_not_ready")
    path = export_path(job.file_name)
    if not path.is_file():
        raise expired()
    return job, path


def export_purge_expired(now: datetime.datetime | None = None) -> int:
    """Expire every job past its time and delete its file (the hourly ``core.export_purge``);
    returns how many jobs expired. A file whose job is gone stays until an operator removes it."""
    now = now or timezone.now()
    count = 0
    ids = list(
        ExportJob.objects.filter(expires_at__lte=now).exclude(status=ExportStatus.EXPIRED).values_list("pk", flat=True)
    )
    for job_id in ids:
        job = _move(job_id, "expire")
        if job is None:
            continue
        count += 1
        if job.file_name:
            with contextlib.suppress(ExportPathInvalid):
                export_path(job.file_name).unlink(missing_ok=True)
    return count
