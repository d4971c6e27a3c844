"""信息归集 of the platform's own decisions: an approved case's licence is pooled under the holder's
credit code in ``market`` (issue #11 part 3), so regulators see it beside other departments'
licences. Only organizations have a credit code; a person's licence is not pooled (the registry
holds market entities). Called inside the approving transaction: the licence and its pooled record
commit together (nothing lost). The platform itself files the record (``system_actor``), with the
case number as the source record id, so approving again or re-running changes nothing.
"""

from __future__ import annotations

from onewindow.core.actors import system_actor
from onewindow.market.services import records as market_records

from ..choices import DocumentKind
from ..models import Case, Licence


def pool_licence(case: Case, licence: Licence) -> None:
    """File the licence of an approved case with ``market`` (organizations only)."""
    holder = licence.holder_organization
    if holder is None:
        return
    decision = case.documents.filter(kind=DocumentKind.APPROVAL).order_by("-pk").values_list("number", flat=True)
    market_records.licence_record_from_case(
        by=system_actor("cases.case_approve"), case_number=case.number or f"case-{case.pk}",
        credit_code=holder.credit_code,
        department_id=licence.department_id, title=licence.name, decision_number=decision.first() or licence.number,
        issue_date=licence.valid_from, valid_from=licence.valid_from, valid_to=licence.valid_to,
        item_id=case.item_id)
