"""The lookup export (信息共享 导出) of the market-entity registry, and the per-department lookup
statistics (等保 安全审计).

Rule (issue #11 part 4): the supervising staff who may search the registry
(``permissions.can_view_registry``) may export the result of a search to xlsx. The file carries
only what 企业信息公示 publishes (企业信息公示暂行条例 arts. 6, 8): credit code, name, type, the
legal representative's name, industry, district and street, status, established date and the
risk grade with its date — never the legal representative's ID number or phone (个人信息保护法
arts. 6, 51). Up to ``MARKET_EXPORT_INLINE_MAX`` rows (default 2,000) the file is built while
the page waits; a larger result, up to the search cap (:data:`selectors.SEARCH_CAP`, 10,000),
becomes a ``core.ExportJob`` built by the ``market_entities_export`` task, which the page
follows and which only its requester downloads. A broader search is refused (422
``market_export_too_many``): narrow it first.

Each export is audited as ``market.entity_export`` with the viewer's department
(``permissions.lookup_department_id``), beside the profile views (``market.entity_view``), so
:func:`lookup_statistics_for` counts the lookups of each department (GB/T 22239-2019 安全审计).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, IntegerField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.core import exports as core_exports
from onewindow.core import xlsx
from onewindow.core.audit import audit_record
from onewindow.core.errors import DomainError, PermissionDenied
from onewindow.core.models import AuditEntry, Department, ExportJob

from . import permissions as perms
from . import selectors
from .choices import EntityStatus, EntityType
from .models import EntityProfile
from .selectors import SearchFilters

logger = logging.getLogger(__name__)

KIND = "market.entities"
CONTENT_TYPE = core_exports.SUFFIXES["xlsx"]
DEFAULT_INLINE_MAX = 2_000
FILTER_FIELDS = ("q", "district", "street", "industry", "status")
HEADERS = (
    _("统一社会信用代码"),
    _("名称"),
    _("主体类型"),
    _("法定代表人"),
    _("行业代码"),
    _("行业名称"),
    _("所在区"),
    _("所在街镇"),
    _("登记状态"),
    _("成立日期"),
    _("风险分类"),
    _("分类日期"),
)
WIDTHS = (22, 36, 18, 12, 10, 28, 12, 16, 10, 12, 10, 12)
#: The audited lookups counted per department.
LOOKUP_ACTIONS = ("market.entity_view", "market.entity_export")


def inline_max() -> int:
    return max(1, int(getattr(settings, "MARKET_EXPORT_INLINE_MAX", DEFAULT_INLINE_MAX)))


def chunk_size() -> int:
    """Rows per read (and per progress step) of an export job, at most one search page."""
    return max(1, min(int(getattr(settings, "MARKET_EXPORT_CHUNK", selectors.MAX_PAGE_SIZE)), selectors.MAX_PAGE_SIZE))


@dataclass
class ExportFile:
    """An xlsx made in memory, ready to stream."""

    content: bytes
    filename: str
    content_type: str = CONTENT_TYPE


@dataclass
class EntityExport:
    """The answer to an export request: the file (small results) or the job (large ones)."""

    rows: int
    file: ExportFile | None = None
    job: ExportJob | None = None


@dataclass(frozen=True)
class Labels:
    """The labels of the entity types and statuses in the active language, made once per export
    (``get_FOO_display`` rebuilds the choices on every call)."""

    types: dict[str, str]
    statuses: dict[str, str]

    @classmethod
    def active(cls) -> Labels:
        return cls(
            types={k: str(v) for k, v in EntityType.choices}, statuses={k: str(v) for k, v in EntityStatus.choices}
        )


def export_row(profile: EntityProfile, labels: Labels) -> list[Any]:
    """One row of the export: the published registration (企业信息公示) of one entity."""
    org = profile.organization
    return [
        org.credit_code,
        org.name,
        labels.types.get(profile.entity_type, profile.entity_type),
        org.legal_representative_name,
        profile.industry.code,
        profile.industry.name,
        profile.district.name,
        profile.street.name if profile.street is not None else "",
        labels.statuses.get(profile.status, profile.status),
        profile.established_on,
        profile.risk_grade,
        profile.risk_graded_on,
    ]


def matching_pages(user: Any, filters: SearchFilters, *, page_size: int) -> Iterator[list[EntityProfile]]:
    """Every entity a search finds, one search page at a time, through the public selector
    (so the same rules, refusals and cap apply); an entity seen on an earlier page is skipped."""
    seen: set[int] = set()
    page = 1
    while True:
        result = selectors.entity_search_for(user, filters, page=page, page_size=page_size)
        fresh = [p for p in result.items if p.pk not in seen]
        seen.update(p.pk for p in fresh)
        if fresh:
            yield fresh
        if result.page >= result.pages:
            return
        page += 1


def _title(filters: SearchFilters) -> str:
    parts = [f"{name}={value}" for name, value in filters.as_audit().items()]
    return str(_("市场主体查询结果")) + (f"（{'，'.join(parts)}）" if parts else "")


def _workbook(filters: SearchFilters, rows: list[list[Any]]) -> bytes:
    sheet = xlsx.Sheet(
        str(_("市场主体")),
        rows,
        title=_title(filters),
        headers=[str(h) for h in HEADERS],
        footer=[str(_("合计 %(count)d 户")) % {"count": len(rows)}],
        widths=WIDTHS,
    )
    return xlsx.workbook_bytes([sheet])


def _download_name() -> str:
    return f"market-entities-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"


def _too_many() -> DomainError:
    return DomainError(
        _("匹配超过 %(cap)d 户，无法导出；请缩小查询范围后再导出") % {"cap": selectors.SEARCH_CAP},
        code="market_export_too_many",
        status=422,
    )


def entities_export(*, by: Any, filters: SearchFilters) -> EntityExport:
    """Export the result of a search (信息共享 导出) for ``by``.

    At most :func:`inline_max` rows: the xlsx is built now and returned. More (up to the search
    cap): a queued ``core.ExportJob`` whose task is enqueued after the commit. Audited as
    ``market.entity_export`` with the filters, the row count and the viewer's department.
    Refusals, nothing written: 403 ``market_registry_forbidden``; 422 the search's own codes,
    ``market_export_empty`` (nothing found), ``market_export_too_many`` (above the cap)."""
    first = selectors.entity_search_for(by, filters, page=1, page_size=1)
    if first.capped:
        raise _too_many()
    if first.total == 0:
        raise DomainError(_("没有符合条件的市场主体，无需导出"), code="market_export_empty", status=422)
    department_id = perms.lookup_department_id(by)
    audit_after: dict[str, Any] = {**filters.as_audit(), "department_id": department_id}
    role = account_perms.primary_role(by)
    if first.total > inline_max():
        with transaction.atomic():
            job = core_exports.export_create(
                by=account_perms.as_user(by),
                kind=KIND,
                parameters={**filters.as_audit(), "language": translation.get_language() or settings.LANGUAGE_CODE},
                rows_total=first.total,
                department_id=department_id,
                download_name=_download_name(),
            )
            audit_record(
                actor=by,
                action="market.entity_export",
                target=("core.exportjob", str(job.pk), KIND),
                role=role,
                after={**audit_after, "rows": first.total, "mode": "job"},
            )
            transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
        return EntityExport(rows=first.total, job=job)
    labels = Labels.active()
    pages = matching_pages(by, filters, page_size=selectors.MAX_PAGE_SIZE)
    rows = [export_row(p, labels) for chunk in pages for p in chunk]
    content = _workbook(filters, rows)
    audit_record(
        actor=by,
        action="market.entity_export",
        target=None,
        role=role,
        after={**audit_after, "rows": len(rows), "mode": "inline", "sha256": hashlib.sha256(content).hexdigest()},
    )
    return EntityExport(rows=len(rows), file=ExportFile(content, _download_name()))


def _enqueue(job_id: int) -> None:
    from .tasks import market_entities_export

    market_entities_export.enqueue(job_id)


def entities_export_run(job_id: int) -> dict[str, Any]:
    """The export job's work (the ``market_entities_export`` task): read the result a chunk at a
    time as its requester (whose right to search is checked again), record the progress after
    each chunk, then write the file. A refusal fails the job with its code."""
    job = core_exports.export_start(job_id)
    if job is None:
        return {"job": job_id, "status": "skipped"}
    params = {k: str(v) for k, v in job.parameters.items() if k in FILTER_FIELDS}
    filters = SearchFilters(**params)
    rows: list[list[Any]] = []
    try:
        with translation.override(str(job.parameters.get("language") or settings.LANGUAGE_CODE)):
            labels = Labels.active()
            for chunk in matching_pages(job.requested_by, filters, page_size=chunk_size()):
                rows.extend(export_row(p, labels) for p in chunk)
                if len(rows) > selectors.SEARCH_CAP:
                    raise _too_many()
                core_exports.export_progress(job_id, min(len(rows), job.rows_total))
            content = _workbook(filters, rows)
    except DomainError as exc:
        core_exports.export_fail(job_id, exc.code)
        return {"job": job_id, "status": "failed", "code": exc.code}
    except Exception:
        logger.exception("market export job %s failed", job_id)
        core_exports.export_fail(job_id, "export_failed")
        return {"job": job_id, "status": "failed", "code": "export_failed"}
    core_exports.export_finish(job_id, content, suffix="xlsx", rows=len(rows))
    return {"job": job_id, "status": "done", "rows": len(rows)}


def export_job_for(user: Any, token: str) -> ExportJob:
    """The user's own export job of the registry (404 ``export_not_found``, 410 ``export_expired``)."""
    return core_exports.export_get_for(user, token, kind=KIND)


