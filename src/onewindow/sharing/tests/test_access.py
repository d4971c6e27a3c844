"""Access requests and grants: submit, approve with a scope, refuse, withdraw, revoke, reissue."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from onewindow.accounts.models import parse_token
from onewindow.core.actors import system_actor
from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry
from onewindow.sharing.choices import GrantStatus, RequestStatus
from onewindow.sharing.models import AccessEvent, AccessRequest, DataResource, Grant
from onewindow.sharing.selectors import access as sel
from onewindow.sharing.services import access as svc
from onewindow.sharing.services import catalogue as catalogue_svc
from onewindow.sharing.testing import SharingWorld

TODAY = timezone.localdate()


def _ask(w: SharingWorld, resource: DataResource, by: Any = None, **change: Any) -> tuple[AccessRequest, str | None]:
    kwargs: dict[str, Any] = {
        "consumer_department": w.consumer, "purpose": "case_handling", "purpose_text": "办理食品经营许可时核验企业信息",
        "legal_basis": "《优化营商环境条例》第三十五条", "fields": ["credit_code", "name"],
        "valid_from": TODAY, "valid_to": TODAY + datetime.timedelta(days=180), "rate_per_minute": 30,
    }
    kwargs.update(change)
    return svc.request_submit(by=by or w.consumer_clerk, resource=resource, **kwargs)


def _state() -> tuple[Any, ...]:
    return (AccessRequest.objects.count(), Grant.objects.count(), AccessEvent.objects.count(),
            AuditEntry.objects.count(),
            sorted(AccessRequest.objects.values_list("status", flat=True)),
            sorted(Grant.objects.values_list("status", "token_hash")))


def _refused(call: Any, code: str, status: int) -> DomainError:
    before = _state()
    with pytest.raises(DomainError) as err:
        call()
    assert (err.value.code, err.value.status) == (code, status)
    assert _state() == before
    return err.value


def test_conditional_request_then_approval_with_a_narrower_scope(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    request, token = _ask(w, resource)
    assert token is None
    assert request.status == RequestStatus.SUBMITTED
    assert request.number == f"GX{TODAY.year}000001"
    assert request.fields == ["credit_code", "name"]
    assert request.version_id == resource.current_id
    second, _t = _ask(w, resource, purpose="supervision", fields=["name", "credit_code", "legal_representative"])
    assert second.number == f"GX{TODAY.year}000002"
    assert second.fields == ["credit_code", "name", "legal_representative"]  # the version's order
    grant, token = svc.request_approve(by=w.provider_admin, request=request, fields=["credit_code"],
                                       valid_to=TODAY + datetime.timedelta(days=30), rate_per_minute=10)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert (request.decided_by, request.decided_by_label) == (w.provider_admin, "")
    assert (grant.fields, grant.valid_from, grant.valid_to, grant.rate_per_minute) == (
        ["credit_code"], TODAY, TODAY + datetime.timedelta(days=30), 10)
    assert (grant.consumer_department, grant.purpose, grant.status) == (w.consumer, "case_handling", "active")
    parsed = parse_token(token)
    assert parsed is not None and parsed[0] == grant.token_prefix
    assert svc.grant_authenticate(token) == grant
    assert svc.grant_authenticate(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert svc.grant_authenticate("nonsense") is None
    assert [e.action for e in sel.request_events(request)] == ["submitted", "approved"]
    approve = AuditEntry.objects.get(action="sharing.request_approve")
    assert approve.after == {"status": "approved", "grant_id": grant.pk, "token_prefix": grant.token_prefix,
                             "fields": ["credit_code"], "valid_from": TODAY.isoformat(),
                             "valid_to": (TODAY + datetime.timedelta(days=30)).isoformat(), "rate_per_minute": 10}
    assert token not in str(approve.after)
    assert sel.grant_for(consumer_department=w.consumer, resource_code=resource.code,
                         purpose="case_handling") == grant
    assert sel.grant_for(consumer_department=w.consumer, resource_code=resource.code, purpose="supervision") is None
    assert sel.grant_for(consumer_department=w.outsider, resource_code=resource.code,
                         purpose="case_handling") is None


def test_unconditional_is_granted_at_once_by_the_system(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource(sharing_class="unconditional")
    request, token = _ask(w, resource)
    assert request.status == RequestStatus.APPROVED
    assert (request.decided_by, request.decided_by_label) == (None, "sharing.unconditional")
    assert token is not None
    grant = request.grant
    assert svc.grant_authenticate(token) == grant
    assert grant.fields == ["credit_code", "name"]
    assert [(e.action, e.by_label) for e in sel.request_events(request)] == [
        ("submitted", ""), ("approved", "sharing.unconditional")]


def test_not_shared_cannot_be_requested(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource(sharing_class="not_shared")
    err = _refused(lambda: _ask(w, resource), "sharing_resource_not_shared", 409)
    assert "个人信息保护法" in str(err.message)


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"fields": ["credit_code", "capital"]}, "sharing_fields_unknown", "fields"),
        ({"fields": []}, "sharing_request_invalid", "fields"),
        ({"fields": "credit_code;name"}, "sharing_fields_unknown", "fields"),
        ({"purpose": "marketing"}, "sharing_request_invalid", "purpose"),
        ({"purpose_text": " "}, "sharing_request_invalid", "purpose_text"),
        ({"legal_basis": ""}, "sharing_request_invalid", "legal_basis"),
        ({"valid_to": TODAY - datetime.timedelta(days=1)}, "sharing_request_invalid", "valid_to"),
        ({"valid_from": TODAY - datetime.timedelta(days=10), "valid_to": TODAY - datetime.timedelta(days=2)},
         "sharing_request_invalid", "valid_to"),
        ({"valid_to": TODAY + datetime.timedelta(days=3 * 366 + 1)}, "sharing_request_invalid", "valid_to"),
        ({"valid_from": "2026-02-30"}, "sharing_request_invalid", "valid_from"),
        ({"rate_per_minute": 0}, "sharing_request_invalid", "rate_per_minute"),
        ({"rate_per_minute": "many"}, "sharing_request_invalid", "rate_per_minute"),
    ],
)
def test_submit_refusals(sharing_world: SharingWorld, change: dict[str, Any], code: str, field: str) -> None:
    w = sharing_world
    resource = w.resource()
    err = _refused(lambda: _ask(w, resource, **change), code, 422)
    assert list(err.fields) == [field]


@pytest.mark.parametrize("who", ["provider_admin", "outsider_admin", "clerk", "admin", "citizen"])
def test_only_a_requester_of_the_consumer_submits(sharing_world: SharingWorld, who: str) -> None:
    w = sharing_world
    resource = w.resource()
    _refused(lambda: _ask(w, resource, by=w.user(who)), "sharing_request_forbidden", 403)


def test_submit_state_refusals(sharing_world: SharingWorld) -> None:
    w = sharing_world
    draft = catalogue_svc.resource_create(by=w.provider_admin, provider_department=w.provider, kind="query",
                                          provider="test.entity")
    _refused(lambda: _ask(w, draft), "sharing_resource_not_published", 409)
    resource = w.resource()
    _ask(w, resource)
    _refused(lambda: _ask(w, resource, by=w.consumer_admin), "sharing_request_duplicate", 409)
    catalogue_svc.resource_withdraw(by=w.provider_admin, resource=resource, reason="停止")
    _refused(lambda: _ask(w, resource, purpose="statistics"), "sharing_resource_not_published", 409)


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        ({"fields": ["credit_code", "legal_representative"]}, "fields"),
        ({"valid_from": TODAY - datetime.timedelta(days=1)}, "valid_to"),
        ({"valid_to": TODAY + datetime.timedelta(days=181)}, "valid_to"),
        ({"rate_per_minute": 31}, "rate_per_minute"),
    ],
)
def test_approval_never_widens(sharing_world: SharingWorld, scope: dict[str, Any], field: str) -> None:
    w = sharing_world
    request, _t = _ask(w, w.resource())
    err = _refused(lambda: svc.request_approve(by=w.provider_admin, request=request, **scope),
                   "sharing_scope_wider", 422)
    assert list(err.fields) == [field]


def test_refuse_withdraw_and_their_refusals(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    request, _t = _ask(w, resource)
    _refused(lambda: svc.request_refuse(by=w.provider_admin, request=request, reason=" "),
             "sharing_request_invalid", 422)
    _refused(lambda: svc.request_refuse(by=w.consumer_admin, request=request, reason="不需要"),
             "sharing_request_action_forbidden", 403)
    _refused(lambda: svc.request_withdraw(by=w.provider_admin, request=request),
             "sharing_request_action_forbidden", 403)
    _refused(lambda: svc.request_approve(by=w.consumer_admin, request=request),
             "sharing_request_action_forbidden", 403)
    _refused(lambda: svc.request_approve(by=w.outsider_admin, request=request), "sharing_request_not_found", 404)
    _refused(lambda: svc.request_approve(by=w.admin, request=request), "sharing_request_action_forbidden", 403)
    _refused(lambda: svc.request_approve(by=w.provider_clerk, request=request), "sharing_request_not_found", 404)
    refused = svc.request_refuse(by=w.provider_admin, request=request, reason="用途与共享条件不符")
    assert (refused.status, refused.reason) == ("refused", "用途与共享条件不符")
    _refused(lambda: svc.request_approve(by=w.provider_admin, request=request),
             "sharing_request_illegal_transition", 409)
    other, _t = _ask(w, resource, purpose="statistics")
    withdrawn = svc.request_withdraw(by=w.consumer_admin, request=other)
    assert withdrawn.status == "withdrawn"
    assert [e.action for e in sel.request_events(other)] == ["submitted", "withdrawn"]
    assert list(AuditEntry.objects.filter(action__in=["sharing.request_refuse", "sharing.request_withdraw"])
                .order_by("id").values_list("action", "after")) == [
        ("sharing.request_refuse", {"status": "refused", "reason": "用途与共享条件不符"}),
        ("sharing.request_withdraw", {"status": "withdrawn"})]


def test_revoke_and_reissue(sharing_world: SharingWorld) -> None:
    w = sharing_world
    grant, token = w.grant(w.resource())
    _refused(lambda: svc.grant_revoke(by=w.consumer_admin, grant=grant, reason="x"), "sharing_grant_forbidden", 403)
    _refused(lambda: svc.grant_revoke(by=w.outsider_admin, grant=grant, reason="x"), "sharing_grant_not_found", 404)
    _refused(lambda: svc.grant_revoke(by=w.provider_admin, grant=grant, reason=""), "sharing_request_invalid", 422)
    _refused(lambda: svc.grant_token_reissue(by=w.provider_admin, grant=grant), "sharing_grant_forbidden", 403)
    _refused(lambda: svc.grant_token_reissue(by=w.admin, grant=grant), "sharing_grant_forbidden", 403)
    new = svc.grant_token_reissue(by=w.consumer_clerk, grant=grant)
    assert svc.grant_authenticate(token) is None
    assert svc.grant_authenticate(new) == grant
    revoked = svc.grant_revoke(by=w.provider_admin, grant=grant, reason="使用部门超范围使用")
    assert (revoked.status, revoked.revoke_reason, revoked.revoked_by) == (
        GrantStatus.REVOKED, "使用部门超范围使用", w.provider_admin)
    assert sel.grant_state(revoked) == "revoked"
    _refused(lambda: svc.grant_revoke(by=w.provider_admin, grant=grant, reason="again"),
             "sharing_grant_already_revoked", 409)
    _refused(lambda: svc.grant_token_reissue(by=w.consumer_clerk, grant=grant), "sharing_grant_already_revoked", 409)
    assert [e.action for e in sel.request_events(grant.request)] == ["token_reissued", "revoked"]
    assert sel.grant_for(consumer_department=w.consumer, resource_code=grant.resource.code,
                         purpose=grant.purpose) is None


def test_grant_for_skips_expired_and_withdrawn(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    old, _t = w.grant(resource, valid_from=TODAY - datetime.timedelta(days=40),
                      valid_to=TODAY - datetime.timedelta(days=1))
    assert sel.grant_state(old) == "expired"
    assert sel.grant_for(consumer_department=w.consumer, resource_code=resource.code, purpose="case_handling") is None
    current, _t = w.grant(resource)
    assert sel.grant_for(consumer_department=w.consumer.pk, resource_code=resource.code,
                         purpose="case_handling") == current
    catalogue_svc.resource_withdraw(by=w.provider_admin, resource=resource, reason="停止")
    assert sel.grant_for(consumer_department=w.consumer, resource_code=resource.code, purpose="case_handling") is None


def test_lists_are_scoped(sharing_world: SharingWorld) -> None:
    w = sharing_world
    resource = w.resource()
    mine, _t = _ask(w, resource)
    grant, _t = w.grant(resource, purpose="statistics")
    numbers = lambda user, **kw: sorted(r.number for r in sel.request_list_for(user, **kw))  # noqa: E731
    both = sorted([mine.number, grant.request.number])
    assert numbers(w.consumer_clerk) == both
    assert numbers(w.consumer_clerk, side="mine") == both
    assert numbers(w.consumer_clerk, side="to_decide") == []
    assert numbers(w.provider_admin, side="to_decide") == both
    assert numbers(w.provider_admin, side="to_decide", status="submitted") == [mine.number]
    assert numbers(w.provider_admin, status="bogus") == []
    assert numbers(w.admin) == both
    assert numbers(w.provider_clerk) == []
    assert numbers(w.outsider_admin) == []
    assert numbers(w.citizen) == []
    assert [g.pk for g in sel.grant_list_for(w.consumer_admin, status="active")] == [grant.pk]
    assert [g.pk for g in sel.grant_list_for(w.outsider_admin)] == []
    assert sel.request_actions_for(w.provider_admin, mine) == ["approve", "refuse"]
    assert sel.request_actions_for(w.consumer_clerk, mine) == ["withdraw"]
    assert sel.request_actions_for(w.admin, mine) == []
    with pytest.raises(DomainError) as err:
        sel.request_detail_for(w.outsider_admin, mine.number)
    assert err.value.code == "sharing_request_not_found"
    with pytest.raises(DomainError) as err:
        sel.grant_detail_for(w.provider_clerk, grant.pk)
    assert err.value.code == "sharing_grant_not_found"


def test_system_may_request_for_the_demo(sharing_world: SharingWorld) -> None:
    w = sharing_world
    request, token = _ask(w, w.resource(sharing_class="unconditional"), by=system_actor("sharing.demo"))
    assert request.status == "approved"
    assert request.created_by is None
    assert token is not None
