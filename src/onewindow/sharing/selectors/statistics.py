"""Statistics of data sharing (issue #13 part 6): exchanges per resource, per consumer department
and per month, their outcomes (failures by error code), and the uploads pre-fill saved — counted
from the signed exchange log (:class:`~onewindow.sharing.models.ExchangeLogEntry`), one GROUP BY
per table, whatever the number of entries.

**One exchange, counted once.** Every exchange of this installation leaves two entries (the
consumer's and the provider's); an exchange with another installation leaves one here (our side).
So an exchange is counted by its provider entry, or, when the provider is another installation
(its code does not start with ``<SHARING_INSTALLATION_CODE>:``), by our consumer entry.

**Outcomes.** ``ok`` answered; ``not_found`` answered that nothing matched (not a failure);
``refused`` (grant expired or revoked, purpose mismatch, fields not granted, rate limited),
``timeout``, ``unavailable`` and ``error`` are failures, listed by their stable error code.

**Materials saved (减材料, uploads avoided).** The sharing app sits below cases and cannot read a
case's materials; what it knows is the log. Each answered (``ok``) exchange under the purpose
:attr:`~onewindow.sharing.choices.Purpose.PREFILL` is one register the applicant did not have to
prove with an upload: it is counted as one upload avoided, per resource and month. (A pre-fill
that only fills form fields is counted too: the applicant did not have to type and prove them.)

Who (permissions.py, 《上海市政务数据资源共享管理办法》: 使用和提供部门 keep their records): a system
admin sees every exchange; a department admin (部门管理员) those where one of its departments is
the consumer or the provider; anyone else nothing (the view answers 403).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.models import Department

from .. import permissions as perms
from ..canonical import installation_code
from ..choices import ExchangeOutcome, ExchangeRole, Purpose
from ..models import DataResource, ExchangeLogEntry

MEASURES: tuple[str, ...] = ("total", "ok", "not_found", "failed", "saved")
MEASURE_LABELS: dict[str, Any] = {
    "total": _("交换次数"),
    "ok": _("成功"),
    "not_found": _("无结果"),
    "failed": _("失败"),
    "saved": _("免交材料（预填）"),
}
FAILED_OUTCOMES: tuple[str, ...] = (
    ExchangeOutcome.REFUSED,
    ExchangeOutcome.TIMEOUT,
    ExchangeOutcome.UNAVAILABLE,
    ExchangeOutcome.ERROR,
)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def party_code(department_code: str) -> str:
    """The consumer/provider code of one of this installation's departments in the log."""
    return f"{installation_code()}:{department_code}"


