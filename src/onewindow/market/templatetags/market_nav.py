"""Template helpers of the market registry's navigation."""

from __future__ import annotations

from typing import Any

from django import template

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.choices import StaffRoleKind

register = template.Library()


@register.simple_tag
def may_see_lookup_stats(user: Any) -> bool:
    """Whether the 查询统计 link shows: a system admin or a department admin (the page itself
    checks again, ``exports.lookup_stats_scope``)."""
    if account_perms.is_system_admin(user):
        return True
    return any(r.role == StaffRoleKind.DEPARTMENT_ADMIN for r in account_perms.valid_roles(user))
