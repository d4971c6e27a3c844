"""Who may see and write the market-entity registry (市场主体库).

信息共享 (issue #11 part 4; seed article 事中事后综合监管): every supervising department's staff may
look up any entity — a 监管人员 (regulator), a 数据报送员 (data clerk) or a 部门管理员 of any
department, and the system admin. Window clerks and reviewers handle applications, not
supervision: they do not see the registry. Writes to the registry (registration, changes, status,
the bulk import) belong to the registration authority (登记机关, the 市场监督管理局): its data
clerks and department admins (departments named by ``MARKET_REGISTRAR_DEPARTMENTS``, by default
every department whose code ends in ``-SCJG``), and the system admin.

The legal representative's ID number and phone are personal information (PIPL arts. 28, 51):
only a regulator or a department admin unmasks them, never a data clerk, a system admin without
such a role (administering the system is not supervising; decision 0007) or a machine.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import StaffRole

VIEW_ROLES = frozenset({StaffRoleKind.REGULATOR, StaffRoleKind.DATA_CLERK, StaffRoleKind.DEPARTMENT_ADMIN})
WRITE_ROLES = frozenset({StaffRoleKind.DATA_CLERK, StaffRoleKind.DEPARTMENT_ADMIN})
UNMASK_ROLES = frozenset({StaffRoleKind.REGULATOR, StaffRoleKind.DEPARTMENT_ADMIN})
REGISTRAR_SUFFIX = "-SCJG"


def _is_registrar(department_code: str) -> bool:
    codes = getattr(settings, "MARKET_REGISTRAR_DEPARTMENTS", None)
    if codes is not None:
        return department_code in codes
    return department_code.endswith(REGISTRAR_SUFFIX)


def _roles(user: Any, roles: frozenset[str]) -> list[StaffRole]:
    return [r for r in account_perms.valid_roles(user) if r.role in roles]


def can_view_registry(user: Any) -> bool:
    """A supervising role of any department, or the system admin."""
    return account_perms.is_system_admin(user) or bool(_roles(user, VIEW_ROLES))


def can_write_registry(user: Any) -> bool:
    """A data clerk or department admin of a registration authority, or the system admin."""
    if account_perms.is_system_admin(user):
        return True
    return any(r.department is not None and _is_registrar(r.department.code) for r in _roles(user, WRITE_ROLES))


def can_unmask_legal_rep(user: Any) -> bool:
    """A regulator or department admin (the system admin only with such a role)."""
    return bool(_roles(user, UNMASK_ROLES))


def lookup_department_id(user: Any) -> int | None:
    """The department a lookup is recorded for (等保 per-department audit): the first department
    of the viewer's supervising roles, None for a system admin without one."""
    for role in _roles(user, VIEW_ROLES):
        if role.department_id is not None:
            return role.department_id
    return None
