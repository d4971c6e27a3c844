"""Reads of 好差评."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import NotFound, PermissionDenied

from . import permissions
from .models import FollowUp, FollowUpEvent, Rating


def rating_of(subject_type: str, subject_id: str) -> Rating | None:
    """The rating of a subject, if it has been rated."""
    return Rating.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).first()


# ---- 差评回访: the handlers' lists ------------------------------------------------------------------

HANDLER_ROLES = permissions.HANDLER_ROLES


def _regions_under(region_ids: set[int]) -> set[int]:
    """The regions and all their descendants (a district role covers its streets)."""
    from onewindow.core.models import Region

    found, frontier = set(region_ids), set(region_ids)
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - found
        found |= frontier
    return found


def followup_list_for(user: Any, *, status: str = "") -> QuerySet[FollowUp]:
    """差评回访 the user must handle: follow-ups of the departments covered by their department-admin
    or center-manager role (the same scope as accounts.permissions.has_role_in_scope; system admins
    see all). Refused with 403 for anyone holding neither role. Open ones first, by due date."""
    from onewindow.accounts.permissions import is_system_admin, valid_roles

    queryset = FollowUp.objects.select_related("rating", "department").order_by("status", "due_date", "id")
    if status in FollowUp.Status.values:
        queryset = queryset.filter(status=status)
    if is_system_admin(user):
        return queryset
    roles = [r for r in valid_roles(user) if r.role in HANDLER_ROLES]
    if not roles:
        raise PermissionDenied(_("只有责任单位的负责人可以处理差评回访。"), code="followup_forbidden")
    departments = {r.department_id for r in roles if r.department_id is not None}
    regions = _regions_under({r.region_id for r in roles if r.region_id is not None})
    return queryset.filter(Q(department_id__in=departments) | Q(department__region_id__in=regions))


def followups_due_summary(*, department_id: int, today: Any) -> dict[str, int]:
    """差评回访 still to do for one department (a center's receiving department), for the
    management home: ``open`` (not yet closed) and ``overdue`` (past ``due_date``). The caller
    has checked that the viewer handles the department; two counts."""
    qs = FollowUp.objects.filter(department_id=department_id).exclude(status=FollowUp.Status.CLOSED)
    return {"open": qs.count(), "overdue": qs.filter(due_date__lt=today).count()}


@dataclass
class FollowUpView:
    """A follow-up with its rating, a description of what was rated (the service or the case) and
    its timeline (the event rows of each step)."""

    followup: FollowUp
    subject: str
    subject_detail: str
    overdue: bool
    events: list[FollowUpEvent]


def followup_get_for(user: Any, followup_id: Any) -> FollowUpView:
    """One follow-up in the user's scope (404 otherwise — no existence leak), with its timeline."""
    from django.apps import apps

    text = str(followup_id or "")
    pk = int(text) if text.isdigit() and len(text) < 12 else 0
    followup = followup_list_for(user).filter(pk=pk).first()
    if followup is None:
        raise NotFound(_("找不到该差评回访。"), code="followup_not_found")
    rating = followup.rating
    subject, detail = rating.get_subject_type_display(), rating.subject_id
    subject_pk = int(rating.subject_id) if rating.subject_id.isdigit() and len(rating.subject_id) < 12 else 0
    if rating.subject_type == "service":
        ticket = (apps.get_model("centers", "Ticket").objects.select_related("center", "category", "window")
                  .filter(pk=subject_pk).first())
        if ticket is not None:
            window = " · " + str(_("%(n)s 号窗口") % {"n": ticket.window.number}) if ticket.window else ""
            detail = f"{ticket.center.name} · {ticket.date:%Y-%m-%d} {ticket.display} · {ticket.category.name}{window}"
    elif rating.subject_type == "case":
        case = apps.get_model("cases", "Case").objects.filter(pk=subject_pk).first()
        if case is not None:
            detail = f"{case.number or case.query_code} · {case.title}"
    return FollowUpView(followup=followup, subject=str(subject), subject_detail=detail,
                        overdue=followup.status != FollowUp.Status.CLOSED and followup.due_date < timezone.localdate(),
                        events=list(followup.events.order_by("id")))
