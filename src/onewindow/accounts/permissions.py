"""Who may do what in accounts: role checks and ``restrict(user, action)``-style querysets.

Rule (ARCHITECTURE rule 6 and 8; 个人信息保护法 PIPL art. 40-51: access to personal information
is limited to what a duty needs): a citizen sees their own person and the principals of their
valid mandates; an enterprise agent sees their organization; staff see other persons only
through explicit lookups; system admins see everything.

Only models are imported here, so selectors, services and the API may all use these checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
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


def valid_roles(user: Any) -> list[StaffRole]:
    """The user's valid staff roles (cached on the user object for one request)."""
    u = as_user(user)
    if u is None:
        return []
    cached = u.__dict__.get(_ROLES_CACHE)
    if cached is None:
        cached = list(StaffRole.objects.filter(user=u, valid=True).select_related("department", "region"))
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