# ---- per-department lookup statistics (等保 安全审计) ------------------------------------------


@dataclass
class DepartmentLookups:
    department_id: int | None
    name: str
    views: int = 0
    exports: int = 0
    rows_exported: int = 0


@dataclass
class LookupStatistics:
    since: datetime.date
    until: datetime.date
    departments: list[DepartmentLookups] = field(default_factory=list)
    all_departments: bool = False


def lookup_stats_scope(user: Any) -> list[int] | None:
    """None for the system admin (every department), else the departments the user administers."""
    if account_perms.is_system_admin(user):
        return None
    ids = [
        r.department_id
        for r in account_perms.valid_roles(user)
        if r.role == StaffRoleKind.DEPARTMENT_ADMIN and r.department_id is not None
    ]
    if not ids:
        raise PermissionDenied(_("只有部门管理员和系统管理员可以查看查询统计"), code="market_lookup_stats_forbidden")
    return ids


def lookup_statistics_for(user: Any, *, since: datetime.date, until: datetime.date) -> LookupStatistics:
    """The registry lookups of each department from ``since`` to ``until`` (inclusive): profile
    views, exports and exported rows, from the audit trail (GB/T 22239-2019 安全审计: the audit
    records are analysed per department). A department admin sees the departments they
    administer; the system admin every department, and the lookups of no department (a system
    admin without a supervising role) as a row of its own; departments in the order of their codes. Refusal: 403
    ``market_lookup_stats_forbidden``."""
    scope = lookup_stats_scope(user)
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min))
    department = Cast(KeyTextTransform("department_id", "after"), IntegerField())
    entries = AuditEntry.objects.filter(action__in=LOOKUP_ACTIONS, created_at__gte=start, created_at__lt=end)
    if scope is not None:
        entries = entries.alias(scoped=department).filter(scoped__in=scope)  # type: ignore[misc]
    counted = entries.values(dep=department).annotate(
        views=Count("id", filter=Q(action="market.entity_view")),
        exports=Count("id", filter=Q(action="market.entity_export")),
        rows=Sum(Cast(KeyTextTransform("rows", "after"), IntegerField()), filter=Q(action="market.entity_export")),
    )
    found: dict[int | None, dict[str, Any]] = {}
    for row in counted:
        # no department (JSON null) reads as NULL or 0 depending on the database; no pk is 0
        key = int(row["dep"]) if row["dep"] else None
        found.setdefault(key, {"views": 0, "exports": 0, "rows": 0})
        for name in ("views", "exports", "rows"):
            found[key][name] += int(row[name] or 0)
    ids: list[int] = list(scope) if scope is not None else [int(d) for d in found if d is not None]
    departments = {
        pk: (code, name) for pk, code, name in Department.objects.filter(pk__in=ids).values_list("pk", "code", "name")
    }
    names: dict[int | None, str] = {pk: name for pk, (_code, name) in departments.items()}
    result = LookupStatistics(since=since, until=until, all_departments=scope is None)
    keys: list[int | None] = [d for d in sorted(ids, key=lambda d: (departments.get(d, ("", ""))[0], d))]
    if scope is None and None in found:
        keys.append(None)
    for dep in keys:
        row = found.get(dep, {})
        result.departments.append(
            DepartmentLookups(
                department_id=dep,
                name=str(_("（无部门）")) if dep is None else names.get(dep, ""),
                views=int(row.get("views") or 0),
                exports=int(row.get("exports") or 0),
                rows_exported=int(row.get("rows") or 0),
            )
        )
    return result