def month_key(value: datetime.date | datetime.datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _counts() -> dict[str, Any]:
    return {
        "total": Count("id"),
        "ok": Count("id", filter=Q(outcome=ExchangeOutcome.OK)),
        "not_found": Count("id", filter=Q(outcome=ExchangeOutcome.NOT_FOUND)),
        "failed": Count("id", filter=Q(outcome__in=FAILED_OUTCOMES)),
        "saved": Count("id", filter=Q(outcome=ExchangeOutcome.OK, purpose=Purpose.PREFILL)),
    }


@dataclass(frozen=True)
class Row:
    """One row of a table: its key (resource code, party code or month), what it is called, a
    second column (the resource's provider department; empty otherwise) and the counts."""

    key: str
    name: str
    detail: str
    counts: dict[str, int]


@dataclass(frozen=True)
class Failure:
    outcome: str
    outcome_label: str
    error_code: str
    count: int


@dataclass
class SharingStatistics:
    """The counts per resource, per consumer department and per month, the failures by code and
    the totals, for one user's scope and period."""

    resources: list[Row]
    consumers: list[Row]
    months: list[Row]
    failures: list[Failure]
    totals: dict[str, int]

    @property
    def empty(self) -> bool:
        return self.totals["total"] == 0

    def chart(self) -> dict[str, Any]:
        """The data the page's ECharts script reads (json_script)."""
        return {
            "measures": [[m, str(MEASURE_LABELS[m])] for m in MEASURES],
            "months": [r.key for r in self.months],
            "by_month": {m: [r.counts[m] for r in self.months] for m in MEASURES},
            "resources": [r.name or r.key for r in self.resources],
            "by_resource": {m: [r.counts[m] for r in self.resources] for m in MEASURES},
            "consumers": [r.name or r.key for r in self.consumers],
            "by_consumer": {m: [r.counts[m] for r in self.consumers] for m in MEASURES},
            "failures": [[f.error_code or f.outcome_label, f.count] for f in self.failures],
        }


def _empty() -> SharingStatistics:
    return SharingStatistics([], [], [], [], dict.fromkeys(MEASURES, 0))


def may_see_statistics(user: Any) -> bool:
    """A system admin, or a department admin of at least one department."""
    return perms.may_read_all_logs(user) or bool(perms.provider_department_ids(user))


def statistics_departments(user: Any) -> list[tuple[int, str]]:
    """The departments the user may filter by (id, name), in code order: every department that
    appears in the log for a system admin, the user's own administered departments otherwise."""
    if perms.may_read_all_logs(user):
        codes = {c.split(":", 1)[1] for c in _counted().order_by().values_list("consumer_code", flat=True).distinct()
                 if c.startswith(installation_code() + ":")}
        codes |= {c.split(":", 1)[1] for c in _counted().order_by().values_list("provider_code", flat=True).distinct()
                  if c.startswith(installation_code() + ":")}
        qs = Department.objects.filter(code__in=codes)
    else:
        qs = Department.objects.filter(pk__in=perms.provider_department_ids(user))
    return list(qs.order_by("code").values_list("pk", "name"))


def _counted() -> QuerySet[ExchangeLogEntry]:
    """One entry per exchange: the provider's, or ours as consumer when the provider is elsewhere."""
    local = installation_code() + ":"
    return ExchangeLogEntry.objects.filter(
        Q(role=ExchangeRole.PROVIDER) | (Q(role=ExchangeRole.CONSUMER) & ~Q(provider_code__startswith=local))
    )


def _bound(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def scoped_entries(
    user: Any,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    department_id: int | None = None,
) -> QuerySet[ExchangeLogEntry]:
    """The counted entries the user may see, in ``first``..``last`` (inclusive dates), of one
    department (as consumer or provider) when ``department_id`` is given. A department outside
    the user's scope gives nothing (the view refuses it before)."""
    if not may_see_statistics(user):
        return ExchangeLogEntry.objects.none()
    qs = _counted()
    if not perms.may_read_all_logs(user):
        own = perms.provider_department_ids(user)
        if department_id is not None and department_id not in own:
            return ExchangeLogEntry.objects.none()
        department_ids = {department_id} if department_id is not None else own
    else:
        department_ids = {department_id} if department_id is not None else set()
    if department_ids:
        codes = [party_code(c) for c in Department.objects.filter(pk__in=department_ids).values_list("code", flat=True)]
        qs = qs.filter(Q(consumer_code__in=codes) | Q(provider_code__in=codes))
    if first is not None:
        qs = qs.filter(created_at__gte=_bound(first))
    if last is not None:
        qs = qs.filter(created_at__lt=_bound(last + datetime.timedelta(days=1)))
    return qs


def _counts_of(row: dict[str, Any]) -> dict[str, int]:
    return {m: int(row[m]) for m in MEASURES}


def sharing_statistics(
    user: Any,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    department_id: int | None = None,
) -> SharingStatistics:
    """Exchanges per resource (most first), per consumer (most first) and per month (in order),
    failures by outcome and error code (most first) and the totals, for the user's scope (see the
    module docstring) in ``first``..``last``; empty for anyone who may not see statistics.

    Queries: the scope's departments (1, department admins and a department filter only), four
    GROUP BYs, the resources' names (1) and the consumer departments' names (1)."""
    if not may_see_statistics(user):
        return _empty()
    qs = scoped_entries(user, first=first, last=last, department_id=department_id).order_by()
    by_resource = list(qs.values("resource_code").annotate(**_counts()))
    if not by_resource:
        return _empty()
    by_consumer = list(qs.values("consumer_code").annotate(**_counts()))
    by_month = list(qs.annotate(m=TruncMonth("created_at")).values("m").annotate(**_counts()))
    failed = list(
        qs.filter(outcome__in=FAILED_OUTCOMES).values("outcome", "error_code").annotate(n=Count("id"))
    )
    names = {
        code: (name or "", provider or "")
        for code, name, provider in DataResource.objects.filter(
            code__in=[r["resource_code"] for r in by_resource]
        ).values_list("code", "current__name", "provider_department__name")
    }
    local = installation_code() + ":"
    local_codes = {r["consumer_code"][len(local):] for r in by_consumer if r["consumer_code"].startswith(local)}
    departments = dict(Department.objects.filter(code__in=local_codes).values_list("code", "name"))

    def consumer_name(code: str) -> str:
        return departments.get(code[len(local):], "") if code.startswith(local) else ""

    resources = sorted(
        (Row(r["resource_code"], *names.get(r["resource_code"], ("", "")), _counts_of(r)) for r in by_resource),
        key=lambda row: (-row.counts["total"], row.key),
    )
    consumers = sorted(
        (Row(r["consumer_code"], consumer_name(r["consumer_code"]), "", _counts_of(r)) for r in by_consumer),
        key=lambda row: (-row.counts["total"], row.key),
    )
    months = sorted(
        (Row(month_key(r["m"]), month_key(r["m"]), "", _counts_of(r)) for r in by_month if r["m"] is not None),
        key=lambda row: row.key,
    )
    failures = sorted(
        (Failure(r["outcome"], str(ExchangeOutcome(r["outcome"]).label), r["error_code"], r["n"]) for r in failed),
        key=lambda f: (-f.count, f.outcome, f.error_code),
    )
    totals = {m: sum(r.counts[m] for r in resources) for m in MEASURES}
    return SharingStatistics(resources, consumers, months, failures, totals)


def sharing_statistics_xlsx(stats: SharingStatistics, *, period: str = "") -> bytes:
    """The statistics as an xlsx workbook (``core.xlsx``: every string a text cell): per resource,
    per consumer department, per month and the failures by code, each with a total row. Small
    (one row per resource, department or month), so it is made inline; no export job."""
    from onewindow.core.xlsx import Sheet, workbook_bytes

    labels = [str(MEASURE_LABELS[m]) for m in MEASURES]
    totals = [stats.totals[m] for m in MEASURES]
    total = str(_("合计"))
    title = str(_("数据共享交换统计")) + (f"（{period}）" if period else "")
    widths = [12] * len(MEASURES)
    return workbook_bytes([
        Sheet(
            name=str(_("按资源")),
            title=title,
            headers=[str(_("资源编码")), str(_("资源名称")), str(_("提供部门")), *labels],
            rows=[[r.key, r.name, r.detail, *(r.counts[m] for m in MEASURES)] for r in stats.resources],
            footer=[total, "", "", *totals],
            widths=[20, 30, 30, *widths],
        ),
        Sheet(
            name=str(_("按使用部门")),
            title=title,
            headers=[str(_("使用方编码")), str(_("使用部门")), *labels],
            rows=[[r.key, r.name, *(r.counts[m] for m in MEASURES)] for r in stats.consumers],
            footer=[total, "", *totals],
            widths=[28, 30, *widths],
        ),
        Sheet(
            name=str(_("按月份")),
            title=title,
            headers=[str(_("月份")), *labels],
            rows=[[r.key, *(r.counts[m] for m in MEASURES)] for r in stats.months],
            footer=[total, *totals],
            widths=[10, *widths],
        ),
        Sheet(
            name=str(_("失败原因")),
            title=title,
            headers=[str(_("结果")), str(_("错误代码")), str(_("次数"))],
            rows=[[f.outcome_label, f.error_code, f.count] for f in stats.failures],
            footer=[total, "", sum(f.count for f in stats.failures)],
            widths=[16, 36, 10],
        ),
    ])

