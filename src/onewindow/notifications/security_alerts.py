"""Security alerts to the system admins, as in-app messages.

accounts cannot import notifications, so it offers hooks; this app fills them in ``ready()``:
``accounts.unmask.register_unmask_alert`` — a staff user went above the soft limit of unmasked
person views in an hour (issue #9, decision 0007). Every system admin (superuser or valid
系统管理员 role, active) gets one in-app message naming the staff user and the count; never any
personal data of the persons viewed. Basis: GB/T 22239-2019 安全审计 (alerts on security
events) and 入侵防范.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User

from .services import message_enqueue

UNMASK_ALERT = "unmask_rate_alert"


def system_admins() -> list[User]:
    """Active superusers and holders of a valid system-admin role."""
    return list(User.objects.filter(Q(is_superuser=True) | Q(staff_roles__role=StaffRoleKind.SYSTEM_ADMIN,
                                                               staff_roles__valid=True), is_active=True)
                .distinct().order_by("pk"))


def unmask_alert_notify(alert: Any) -> None:
    """The accounts.unmask alert hook: one in-app message per system admin, in one transaction."""
    context = {"user": alert.user.get_username(), "count": alert.count, "limit": alert.limit}
    with transaction.atomic():
        for admin in system_admins():
            message_enqueue(event=UNMASK_ALERT, context=context, user=admin, subject_type="accounts.user",
                            subject_id=str(alert.user.pk))
