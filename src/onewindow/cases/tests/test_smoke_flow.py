"""The main path through the real services: apply online → accept → review → approve → deliver."""

from __future__ import annotations

from onewindow.cases import services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import CaseEvent, Licence
from onewindow.cases.testing import CaseWorld
from onewindow.notifications.models import Message


def test_online_case_from_draft_to_delivery(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.submitted()
    assert case.status == CaseStatus.SUBMITTED
    assert case.number is not None and case.number.startswith("310106-")
    case = services.case_accept(by=p.clerk, case_id=case.pk)
    case = services.case_start_review(by=p.reviewer, case_id=case.pk)
    case = services.case_approve(by=p.reviewer, case_id=case.pk)
    case = services.case_deliver(by=p.clerk, case_id=case.pk, method="electronic")
    assert case.status == CaseStatus.DELIVERED
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["create", "submit", "accept", "start_review", "approve", "deliver"]
    assert Licence.objects.get(case=case).holder_person_id == p.citizen.person_id
    assert Message.objects.filter(subject_type="case", subject_id=str(case.pk)).count() > 0
