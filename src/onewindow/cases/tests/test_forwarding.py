"""三级联动: a case received at a street community center for a district department's item is
forwarded (代收代办); the number stays, both bodies see it, the result comes back for delivery."""

from __future__ import annotations

import pytest

from onewindow.cases import selectors, services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import CaseEvent
from onewindow.cases.testing import CaseWorld
from onewindow.core.errors import Conflict, NotFound, PermissionDenied


def test_street_center_case_is_forwarded_decided_and_delivered_back(case_world: CaseWorld) -> None:
    p, clerk = case_world.p, case_world.center_clerk
    case = case_world.forwarded_case()
    number = case.number
    assert case.receiving_department == case_world.center and case.handling_department == p.department
    assert number is not None and number.startswith("310106-")  # the street's district
    services.case_accept(by=clerk, case_id=case.pk)
    with pytest.raises(Conflict) as excinfo:  # the department cannot start before the case is forwarded
        services.case_start_review(by=p.reviewer, case_id=case.pk)
    assert excinfo.value.code == "case_not_forwarded"
    case = services.case_forward(by=clerk, case_id=case.pk, note="转区市场监管局")
    assert case.status == CaseStatus.FORWARDED and case.number == number
    # Both bodies see it in their inbox; the center clerk may not decide it.
    assert case.pk in [c.pk for c in selectors.inbox_for(clerk).rows]
    assert case.pk in [c.pk for c in selectors.inbox_for(p.reviewer).rows]
    services.case_start_review(by=p.reviewer, case_id=case.pk)
    with pytest.raises(PermissionDenied):
        services.case_approve(by=clerk, case_id=case.pk)
    case = services.case_approve(by=p.reviewer, case_id=case.pk)
    approve = CaseEvent.objects.filter(case=case, action="approve").get()
    assert approve.data["returned_to"] == case_world.center.name
    with pytest.raises(PermissionDenied):  # delivery is the receiving center's
        services.case_deliver(by=p.reviewer, case_id=case.pk, method="window")
    case = services.case_deliver(by=clerk, case_id=case.pk, method="window")
    assert case.status == CaseStatus.DELIVERED and case.number == number
    assert [e.action for e in selectors.timeline_for(p.citizen, case)] == [
        "submit", "accept", "forward", "start_review", "approve", "deliver"]


def test_a_case_received_by_its_own_department_cannot_be_forwarded(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    with pytest.raises(Conflict) as excinfo:
        services.case_forward(by=case_world.p.clerk, case_id=case.pk)
    assert excinfo.value.code == "case_not_forwardable"
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_other_department_clerk_does_not_see_the_case(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.SUBMITTED)
    with pytest.raises(NotFound):
        services.case_accept(by=case_world.p.clerk_other_department, case_id=case.pk)
    with pytest.raises(NotFound):
        selectors.case_get_for(case_world.p.clerk_other_department, case.pk)
    with pytest.raises(NotFound):
        selectors.case_get_for(case_world.p.another_citizen, case.pk)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
