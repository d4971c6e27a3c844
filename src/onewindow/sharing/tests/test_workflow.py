"""The request workflow: every action from every status, by its legal actor, through the services.

The table (``workflow.TRANSITIONS``) is checked against the services: where the table allows an
action the service moves the request to the target; where it does not, the service answers 409
``sharing_request_illegal_transition`` and writes nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.sharing import workflow
from onewindow.sharing.choices import RequestAction, RequestStatus
from onewindow.sharing.models import AccessEvent, AccessRequest, Grant
from onewindow.sharing.services import access as svc
from onewindow.sharing.testing import SharingWorld


def test_table_shape() -> None:
    assert {a: (sorted(t.sources), t.target) for a, t in workflow.TRANSITIONS.items()} == {
        "approve": (["submitted"], "approved"),
        "refuse": (["submitted"], "refused"),
        "withdraw": (["submitted"], "withdrawn"),
    }
    assert {a: sorted(k) for a, k in workflow.ACTORS.items()} == {
        "approve": ["provider", "system"], "refuse": ["provider"], "withdraw": ["requester"]}
    for action in RequestAction.values:
        assert [s for s in RequestStatus.values if workflow.can(action, s)] == ["submitted"]
    assert not workflow.can("revoke", "submitted")


def _request_in(w: SharingWorld, status: str) -> AccessRequest:
    today = timezone.localdate()
    request, _t = svc.request_submit(
        by=w.consumer_clerk, resource=w.resource(), consumer_department=w.consumer, purpose="case_handling",
        purpose_text="办件核验", legal_basis="《优化营商环境条例》", fields=["credit_code"], valid_from=today,
        valid_to=today + datetime.timedelta(days=10), rate_per_minute=5)
    if status == RequestStatus.APPROVED:
        svc.request_approve(by=w.provider_admin, request=request)
    elif status == RequestStatus.REFUSED:
        svc.request_refuse(by=w.provider_admin, request=request, reason="不符合条件")
    elif status == RequestStatus.WITHDRAWN:
        svc.request_withdraw(by=w.consumer_clerk, request=request)
    request.refresh_from_db()
    assert request.status == status
    return request


def _act(w: SharingWorld, action: str, request: AccessRequest) -> Any:
    if action == RequestAction.APPROVE:
        return svc.request_approve(by=w.provider_admin, request=request)
    if action == RequestAction.REFUSE:
        return svc.request_refuse(by=w.provider_admin, request=request, reason="不符合条件")
    return svc.request_withdraw(by=w.consumer_clerk, request=request)


@pytest.mark.parametrize("status", RequestStatus.values)
@pytest.mark.parametrize("action", RequestAction.values)
def test_every_action_from_every_status(sharing_world: SharingWorld, action: str, status: str) -> None:
    w = sharing_world
    request = _request_in(w, status)
    if workflow.can(action, status):
        _act(w, action, request)
        request.refresh_from_db()
        assert request.status == workflow.target(action)
        assert Grant.objects.filter(request=request).exists() == (action == RequestAction.APPROVE)
        return
    before = (request.status, AccessEvent.objects.count(), AuditEntry.objects.count(), Grant.objects.count())
    with pytest.raises(DomainError) as err:
        _act(w, action, request)
    assert (err.value.code, err.value.status) == ("sharing_request_illegal_transition", 409)
    request.refresh_from_db()
    assert (request.status, AccessEvent.objects.count(), AuditEntry.objects.count(),
            Grant.objects.count()) == before
