"""Reads of 信息归集, always scoped to the requesting user (ARCHITECTURE rule 1).

Who sees what (issue #11 parts 3–4, 信息共享):

- every supervising department's staff sees every entity's pooled records and facet counts (the
  point of pooling is that each department sees the others' licences and penalties);
- the entity itself (a login of the Organization, or an agent with a valid mandate) sees its own
  records and objections, so that it can object;
- the matching queue and the objections: a department's data clerks and admins see their own
  department's, regulators and system admins every department's. Others are refused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import Organization
from onewindow.core.codes import as_id
from onewindow.core.errors import NotFound, PermissionDenied
from onewindow.core.models import Department

from .choices import ObjectionStatus, RecordKind
from .models import Objection, PooledRecord

#: The token scope of the department API (accounts.ApiToken.scopes).
RECORDS_SCOPE = "market.records"
#: Roles of a source department that deliver and correct its records (谁产生、谁负责).
WRITER_ROLES = (StaffRoleKind.DATA_CLERK, StaffRoleKind.DEPARTMENT_ADMIN)
#: Roles that see every department's matching queue and objections (besides system admins).
OVERSEER_ROLES = (StaffRoleKind.REGULATOR,)


def writer_department_ids(user: Any) -> set[int]:
    """The departments whose records ``user`` delivers and corrects (data clerk, department admin)."""
    return account_perms.departments_of(user, *WRITER_ROLES)


def sees_all_departments(user: Any) -> bool:
    """Regulators and system admins see every department's queue and objections."""
    return account_perms.is_system_admin(user) or bool(account_perms.role_names(user) & set(OVERSEER_ROLES))


def writer_departments_for(user: Any) -> list[Department]:
    """The departments ``user`` may deliver for (the choice on the upload page); 403
    ``records_not_data_clerk`` for a user who delivers for none."""
    departments = list(Department.objects.filter(pk__in=writer_department_ids(user)).order_by("sort_order", "code"))
    if not departments:
        raise PermissionDenied(_("只有部门数据报送员可以报送或更正归集信息。"), code="records_not_data_clerk")
    return departments


def is_entity_user(user: Any, record: PooledRecord) -> bool:
    """Whether ``user`` speaks for the record's entity: a login of the Organization, or an agent with
    a valid all-items mandate for it (who may object to the record)."""
    u = account_perms.as_user(user)
    if u is None or record.entity is None:
        return False
    return u.organization_id == record.entity_id or account_perms.may_act_for_organization(u, record.entity)


def _entity_queryset(user: Any) -> QuerySet[Organization]:
    return account_perms.organization_queryset_for(user)


def entity_for(user: Any, *, organization_id: Any = None, credit_code: str = "") -> Organization:
    """The entity whose records ``user`` asks for: staff any, the entity its own; else 404."""
    rows = _entity_queryset(user)
    entity = (
        rows.filter(credit_code=credit_code.strip().upper()).first()
        if credit_code
        else rows.filter(pk=as_id(organization_id)).first()
    )
    if entity is None:
        raise NotFound(_("找不到该市场主体。"), code="records_entity_not_found")
    return entity


def record_timeline_for(
    user: Any, entity: Organization, *, kind: str = "", department_id: Any = None
) -> QuerySet[PooledRecord]:
    """The profile timeline (归集信息时间轴): every record pooled under ``entity``, newest first (by
    the record's own date, then arrival), each with its source department and ``received_at``;
    optionally one kind or one department. ``entity`` comes from :func:`entity_for` (scoped)."""
    rows = PooledRecord.objects.filter(entity=entity).select_related("department", "item", "inspector_department")
    if kind in RecordKind.values:
        rows = rows.filter(kind=kind)
    if department_id not in (None, ""):
        rows = rows.filter(department_id=as_id(department_id))
    return rows.order_by("-record_date", "-id")


@dataclass(frozen=True)
class Facet:
    """One facet value and how many of the entity's records carry it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class RecordFacets:
    """Facet counts of an entity's records: per kind (in the order of RecordKind) and per department."""

    total: int
    kinds: list[Facet]
    departments: list[Facet]


