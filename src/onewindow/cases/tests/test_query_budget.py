"""一码查询's statement budget (issue #17): the page and the API, a right answer; the failure throttle
is counted before the lookup and given back after a right answer, in the shared cache (the database
cache table in the embedded profile: a transaction each)."""

from __future__ import annotations

import pytest
from django.test import Client

from onewindow.cases.choices import CaseStatus
from onewindow.cases.testing import CaseWorld
from onewindow.core.testing import StatementBudget

pytestmark = pytest.mark.django_db

# The throttle's counting and giving back run in the shared cache: locmem under test (no statement);
# the database cache table in the embedded profile adds a short write transaction for each.
BUDGET = [
    (r'^SELECT .*"cases_caseclock".*FROM "cases_case"',
     "the case by its code: its public columns, its departments' names and its told due date (one row)"),
    (r'^SELECT .*FROM "cases_caseevent"', "its public steps with their departments"),
]


def test_query_page_budget(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    with StatementBudget(BUDGET):
        response = Client().post("/cases/query/", {"code": case.query_code, "tail": case.phone_tail})
    assert response.status_code == 200


def test_query_api_budget(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    with StatementBudget(BUDGET):
        response = Client().post("/api/v1/cases/query", {"code": case.query_code, "phone_tail": case.phone_tail},
                                 content_type="application/json")
    assert response.status_code == 200


def test_public_status_reads_as_the_selector_does(case_world: CaseWorld) -> None:
    from onewindow.cases import public_query, selectors

    for case in (case_world.in_status(CaseStatus.ACCEPTED), case_world.submitted()):
        new, old = (public_query.public_status(case.query_code.lower(), case.phone_tail),
                    selectors.case_by_query_code(case.query_code.lower(), case.phone_tail))
        assert (new.number, new.title, new.status, new.receiving_department, new.handling_department,
                new.submitted_at, new.due_date, new.is_final) == (
            old.number, old.title, old.status, old.receiving_department, old.handling_department,
            old.submitted_at, old.due_date, old.is_final)
        assert [(s.action, s.to_status, s.department_id, s.created_at) for s in new.steps] == [
            (s.action, s.to_status, s.department_id, s.created_at) for s in old.steps]
        assert new.due_date is not None
