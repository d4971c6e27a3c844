"""Which persons a member of staff may see unmasked, and for what purpose (查看目的).

Rule (issue #9; 个人信息保护法 PIPL art. 6 minimum necessary, art. 40-51; GB/T 22239-2019
访问控制): staff see a person's full name, ID number, phone and birth date only where the person
is a party (applicant, agent, submitter, ticket or appointment holder, tax-record party, …) to a
record that the viewer's department or center handles, and that record is open or concluded
within ``ACCOUNTS_UNMASK_SCOPE_DAYS`` (default 90). Registering the person at a window, by the
viewer or a colleague of the same department within that period, also counts.

accounts sits below cases, centers and taxqr, so it cannot ask them directly: each of those apps
registers a *party-scope provider* in its ``AppConfig.ready()``::

    from onewindow.accounts.scope import register_party_scope
    register_party_scope("cases", case_party_scope, order=10)

A provider gets ``(viewer, person)`` (see :class:`Viewer`) and answers, with one indexed query,
the first matching record as a :class:`Purpose`, or None. Providers are asked in registration
order; the first answer wins and is recorded with the view (audit row and the citizen's access
log). Only models of accounts and core are imported here (docs/decisions/0007).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from onewindow.core.models import Department

from . import permissions as perms
from .choices import PurposeKind, StaffRoleKind
from .models import Person, StaffRole, User

#: Roles whose department (or region) forms the unmask scope. A system admin without one of
#: these roles has no scope: administering the system is not handling a case (decision 0007).
SCOPE_ROLES = frozenset({StaffRoleKind.WINDOW_CLERK, StaffRoleKind.REVIEWER, StaffRoleKind.CENTER_MANAGER,
                         StaffRoleKind.DEPARTMENT_ADMIN})
DEFAULT_SCOPE_DAYS = 90


@dataclass(frozen=True)
class Purpose:
    """Why a person is shown unmasked: the record they are a party to (kind + reference such as
    the case number), the department that handles it, and the record's internal id (audit only)."""

    kind: str
    reference: str
    department_id: int | None = None
    record_id: int | None = None

    def as_audit(self) -> dict[str, Any]:
        return {"kind": self.kind, "reference": self.reference, "department_id": self.department_id,
                "record_id": self.record_id}


@dataclass
class Viewer:
    """The member of staff asking, with their scope: ``since`` (records concluded before it are out
    of scope) and ``department_ids`` (a subquery of the departments their scoped roles cover, so a
    provider embeds it in its own single query)."""

    user: User
    since: datetime.datetime
    roles: list[StaffRole] = field(default_factory=list)

    @property
    def since_date(self) -> datetime.date:
        return timezone.localdate(self.since)

    @property
    def department_ids(self) -> QuerySet[Department] | set[int]:
        direct = {r.department_id for r in self.roles if r.department_id is not None}
        regions = {r.region_id for r in self.roles if r.department_id is None and r.region_id is not None}
        if not regions:
            return direct
        # Regions nest three deep (city > district > street): a role scoped to a region covers the
        # departments of the region and of its descendants.
        return Department.objects.filter(
            Q(pk__in=direct) | Q(region_id__in=regions) | Q(region__parent_id__in=regions)
            | Q(region__parent__parent_id__in=regions)).values("pk")  # type: ignore[return-value]


Provider = Callable[[Viewer, Person], Purpose | None]
_PROVIDERS: dict[str, tuple[int, Provider]] = {}


def register_party_scope(name: str, provider: Provider, *, order: int = 100) -> None:
    """Register (or replace, by ``name``) a provider; called from the higher apps' ``ready()``.
    Providers are asked by ascending ``order`` (cases first: a case number is the clearest
    purpose to show the person), whatever the order of INSTALLED_APPS."""
    _PROVIDERS[name] = (order, provider)


def party_scope_providers() -> list[Provider]:
    """The registered providers, in the order they are asked."""
    return [provider for _order, provider in sorted(_PROVIDERS.values(), key=lambda item: item[0])]


def scope_days() -> int:
    return int(getattr(settings, "ACCOUNTS_UNMASK_SCOPE_DAYS", DEFAULT_SCOPE_DAYS))


def viewer_for(user: Any, now: datetime.datetime | None = None) -> Viewer | None:
    """The :class:`Viewer` for a member of staff with at least one scoped role, else None."""
    u = perms.as_user(user)
    if u is None:
        return None
    roles = [r for r in perms.valid_roles(u) if r.role in SCOPE_ROLES]
    if not roles:
        return None
    since = (now or timezone.now()) - datetime.timedelta(days=scope_days())
    return Viewer(user=u, since=since, roles=roles)


def registration_scope(viewer: Viewer, person: Person) -> Purpose | None:
    """The person was registered (实名登记) within the period by the viewer or by a colleague who
    holds a role in one of the viewer's departments. Needs no query when the viewer registered it."""
    if person.created_by_id is None or person.created_at < viewer.since:
        return None
    if person.created_by_id == viewer.user.pk:
        dept = next((r.department_id for r in viewer.roles if r.department_id is not None), None)
        return Purpose(PurposeKind.REGISTRATION, "", dept, person.pk)
    colleague = (StaffRole.objects.filter(user_id=person.created_by_id, valid=True,
                                          department_id__in=viewer.department_ids)
                 .values_list("department_id", flat=True).first())
    if colleague is None:
        return None
    return Purpose(PurposeKind.REGISTRATION, "", colleague, person.pk)


def unmask_purpose_for(user: Any, person: Person, now: datetime.datetime | None = None) -> Purpose | None:
    """The first purpose that puts ``person`` in ``user``'s unmask scope, or None (out of scope)."""
    viewer = viewer_for(user, now)
    if viewer is None:
        return None
    for provider in party_scope_providers():
        purpose = provider(viewer, person)
        if purpose is not None:
            return purpose
    return registration_scope(viewer, person)
