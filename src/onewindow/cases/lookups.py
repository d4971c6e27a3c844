"""Case rows for the acceptance query (受理信息查询, issue #14 part 8), masked, for a given scope.

Read by ``analytics.selectors.search``, which decides the scope (the viewer's center or
departments) and audits each search. A row is a plain dict: ``kind`` ("case"), ``id``, ``at``
(submitted, else created), ``item``, ``person`` (the applicant masked: 个人信息保护法 art. 51 —
name with its first character, ID number with its first 3 and last 4), ``status`` (label),
``number``, ``link`` (the staff page of the case). Persons are matched by id only: the caller
found them through the keyed hashes, never by decrypting.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from onewindow.core.masking import mask_id_number, mask_name

from .choices import CaseStatus
from .models import Case


def masked_person(person: Any) -> str:
    """A person as the result list shows them: 张* 310***********1234 (empty for none)."""
    if person is None:
        return ""
    return f"{mask_name(person.name)} {mask_id_number(person.id_number)}".strip()


def case_lookup(*, everything: bool = False, department_ids: list[int] | None = None,
                person_ids: list[int] | None = None, item_id: int | None = None, clerk_id: int | None = None,
                since: datetime.datetime, until: datetime.datetime) -> QuerySet[Case]:
    """Cases in scope matching the criteria (``None`` = not a criterion), newest first."""
    cases = Case.objects.exclude(status=CaseStatus.DRAFT).annotate(at=Coalesce("submitted_at", "created_at"))
    if not everything:
        ids = department_ids or []
        cases = cases.filter(Q(receiving_department_id__in=ids) | Q(handling_department_id__in=ids))
    if person_ids is not None:
        cases = cases.filter(Q(applicant_person_id__in=person_ids) | Q(agent_id__in=person_ids))
    if item_id is not None:
        cases = cases.filter(item_id=item_id)
    if clerk_id is not None:
        cases = cases.filter(Q(handler_id=clerk_id) | Q(submitter_id=clerk_id))
    return cases.filter(at__gte=since, at__lt=until).order_by("-at", "-pk")


def case_rows(cases: QuerySet[Case], limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` cases as result rows (two queries)."""
    rows = []
    for case in cases.select_related("applicant_person", "applicant_organization")[:limit]:
        who = masked_person(case.applicant_person) or (
            case.applicant_organization.name if case.applicant_organization is not None else "")
        at = case.at  # type: ignore[attr-defined]
        rows.append({"kind": "case", "id": case.pk, "at": at, "item": case.title, "person": who,
                     "status": str(CaseStatus(case.status).label), "number": case.number or case.query_code,
                     "link": f"/cases/staff/{case.pk}/"})
    return rows
