"""Who may do what in accounts: role checks and ``restrict(user, action)``-style querysets.

Rule (ARCHITECTURE rule 6 and 8; 个人信息保护法 PIPL art. 40-51: access to personal information
is limited to what a duty needs): a citizen sees their own person and the principals of their
valid mandates; an enterprise agent sees their organization; staff see other persons only
through explicit lookups; system admins see everything.

Only models are imported here, so selectors, services and the API may all use these checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from onewindow.core.errors import PermissionDenied
from onewindow.core.models import Department, Region

from .choices import UNMASK_ROLES, StaffRoleKind
from .models import ApiToken, Mandate, Organization, Person, StaffRole, User, valid_mandates_q

_ROLES_CACHE = "_onewindow_valid_roles"


def as_user(user: Any) -> User | None:
    """The authenticated User, or None for anonymous / a token without an owner."""
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def acting_user(by: Any) -> User:
    """The user behind ``by`` for a write that only a person may make (403 ``user_required``
    for a device, the system or an anonymous visitor; the caller's permission check usually
    refuses earlier)."""
    user = as_user(by)
    if user is None:
        raise PermissionDenied(_("该操作须由登录用户执行。"), code="user_required")
    return user


class ModelColumns:
    """The concrete columns of one model under a table alias, for a SELECT written once per process
    (issue #17: the ORM compiled the roles and token queries anew on every request, ~0.4 ms each,
    more than the queries themselves). Values go through the same converters the ORM applies (the
    backend's and the field's: SQLite datetimes, JSON), and rows become instances with
    ``Model.from_db``, so the objects are the ones the ORM would have built."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self._key = f"_onewindow_columns_{model._meta.label}_{alias}"

    @cached_property
    def fields(self) -> list[Any]:  # read on first use: at import the related models may not be ready
        return list(self.model._meta.concrete_fields)

    @cached_property
    def attnames(self) -> list[str]:
        return [f.attname for f in self.fields]

    @cached_property
    def pk_index(self) -> int:
        return self.fields.index(self.model._meta.pk)

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self, using: str) -> str:
        qn = connections[using].ops.quote_name
        return ", ".join(f"{self.alias}.{qn(f.column)}" for f in self.fields)

    def table(self, using: str) -> str:
        return f"{connections[using].ops.quote_name(self.model._meta.db_table)} {self.alias}"

    def _converters(self, connection: Any) -> list[tuple[int, list[Any], Any]]:
        """The ORM's converters of each column, kept on the connection (one per thread)."""
        converters = connection.__dict__.get(self._key)
        if converters is None:
            converters = []
            for i, f in enumerate(self.fields):
                col = f.get_col(self.alias)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((i, found, col))
            connection.__dict__[self._key] = converters
        return converters

    def build(self, row: Sequence[Any], start: int, connection: Any) -> Any:
        """The instance in ``row[start:start + len(self)]``, or None for a LEFT JOIN's empty side."""
        values = list(row[start:start + len(self.fields)])
        if values[self.pk_index] is None:
            return None
        for i, found, col in self._converters(connection):
            for converter in found:
                values[i] = converter(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


ROLE_COLUMNS = (ModelColumns(StaffRole, "r"), ModelColumns(Department, "d"), ModelColumns(Region, "g"))


def _dept_region_join(using: str) -> str:
    qn = connections[using].ops.quote_name
    _role, dept, region = ROLE_COLUMNS
    return (f" LEFT JOIN {dept.table(using)} ON d.{qn('id')} = r.{qn('department_id')}"
            f" LEFT JOIN {region.table(using)} ON g.{qn('id')} = r.{qn('region_id')}")


def role_join_sql(using: str, user_column: str) -> str:
    """``LEFT JOIN`` of the valid roles of ``user_column``'s user with their department and region
    (the ORM's ``select_related("department", "region")``); one ``%s`` parameter: True."""
    qn = connections[using].ops.quote_name
    return (f" LEFT JOIN {ROLE_COLUMNS[0].table(using)} ON r.{qn('user_id')} = {user_column}"
            f" AND r.{qn('valid')} = %s{_dept_region_join(using)}")


def role_order_sql(using: str) -> str:
    """StaffRole's ordering (user, role), then the id so the order never depends on the plan."""
    qn = connections[using].ops.quote_name
    return f" ORDER BY r.{qn('role')}, r.{qn('id')}"


def roles_from_rows(rows: Iterable[Sequence[Any]], start: int, connection: Any) -> list[StaffRole]:
    """The StaffRoles (with department and region loaded) in the rows' columns from ``start``."""
    role_cols, dept_cols, region_cols = ROLE_COLUMNS
    roles = []
    for row in rows:
        role = role_cols.build(row, start, connection)
        if role is None:
            continue
        StaffRole.department.field.set_cached_value(role, dept_cols.build(row, start + len(role_cols), connection))
        StaffRole.region.field.set_cached_value(
            role, region_cols.build(row, start + len(role_cols) + len(dept_cols), connection))
        roles.append(role)
    return roles


def cache_roles(user: User, roles: list[StaffRole]) -> None:
    """Hand roles loaded with another query (the bearer token's) to :func:`valid_roles`."""
    user.__dict__[_ROLES_CACHE] = roles


def _load_roles(user: User) -> list[StaffRole]:
    using = StaffRole.objects.db
    sql = _ROLES_SQL.get(using)
    if sql is None:
        qn = connections[using].ops.quote_name
        cols = ", ".join(c.sql(using) for c in ROLE_COLUMNS)
        # Identifiers from the models' metadata only; values are parameters.
        sql = (f"SELECT {cols} FROM {ROLE_COLUMNS[0].table(using)}{_dept_region_join(using)}"  # noqa: S608
               f" WHERE r.{qn('user_id')} = %s AND r.{qn('valid')} = %s{role_order_sql(using)}")
        _ROLES_SQL[using] = sql
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, True])
        return roles_from_rows(cursor.fetchall(), 0, connection)


