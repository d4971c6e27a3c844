"""Reads of access requests (共享申请) and grants (共享授权), always scoped to the reader.

Rule: a request and its grant are read by the two departments concerned — the consumer's
requesters (部门管理员, 数据报送员) and the provider's admins (部门管理员) — and by system admins
(who read everything but act for no department). Everyone else gets nothing (404 on a detail).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.errors import NotFound
from onewindow.core.models import Department

from .. import permissions as perms
from .. import workflow
from ..choices import GrantStatus, RequestAction, RequestStatus, ResourceStatus
from ..models import AccessEvent, AccessRequest, Grant

#: The ``side`` filter of the lists: requests my departments made, or those they decide.
SIDES = ("mine", "to_decide")


def _scope(user: Any, side: str = "") -> Q | None:
    """The Q of what ``user`` reads (None: everything, for a system admin without a side)."""
    consumer = perms.requester_department_ids(user)
    provider = perms.provider_department_ids(user)
    if side == "mine":
        return Q(consumer_department_id__in=consumer)
    if side == "to_decide":
        return Q(resource__provider_department_id__in=provider)
    if account_perms.is_system_admin(user):
        return None
    return Q(consumer_department_id__in=consumer) | Q(resource__provider_department_id__in=provider)


def request_list_for(user: Any, *, side: str = "", status: str = "", q: str = "") -> QuerySet[AccessRequest]:
    """The requests ``user`` may read, newest first: ``side="mine"`` those of the user's
    consumer departments, ``"to_decide"`` those for the user's resources, otherwise both (a
    system admin: all). ``status`` filters (an unknown value matches nothing); ``q`` matches the
    number, the resource code or name."""
    if not perms.is_sharing_reader(user) or (side and side not in SIDES):
        return AccessRequest.objects.none()
    rows = AccessRequest.objects.all()
    scope = _scope(user, side)
    if scope is not None:
        rows = rows.filter(scope)
    if status:
        rows = rows.filter(status=status) if status in RequestStatus.values else rows.none()
    text = " ".join(str(q or "").split())[:100]
    if text:
        rows = rows.filter(Q(number__icontains=text) | Q(resource__code__icontains=text)
                           | Q(version__name__icontains=text))
    return rows.select_related("resource", "version", "consumer_department", "resource__provider_department")


def request_detail_for(user: Any, number: str) -> AccessRequest:
    """One request by its number (404 ``sharing_request_not_found`` when not readable)."""
    rows = request_list_for(user).filter(number=str(number or "")[:20])
    request = rows.select_related("grant").first()
    if request is None:
        raise NotFound(_("找不到该共享申请。"), code="sharing_request_not_found")
    return request


def request_events(request: AccessRequest) -> QuerySet[AccessEvent]:
    return request.events.select_related("by").order_by("created_at", "id")


def request_actions_for(user: Any, request: AccessRequest) -> list[str]:
    """The actions ``user`` may take on the request now (``approve``, ``refuse``, ``withdraw``)."""
    kinds = set()
    if perms.is_provider_of(user, request.resource.provider_department_id):
        kinds.add("provider")
    if perms.is_requester_for(user, request.consumer_department_id):
        kinds.add("requester")
    return [a for a in RequestAction.values if workflow.can(a, request.status) and kinds & workflow.ACTORS[a]]


def grant_list_for(user: Any, *, side: str = "", status: str = "", resource_code: str = "") -> QuerySet[Grant]:
    """The grants ``user`` may read, newest first (``side`` as for requests); ``status`` is
    ``active`` (active and in its period), ``expired`` (active but past its end), ``revoked``."""
    if not perms.is_sharing_reader(user) or (side and side not in SIDES):
        return Grant.objects.none()
    rows = Grant.objects.all()
    scope = _scope(user, side)
    if scope is not None:
        rows = rows.filter(scope)
    today = timezone.localdate()
    if status == "active":
        rows = rows.filter(status=GrantStatus.ACTIVE, valid_to__gte=today)
    elif status == "expired":
        rows = rows.filter(status=GrantStatus.ACTIVE, valid_to__lt=today)
    elif status == GrantStatus.REVOKED:
        rows = rows.filter(status=GrantStatus.REVOKED)
    elif status:
        rows = rows.none()
    if resource_code:
        rows = rows.filter(resource__code=str(resource_code)[:40])
    return rows.select_related("resource", "resource__current", "resource__provider_department",
                               "consumer_department", "request")


def grant_detail_for(user: Any, grant_id: int) -> Grant:
    """One grant by id (404 ``sharing_grant_not_found`` when not readable)."""
    grant = grant_list_for(user).filter(pk=grant_id).first() if 0 < int(grant_id) < 2**63 else None
    if grant is None:
        raise NotFound(_("找不到该共享授权。"), code="sharing_grant_not_found")
    return grant


def grant_state(grant: Grant) -> str:
    """``active``, ``expired`` or ``revoked`` (``not_yet`` before its period starts)."""
    if grant.status == GrantStatus.REVOKED:
        return "revoked"
    today = timezone.localdate()
    if grant.valid_to < today:
        return "expired"
    if grant.valid_from > today:
        return "not_yet"
    return "active"


def grant_for(*, consumer_department: Department | int, resource_code: str, purpose: str) -> Grant | None:
    """The current grant ``consumer_department`` holds for the resource and purpose — active,
    within its period today, the resource published — the newest when several; None otherwise.
    For in-process callers (cases pre-fill, the demo), which then call the exchange with it."""
    today = timezone.localdate()
    department_id = getattr(consumer_department, "pk", consumer_department)
    return (
        Grant.objects.filter(consumer_department_id=department_id, resource__code=resource_code, purpose=purpose,
                             status=GrantStatus.ACTIVE, valid_from__lte=today, valid_to__gte=today,
                             resource__status=ResourceStatus.PUBLISHED)
        .select_related("resource", "resource__current", "consumer_department")
        .order_by("-created_at", "-id")
        .first()
    )
