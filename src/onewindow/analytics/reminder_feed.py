"""Reminders fed by item decisions (提醒管理, issue #14 part 6): proposals awaiting a decision.

Each proposal still 待部门决定 reminds the department admins whose role covers the item's department
(the deciders, ``selectors.decisions.may_decide``) — not system admins, who may decide but are not
the department. It resolves when the proposal is accepted, rejected or cancelled. No due time: the
seed sets no clock for 事项准入 decisions. Run by the scheduler (``analytics.reminders_sync``) and
once by the demo; idempotent.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_tasks import task

from onewindow.accounts.choices import StaffRoleKind
from onewindow.accounts.models import User
from onewindow.accounts.permissions import has_role_in_scope
from onewindow.notifications.choices import ReminderKind
from onewindow.notifications.services import ReminderWant, reminders_sync

from .choices import ProposalAction, ProposalStatus
from .models import ItemProposal

ROLES = [StaffRoleKind.DEPARTMENT_ADMIN]


def proposal_wants() -> list[ReminderWant]:
    """The reminders that should exist now (see the module docstring)."""
    proposals = (ItemProposal.objects.filter(status=ProposalStatus.PROPOSED)
                 .select_related("item__department", "center").order_by("proposed_at", "pk"))
    admins = list(User.objects.filter(staff_roles__valid=True, is_active=True, staff_roles__role__in=ROLES)
                  .distinct().order_by("pk"))
    deciders: dict[int, list[User]] = {}
    wants: list[ReminderWant] = []
    for proposal in proposals:
        department = proposal.item.department
        if department.pk not in deciders:
            deciders[department.pk] = [u for u in admins if has_role_in_scope(u, ROLES, department=department)]
        for user in deciders[department.pk]:
            wants.append(ReminderWant(
                user=user, source_key=f"proposal:{proposal.pk}",
                title=_("事项调整建议待决定：%(item)s（建议%(action)s）") % {
                    "item": proposal.item.name, "action": ProposalAction(proposal.action).label},
                detail=_("%(center)s，%(start)s至%(end)s办件%(volume)s件。") % {
                    "center": proposal.center.name, "start": proposal.window_start.isoformat(),
                    "end": proposal.window_end.isoformat(), "volume": proposal.volume},
                link=f"/analytics/decisions/proposals/{proposal.pk}/"))
    return wants


def analytics_reminders_feed() -> dict[str, int]:
    """One run of the proposal feed."""
    return reminders_sync(kind=ReminderKind.ITEM_PROPOSAL, key_prefix="proposal:", wanted=proposal_wants())


@task()
def analytics_reminders_sync() -> dict[str, int]:
    """The periodic run of the proposal feed (analytics/schedules.py)."""
    return analytics_reminders_feed()