_ROLES_SQL: dict[str, str] = {}


def valid_roles(user: Any) -> list[StaffRole]:
    """The user's valid staff roles (cached on the user object for one request), with department
    and region, in one statement written once per process (:class:`ModelColumns`)."""
    u = as_user(user)
    if u is None:
        return []
    cached = u.__dict__.get(_ROLES_CACHE)
    if cached is None:
        cached = _load_roles(u)
        u.__dict__[_ROLES_CACHE] = cached
    return list(cached)


def forget_roles(user: Any) -> None:
    """Drop the cached roles after a grant or revoke."""
    if isinstance(user, User):
        user.__dict__.pop(_ROLES_CACHE, None)


def role_names(user: Any) -> set[str]:
    return {r.role for r in valid_roles(user)}


def is_system_admin(user: Any) -> bool:
    """A superuser, or a holder of a valid 系统管理员 role."""
    u = as_user(user)
    return u is not None and (u.is_superuser or StaffRoleKind.SYSTEM_ADMIN in role_names(u))


def is_staff_member(user: Any) -> bool:
    """Staff (工作人员): any valid staff role, or Django's is_staff / is_superuser flag."""
    u = as_user(user)
    return u is not None and (u.is_staff or u.is_superuser or bool(valid_roles(u)))


def has_role(user: Any, *roles: str) -> bool:
    return bool(role_names(user) & set(roles)) or is_system_admin(user)


def _region_chain(region: Region | None) -> set[int]:
    """The region and all its ancestors (a role scoped to 静安区 covers its streets)."""
    ids: set[int] = set()
    while region is not None and region.pk not in ids:
        ids.add(region.pk)
        region = region.parent
    return ids


def has_role_in_scope(user: Any, roles: Iterable[str], *, department: Department | None = None,
                      region: Region | None = None) -> bool:
    """True when the user holds one of ``roles`` whose scope covers the target: the same
    department, or a region that is the target's region (or the department's region) or one of
    its ancestors. System admins are always in scope. Use it for "clerk in scope" checks."""
    if is_system_admin(user):
        return True
    wanted = set(roles)
    target_regions = _region_chain(region) | _region_chain(department.region if department else None)
    for role in valid_roles(user):
        if role.role not in wanted:
            continue
        if department is not None and role.department_id == department.pk:
            return True
        if role.region_id is not None and role.region_id in target_regions:
            return True
    return False


def departments_of(user: Any, *roles: str) -> set[int]:
    """Ids of the departments the user holds one of ``roles`` in (all roles when none given)."""
    return {r.department_id for r in valid_roles(user)
            if r.department_id is not None and (not roles or r.role in roles)}


def primary_role(user: Any) -> str:
    """The role recorded in the audit trail for this actor ('' for citizens)."""
    if is_system_admin(user):
        return StaffRoleKind.SYSTEM_ADMIN
    names = sorted(role_names(user))
    return names[0] if names else ""


