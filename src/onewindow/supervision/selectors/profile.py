"""The sections supervision adds to a market entity's profile page (issue #11 "later, sanctions
and alerts"; issue #12 parts 6 and 8), registered in ``market.profile_sections`` from
``SupervisionConfig.ready()`` because ``market`` may not import ``supervision``.

- **监管预警** (:func:`profile_alerts`): the entity's alerts not yet closed, for supervision staff
  of any department and system admins (信息共享: any supervising department reads an alert, only
  its owner department acts on it; ``selectors.alerts``). One statement.
- **抽查检查结果** (:func:`profile_inspections`): the entity's 双随机 inspections with the results per
  item — plan number, date, item, outcome, rectification deadline (责令整改的期限), re-inspection.
  A regulator or department admin of a department taking part in the plan (lead or partner), and
  a system admin, see every inspection and result, published or not: enforcement work of their
  own plan. Other supervision staff — a data clerk (数据报送员) who reports data, or another
  department's regulator — see only results already published under 一公开 (DOMAIN.md R4.5: the
  names wait until the inspection ends so that nobody is tipped off; what is published is public
  anyway). Anyone else sees neither section. Two statements (inspections, results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch

from onewindow.accounts import permissions as account_perms
from onewindow.accounts.models import Organization

from .. import permissions as perms
from ..models import Alert, Inspection, InspectionResult
from .alerts import open_alerts_for_organization

#: Inspections shown on the profile, newest plan first (the full history is on the plans' pages).
PROFILE_INSPECTIONS = 20
ALERTS_KEY = "supervision_alerts"
INSPECTIONS_KEY = "supervision_inspections"


def profile_alerts(user: Any, organization: Organization) -> dict[str, list[Alert]] | None:
    """监管预警 on the profile: the open and acknowledged alerts, newest first; None (not shown)
    for anyone but supervision staff and system admins."""
    if not perms.is_supervision_staff(user):
        return None
    return {"alerts": open_alerts_for_organization(user, organization.pk)}


@dataclass
class ProfileInspection:
    """One inspection as the viewer sees it: ``full`` for a participating department's
    regulator or admin (every result, a link to the inspection), else the published results."""

    inspection: Inspection
    full: bool
    results: list[InspectionResult] = field(default_factory=list)


def enforcement_department_codes(user: Any) -> set[str]:
    """Codes of the departments where ``user`` is a regulator or department admin (cached roles)."""
    return {
        role.department.code
        for role in account_perms.valid_roles(user)
        if role.role in perms.CLAIM_ROLES and role.department is not None
    }


def profile_inspections(user: Any, organization: Organization) -> dict[str, list[ProfileInspection]] | None:
    """抽查检查结果 on the profile (see the module docstring for who sees what); None (not shown)
    for anyone but supervision staff and system admins."""
    if not perms.is_supervision_staff(user):
        return None
    admin = account_perms.is_system_admin(user)
    own = enforcement_department_codes(user)
    results = InspectionResult.objects.select_related("check_item", "department").order_by(
        "department_id", "check_item__sort_order", "check_item__code"
    )
    rows = (
        Inspection.objects.filter(organization_id=organization.pk)
        .select_related("plan__department")
        .prefetch_related(Prefetch("results", queryset=results))
        .order_by("-plan__inspection_ends_on", "-plan_id")[:PROFILE_INSPECTIONS]
    )
    shown: list[ProfileInspection] = []
    for inspection in rows:
        plan = inspection.plan
        full = admin or bool(own & ({plan.department.code} | {str(c) for c in plan.departments or []}))
        visible = [r for r in inspection.results.all() if full or r.published_at is not None]
        if full or visible:
            shown.append(ProfileInspection(inspection=inspection, full=full, results=visible))
    return {"inspections": shown}
