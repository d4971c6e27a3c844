"""Who may see and act in data sharing (NetBox-style: every read scoped to the user).

- **The catalogue** is public inside the extranet: every member of staff (any staff role) and
  system admins read every published resource; drafts only the provider department's admins.
- **Provider**: a 部门管理员 (department admin) of the resource's provider department publishes
  and withdraws its resources, approves or refuses requests for them and revokes their grants.
- **Requester**: a 部门管理员 or 数据报送员 (data clerk) of the consumer department submits and
  withdraws its department's requests and sees its grants.
- **Logs**: a department's admins read the exchange log entries where their department is the
  consumer or the provider; system admins read every entry and verify the chain but act for no
  department.
- Citizens and enterprises see nothing of this app except, on their own application, which
  fields were pre-filled from which source (through cases).
"""

from __future__ import annotations

from typing import Any

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind

PROVIDER_ROLES: tuple[str, ...] = (StaffRoleKind.DEPARTMENT_ADMIN,)
REQUESTER_ROLES: tuple[str, ...] = (StaffRoleKind.DEPARTMENT_ADMIN, StaffRoleKind.DATA_CLERK)


def is_sharing_reader(user: Any) -> bool:
    """Any member of staff (the catalogue is public inside the extranet) or a system admin."""
    return account_perms.is_system_admin(user) or account_perms.is_staff_member(user)


def provider_department_ids(user: Any) -> set[int]:
    """Departments whose resources the user administers (own roles only, not a system admin's)."""
    return account_perms.departments_of(user, *PROVIDER_ROLES)


def requester_department_ids(user: Any) -> set[int]:
    """Departments for which the user may request access and read grants and logs."""
    return account_perms.departments_of(user, *REQUESTER_ROLES)


def is_provider_of(user: Any, department_id: int) -> bool:
    return department_id in provider_department_ids(user)


def is_requester_for(user: Any, department_id: int) -> bool:
    return department_id in requester_department_ids(user)


def may_read_all_logs(user: Any) -> bool:
    return account_perms.is_system_admin(user)