def can_lookup_persons(user: Any) -> bool:
    """Explicit person lookup by ID number: staff who serve applicants (clerk, reviewer, managers)."""
    return is_staff_member(user) and (bool(valid_roles(user)) or is_system_admin(user))


def can_unmask_person(user: Any) -> bool:
    """Unmasked ID number / phone on a detail view: a window clerk or reviewer holding a valid,
    scoped role, or a system admin (ARCHITECTURE rule 6). The case-level narrowing (only
    applicants of cases in the clerk's department) comes with the cases issue."""
    return is_system_admin(user) or bool(role_names(user) & set(UNMASK_ROLES))


def can_register_for_others(user: Any) -> bool:
    """Real-name registration of another person (at a window, documents seen): clerk or admin."""
    return has_role(user, StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER)


def person_queryset_for(user: Any) -> QuerySet[Person]:
    """Persons a user may list: own person, principals of valid mandates; admins all."""
    u = as_user(user)
    if u is None:
        return Person.objects.none()
    if is_system_admin(u):
        return Person.objects.all()
    if u.person_id is None:
        return Person.objects.none()
    today = timezone.localdate()
    principal_ids = Mandate.objects.filter(valid_mandates_q(today), agent_id=u.person_id,
                                           principal_person__isnull=False).values("principal_person_id")
    return Person.objects.filter(Q(pk=u.person_id) | Q(pk__in=principal_ids))


def organization_queryset_for(user: Any) -> QuerySet[Organization]:
    """Organizations a user may see: staff all (the credit code registry is public, GB 32100 and
    企业信息公示暂行条例); an agent their own organization and those they hold a valid mandate for."""
    u = as_user(user)
    if u is None:
        return Organization.objects.none()
    if is_staff_member(u):
        return Organization.objects.all()
    q = Q(pk=u.organization_id) if u.organization_id else Q(pk__in=[])
    if u.person_id:
        ids = Mandate.objects.filter(valid_mandates_q(timezone.localdate()), agent_id=u.person_id,
                                     principal_organization__isnull=False).values("principal_organization_id")
        q |= Q(pk__in=ids)
    return Organization.objects.filter(q)


def mandate_queryset_for(user: Any) -> QuerySet[Mandate]:
    """Mandates a user may see: where they are agent or principal (or their organization is);
    admins all."""
    u = as_user(user)
    if u is None:
        return Mandate.objects.none()
    if is_system_admin(u):
        return Mandate.objects.all()
    q = Q(pk__in=[])
    if u.person_id:
        q |= Q(agent_id=u.person_id) | Q(principal_person_id=u.person_id)
    if u.organization_id:
        q |= Q(principal_organization_id=u.organization_id)
    return Mandate.objects.filter(q)


def api_token_queryset_for(user: Any) -> QuerySet[ApiToken]:
    """Machine tokens: visible to system admins only."""
    return ApiToken.objects.all() if is_system_admin(user) else ApiToken.objects.none()


def may_act_for_organization(user: Any, organization: Organization) -> bool:
    """An agent may act for an organization with a valid all-items mandate for it."""
    u = as_user(user)
    if u is None or u.person_id is None:
        return False
    return Mandate.objects.filter(valid_mandates_q(timezone.localdate()), agent_id=u.person_id,
                                  principal_organization=organization, scope="all").exists()


def departments_covered(user: Any, roles: Iterable[str], *, admin_sees_all: bool = True) -> set[int] | None:
    """Departments covered by the user's roles among ``roles``; None means every department (a
    system admin, unless ``admin_sees_all`` is False: then only the admin's own roles count)."""
    if admin_sees_all and is_system_admin(user):
        return None
    wanted = set(roles)
    ids: set[int] = set()
    region_ids: set[int] = set()
    for role in valid_roles(user):
        if role.role not in wanted:
            continue
        if role.department_id is not None:
            ids.add(role.department_id)
        elif role.region_id is not None:
            region_ids.add(role.region_id)
    if region_ids:
        # Regions nest three deep (city > district > street): take the regions and their descendants.
        covered = set(region_ids)
        frontier = set(region_ids)
        for _depth in range(3):
            frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - covered
            if not frontier:
                break
            covered |= frontier
        ids |= set(Department.objects.filter(region_id__in=covered).values_list("id", flat=True))
    return ids
