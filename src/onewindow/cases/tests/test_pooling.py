"""信息归集: the platform's own approved licences land in the market pool under the holder's credit code."""

from __future__ import annotations

import pytest

from onewindow.cases import services
from onewindow.cases.testing import CaseWorld
from onewindow.market.models import PooledRecord

pytestmark = pytest.mark.django_db


def _approve(w: CaseWorld, case_id: int) -> None:
    services.case_accept(by=w.p.clerk, case_id=case_id)
    services.case_start_review(by=w.p.reviewer, case_id=case_id)
    services.case_approve(by=w.p.reviewer, case_id=case_id, licence_name="食品经营许可证")


def test_an_organizations_approved_licence_is_pooled_under_its_credit_code(case_world: CaseWorld) -> None:
    w = case_world
    org = w.p.organization
    case = w.submitted(by=w.p.agent, applicant_organization=org)
    _approve(w, case.pk)
    case.refresh_from_db()
    record = PooledRecord.objects.get()
    assert (record.kind, record.source_id, record.credit_code, record.entity_id, record.department_id,
            record.title, record.number, record.channel) == (
        "licence", case.number, org.credit_code, org.pk, case.handling_department_id, "食品经营许可证",
        case.documents.get(kind="approval").number, "case")
    assert (record.valid_from, record.valid_to) == (case.licence.valid_from, None)


def test_a_persons_licence_is_not_pooled(case_world: CaseWorld) -> None:
    w = case_world
    case = w.submitted()
    _approve(w, case.pk)
    assert PooledRecord.objects.count() == 0
