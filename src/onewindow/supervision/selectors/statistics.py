"""Figures of the supervision platform, counted from the rows (issue #11: "computed from the rows,
not typed in").

- :func:`dual_notice_statistics`: 双告知 notices received against answered, per department and in
  total (the seed's Jing'an figures: 11,336 received, 5,347 answered). A notice is *received* by a
  department when its task was pushed to or claimed by it; *answered* when the department gave its
  feedback; tasks still in the 认领 pool are counted apart.
- :func:`platform_figures`: the home page (/supervision/): departments using the platform and
  its users (holders of a 监管人员 or 数据报送员 role), the records pooled under credit codes by
  kind (market's 信息归集), the 双告知 totals and the other measures (:class:`MeasureFigures`:
  the published item lists, 双随机 draws and the entities they covered, joint inspection groups,
  联合惩戒 listings in force, open 监管预警; issue #12).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole
from onewindow.core.models import Department
from onewindow.market.choices import RecordKind, SanctionStatus
from onewindow.market.models import PooledRecord, SanctionListing

from .. import permissions as perms
from ..choices import OPEN_STATUSES, DrawPlanKind, DrawPlanStatus, ItemListKind, TaskStatus
from ..models import Alert, DrawPlan, DualNoticeTask, Inspection, ItemListVersion
from ..models.alerts import AlertState

#: The roles of the platform's own users (the seed's 1,637 users of 30 departments).
PLATFORM_ROLES = (StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK)


@dataclass(frozen=True)
class DepartmentFigures:
    department_id: int
    name: str
    received: int
    answered: int
    answered_late: int
    open_overdue: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.received if self.received else 0.0


@dataclass(frozen=True)
class DualNoticeStatistics:
    rows: list[DepartmentFigures]
    received: int
    answered: int
    answered_late: int
    open_overdue: int
    pool: int

    @property
    def answer_rate(self) -> float:
        return self.answered / self.received if self.received else 0.0


def dual_notice_statistics(
    user: Any,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
    today: datetime.date | None = None,
) -> DualNoticeStatistics:
    """Received against answered per department (most received first) and in total, for
    notices dated ``first``..``last`` (all when not given); supervision staff only (else empty).
    Two aggregate queries and one for the department names, whatever the number of tasks."""
    empty = DualNoticeStatistics([], 0, 0, 0, 0, 0)
    if not perms.is_supervision_staff(user):
        return empty
    today = today or timezone.localdate()
    qs = DualNoticeTask.objects.all()
    if first is not None:
        qs = qs.filter(notified_on__gte=first)
    if last is not None:
        qs = qs.filter(notified_on__lte=last)
    per = list(
        qs.filter(department__isnull=False)
        .values("department_id")
        .annotate(
            received=Count("id"),
            answered=Count("id", filter=Q(status=TaskStatus.ANSWERED)),
            answered_late=Count("id", filter=Q(answered_late=True)),
            open_overdue=Count("id", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
        )
    )
    names = dict(Department.objects.filter(pk__in=[r["department_id"] for r in per]).values_list("pk", "name"))
    rows = sorted(
        (
            DepartmentFigures(
                r["department_id"],
                names.get(r["department_id"], ""),
                r["received"],
                r["answered"],
                r["answered_late"],
                r["open_overdue"],
            )
            for r in per
        ),
        key=lambda r: (-r.received, r.department_id),
    )
    pool = qs.filter(status=TaskStatus.POOL).count()
    return DualNoticeStatistics(
        rows=rows,
        received=sum(r.received for r in rows),
        answered=sum(r.answered for r in rows),
        answered_late=sum(r.answered_late for r in rows),
        open_overdue=sum(r.open_overdue for r in rows),
        pool=pool,
    )


def pooled_record_counts() -> dict[str, int]:
    """The records pooled under credit codes (信息归集, market), by kind: licence, filing,
    penalty, inspection (one GROUP BY over market's rows)."""
    counts = dict.fromkeys(RecordKind.values, 0)
    for kind, n in PooledRecord.objects.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"):
        counts[kind] = n
    return counts


@dataclass(frozen=True)
class MeasureFigures:
    """监管措施 in figures (issue #12; the seed's Jing'an figures: a list of 110 items of 20
    departments, a joint list of 18 items of 8 lead departments, 40 draws by 10 departments covering
    5,082 enterprises, 28 joint groups that inspected 79 entities)."""

    random_items: int = 0
    random_departments: int = 0
    joint_items: int = 0
    joint_leads: int = 0
    draws: int = 0
    draw_departments: int = 0
    draw_entities: int = 0
    joint_groups: int = 0
    joint_entities: int = 0
    sanctions: int = 0
    alerts_open: int = 0


def measure_figures() -> MeasureFigures:
    """The measures' figures from the rows, in five queries: the latest published version of each
    list; plans drawn (or closed after their draw) by kind and the distinct entities their
    inspections covered; listings in force; alerts still open."""
    latest: dict[str, ItemListVersion] = {}
    for version in ItemListVersion.objects.defer("snapshot").order_by("kind", "-number"):
        latest.setdefault(version.kind, version)
    drawn = Q(status__in=(DrawPlanStatus.DRAWN, DrawPlanStatus.CLOSED))
    random_plan, joint_plan = Q(kind=DrawPlanKind.RANDOM), Q(kind=DrawPlanKind.JOINT)
    plans = DrawPlan.objects.filter(drawn).aggregate(
        draws=Count("id", filter=random_plan),
        departments=Count("department_id", filter=random_plan, distinct=True),
        groups=Count("id", filter=joint_plan),
    )
    covered = Inspection.objects.filter(plan__status__in=(DrawPlanStatus.DRAWN, DrawPlanStatus.CLOSED)).aggregate(
        random=Count("organization_id", filter=Q(plan__kind=DrawPlanKind.RANDOM), distinct=True),
        joint=Count("organization_id", filter=Q(plan__kind=DrawPlanKind.JOINT), distinct=True),
    )
    random_list, joint_list = latest.get(ItemListKind.RANDOM), latest.get(ItemListKind.JOINT)
    return MeasureFigures(
        random_items=random_list.item_count if random_list else 0,
        random_departments=random_list.department_count if random_list else 0,
        joint_items=joint_list.item_count if joint_list else 0,
        joint_leads=joint_list.department_count if joint_list else 0,
        draws=plans["draws"],
        draw_departments=plans["departments"],
        draw_entities=covered["random"],
        joint_groups=plans["groups"],
        joint_entities=covered["joint"],
        sanctions=SanctionListing.objects.exclude(status=SanctionStatus.REMOVED).count(),
        alerts_open=Alert.objects.exclude(state=AlertState.CLOSED).count(),
    )


@dataclass(frozen=True)
class PlatformFigures:
    departments_using: int
    departments_answering: int
    users: int
    records: dict[str, int]
    notices: DualNoticeStatistics
    departments: list[DepartmentFigures] = field(default_factory=list)
    measures: MeasureFigures = field(default_factory=MeasureFigures)

    @property
    def records_total(self) -> int:
        return sum(self.records.values())

    def chart(self) -> dict[str, Any]:
        """The data the home page's ECharts script reads (json_script)."""
        return {
            "departments": [r.name for r in self.notices.rows],
            "received": [r.received for r in self.notices.rows],
            "answered": [r.answered for r in self.notices.rows],
            "records": [[str(RecordKind(k).label), v] for k, v in self.records.items()],
            "totals": {"received": self.notices.received, "answered": self.notices.answered},
        }


def platform_figures(user: Any, *, today: datetime.date | None = None) -> PlatformFigures:
    """监管平台概况 (issue #11 demo figures): departments using the platform (a valid 监管人员 or
    数据报送员 role there), its users, departments that answered 双告知, the pooled records by
    kind, and the 双告知 statistics; supervision staff only."""
    notices = dual_notice_statistics(user, today=today)
    if not perms.is_supervision_staff(user):
        return PlatformFigures(0, 0, 0, dict.fromkeys(RecordKind.values, 0), notices)
    roles = StaffRole.objects.filter(valid=True, role__in=PLATFORM_ROLES)
    departments_using = roles.filter(department__isnull=False).values("department_id").distinct().count()
    users = roles.values("user_id").distinct().count()
    answering = sum(1 for r in notices.rows if r.answered)
    return PlatformFigures(
        departments_using=departments_using,
        departments_answering=answering,
        users=users,
        records=pooled_record_counts(),
        notices=notices,
        departments=notices.rows,
        measures=measure_figures(),
    )