def record_facets_for(user: Any, entity: Organization) -> RecordFacets:
    """Counts per kind and per source department of ``entity``'s records (two grouped queries)."""
    rows = PooledRecord.objects.filter(entity=entity)
    by_kind = dict(rows.values_list("kind").annotate(n=Count("id")).order_by())
    by_dept = list(
        rows.values_list("department_id", "department__name").annotate(n=Count("id")).order_by("-n", "department_id")
    )
    kinds = [Facet(str(value), str(label), by_kind[value]) for value, label in RecordKind.choices if value in by_kind]
    departments = [Facet(str(pk), name, n) for pk, name, n in by_dept]
    return RecordFacets(total=sum(by_kind.values()), kinds=kinds, departments=departments)


def record_get_for(user: Any, record_id: Any) -> PooledRecord:
    """One record with its revisions and objections: staff any, the entity its own; else 404."""
    record = (
        PooledRecord.objects.select_related("department", "item", "inspector_department", "entity")
        .prefetch_related("revisions", "objections")
        .filter(pk=as_id(record_id))
        .first()
    )
    if record is None:
        raise NotFound(_("找不到该归集信息。"), code="records_not_found")
    if account_perms.is_staff_member(user):
        return record
    if record.entity_id is None or not _entity_queryset(user).filter(pk=record.entity_id).exists():
        raise NotFound(_("找不到该归集信息。"), code="records_not_found")
    return record


def _queue_scope(user: Any) -> set[int] | None:
    """None: every department; a set: these departments; refused when the user has neither."""
    if sees_all_departments(user):
        return None
    mine = writer_department_ids(user)
    if not mine:
        raise PermissionDenied(_("您无权查看待匹配信息。"), code="records_queue_forbidden")
    return mine


def record_queue_for(user: Any, *, department_id: Any = None, credit_code: str = "") -> QuerySet[PooledRecord]:
    """The matching queue (待匹配): records whose credit code names no registered entity yet, oldest
    first (their age is ``now - received_at``, :func:`age_days`). Data clerks see their own
    departments', regulators and admins every one; others 403 ``records_queue_forbidden``."""
    scope = _queue_scope(user)
    rows = PooledRecord.objects.filter(entity__isnull=True).select_related("department")
    if scope is not None:
        rows = rows.filter(department_id__in=scope)
    if department_id not in (None, ""):
        rows = rows.filter(department_id=as_id(department_id))
    if credit_code:
        rows = rows.filter(credit_code=credit_code.strip().upper())
    return rows.order_by("received_at", "id")


def age_days(received_at: datetime.datetime, now: datetime.datetime | None = None) -> int:
    """Whole days a record has waited since it arrived."""
    return max(0, ((now or timezone.now()) - received_at).days)


def objection_list_for(
    user: Any, *, status: str = "", overdue: bool | None = None, department_id: Any = None
) -> QuerySet[Objection]:
    """Objections (异议) with an ``is_overdue`` flag (open past the due date): a department's writers
    see theirs, regulators and admins all, the entity its own (others none; staff without a
    department role 403)."""
    today = timezone.localdate()
    rows = Objection.objects.select_related("record", "record__department", "entity", "department")
    if not account_perms.is_staff_member(user):
        rows = rows.filter(entity__in=_entity_queryset(user))
    else:
        scope = _queue_scope(user)
        if scope is not None:
            rows = rows.filter(department_id__in=scope)
    rows = rows.annotate(
        is_overdue=Case(
            When(Q(status=ObjectionStatus.OPEN, due_date__lt=today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    if status in ObjectionStatus.values:
        rows = rows.filter(status=status)
    if overdue is not None:
        rows = rows.filter(is_overdue=overdue)
    if department_id not in (None, ""):
        rows = rows.filter(department_id=as_id(department_id))
    return rows.order_by("-is_overdue", "due_date", "id")
