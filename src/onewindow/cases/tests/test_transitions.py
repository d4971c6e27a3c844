"""Every (status, action) pair through the real services: a legal pair moves the case to its
target; an illegal one is refused (409 case_illegal_transition) with nothing changed — same status,
no timeline event, no audit entry, no queued message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from onewindow.cases import services, workflow
from onewindow.cases.choices import CaseStatus, RefusalReason, SuspensionBasis
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.testing import PDF, CaseWorld
from onewindow.core.errors import Conflict, NotFound
from onewindow.core.models import AuditEntry
from onewindow.notifications.models import Message


def _call(world: CaseWorld, action: str, case: Case) -> Case:
    p = world.p
    receiver = world.center_clerk if case.receiving_department_id == world.center.pk else p.clerk
    calls: dict[str, Callable[[], Any]] = {
        "submit": lambda: _attach_and_submit(world, case),
        "start_pre_review": lambda: services.case_start_pre_review(by=receiver, case_id=case.pk),
        "request_correction": lambda: services.case_request_correction(
            by=receiver, case_id=case.pk, items=[{"name": "居民身份证", "reason": "不清晰"}]),
        "resubmit": lambda: services.case_resubmit(by=p.citizen, case_id=case.pk),
        "accept": lambda: services.case_accept(by=receiver, case_id=case.pk),
        "deem_accepted": lambda: services.case_deem_accepted(case_id=case.pk),
        "refuse": lambda: services.case_refuse(by=receiver, case_id=case.pk, reason_code=RefusalReason.OTHER,
                                               reason="不符合受理条件"),
        "forward": lambda: services.case_forward(by=receiver, case_id=case.pk),
        "start_review": lambda: services.case_start_review(by=p.reviewer, case_id=case.pk),
        "suspend": lambda: services.case_suspend(by=p.reviewer, case_id=case.pk, basis=SuspensionBasis.HEARING),
        "resume": lambda: services.case_resume(by=p.reviewer, case_id=case.pk),
        "extend": lambda: services.case_extend(by=p.manager, case_id=case.pk, reason="案情复杂", days=10),
        "approve": lambda: services.case_approve(by=p.reviewer, case_id=case.pk),
        "reject": lambda: services.case_reject(by=p.reviewer, case_id=case.pk, reason="不符合法定条件"),
        "deliver": lambda: services.case_deliver(by=receiver, case_id=case.pk, method="mail"),
        "withdraw": lambda: services.case_withdraw(by=p.citizen, case_id=case.pk),
        "reassign": lambda: services.case_reassign(by=p.manager, case_id=case.pk, handler_id=p.reviewer.pk),
    }
    result: Case = calls[action]()
    return result


def _attach_and_submit(world: CaseWorld, case: Case) -> Case:
    if case.status == CaseStatus.DRAFT:
        material = case.item_version.materials.get(required=True)
        services.case_attach(by=world.p.citizen, case_id=case.pk, name="id.pdf", content=PDF, material_id=material.pk)
    return services.case_submit(by=world.p.citizen, case_id=case.pk)


def _snapshot(case: Case) -> tuple[str, int, int, int]:
    case.refresh_from_db()
    return (case.status, CaseEvent.objects.filter(case=case).count(),
            AuditEntry.objects.filter(target_id=str(case.pk), target_type="cases.case").count(),
            Message.objects.filter(subject_type="case", subject_id=str(case.pk)).count())


@pytest.mark.parametrize("status", CaseStatus.values)
def test_each_action_from_status(case_world: CaseWorld, status: str) -> None:
    base = case_world.in_status(status)
    for action in sorted(workflow.TRANSITIONS):
        if workflow.allowed(status, action):
            if action == "forward" and not base.is_forwarded_case:
                continue  # covered by test_forwarding: only received-for-others cases are forwarded
            if action == "start_review" and status == CaseStatus.ACCEPTED and base.is_forwarded_case:
                continue
            case = case_world.in_status(status)
            result = _call(case_world, action, case)
            expected = workflow.target(status, action)
            assert result.status == expected, (status, action)
            assert CaseEvent.objects.filter(case=case).last().action == action  # type: ignore[union-attr]
        else:
            before = _snapshot(base)
            if status == CaseStatus.DRAFT and not workflow.ACTORS[action] & {"applicant", "system"}:
                # An online draft is invisible to staff until it is submitted.
                with pytest.raises(NotFound) as missing:
                    _call(case_world, action, base)
                assert missing.value.code == "case_not_found", (status, action)
                assert _snapshot(base) == before, (status, action)
                continue
            with pytest.raises(Conflict) as excinfo:
                _call(case_world, action, base)
            assert excinfo.value.code == "case_illegal_transition", (status, action)
            assert excinfo.value.status == 409
            assert _snapshot(base) == before, (status, action)
