"""The staff inbox's statement budget (issue #17): one ``GET /api/v1/cases/inbox`` through the API with a
window clerk's token runs the same four statements at 5 rows and at 50, whatever the filter; a filtered
total is counted up to ``inbox.INBOX_COUNT_CAP``; the handling side finds the cases forwarded to the
clerk's body and the scope holds (a clerk of another body sees none); the answer, rendered without the
schema's validation, is the validated answer byte for byte, masking included."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.testing import make_api_token
from onewindow.cases import inbox, selectors, services
from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case
from onewindow.cases.testing import CaseWorld
from onewindow.core.testing import StatementBudget

INBOX = "/api/v1/cases/inbox"
# A due date in a year the holiday package covers, so that no page reads the confirmed calendar years
# (a page whose deadlines reach an uncovered year reads them once more: 期限暂定).
COVERED_DAY = datetime.date(2026, 6, 1)

BUDGET = [
    # One statement since accounts.api_auth reads the owner's roles with the token (the staff check and
    # the scope use them; was a second statement of their own).
    (r'FROM "accounts_apitoken"', "the bearer token, its owner and the owner's roles (authentication, scope)"),
    (r'^SELECT status, COUNT\(\*\) FROM \(SELECT \* FROM', "the counts per open status of the scope (tabs, total)"),
    (r'^SELECT id FROM \(SELECT \* FROM \(SELECT .*UNION ALL', "the page's ids: per side of the scope, merged"),
    # PostgreSQL: related values as one-row subqueries, not joins (its join-order search planned eight tables).
    (r'FROM "cases_case" INNER JOIN "catalog_serviceitem"|^SELECT "cases_case"\."id", .*\(SELECT r0\."code" FROM '
     r'"catalog_serviceitem" r0 WHERE .* FROM "cases_case" WHERE', "the page's rows, item, applicant, bodies, handler"),
]


def clerk_client(world: CaseWorld) -> Client:
    _token, bearer = make_api_token(name="inbox budget", scopes=["cases:read"], owner=world.p.clerk)
    return Client(headers={"Authorization": f"Bearer {bearer}"})


def copies(case: Case, n: int) -> None:
    """``n`` more cases like ``case`` (numbers and query codes of their own), in one statement."""
    rows = []
    for index in range(n):
        case.pk = None
        case.number = f"BUDGET{index:06d}"
        case.query_code = f"Q{index:09d}"
        rows.append(Case(**{f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}))
    Case.objects.bulk_create(rows)


def test_inbox_statements_do_not_grow_with_rows(case_world: CaseWorld) -> None:
    p = case_world.p
    client = clerk_client(case_world)
    for _n in range(5):
        services.case_accept(by=p.clerk, case_id=case_world.submitted().pk)
    Case.objects.update(due_date=COVERED_DAY)
    client.get(INBOX)
    with StatementBudget(BUDGET):
        five = client.get(INBOX).json()
    assert (five["total"], len(five["items"]), five["capped"]) == (5, 5, False)
    copies(Case.objects.filter(status=CaseStatus.ACCEPTED).first(), 50)  # type: ignore[arg-type]
    with StatementBudget(BUDGET):
        page = client.get(INBOX, {"sort": "new"}).json()
    assert (page["total"], len(page["items"]), page["pages"]) == (55, 50, 2)
    ids = [row["id"] for row in page["items"]]
    assert ids == sorted(ids, reverse=True)
    with StatementBudget(BUDGET):
        second = client.get(INBOX, {"sort": "new", "page": "2"}).json()
    every = set(Case.objects.filter(status=CaseStatus.ACCEPTED).values_list("id", flat=True))
    assert {row["id"] for row in second["items"]} == every - set(ids)
    row = page["items"][0]
    assert row["applicant"]["name"].count("*") >= 1  # masked as on every list
    assert row["receiving_department"]["code"] == p.department.code
    assert p.client("clerk_other_department").get(INBOX).json()["total"] == 0


def test_a_finished_status_is_counted_up_to_the_cap(case_world: CaseWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    p = case_world.p
    for _n in range(4):
        services.case_accept(by=p.clerk, case_id=case_world.submitted().pk)
    Case.objects.update(status=CaseStatus.DELIVERED, due_date=None)
    monkeypatch.setattr(inbox, "INBOX_COUNT_CAP", 3)
    client = clerk_client(case_world)
    client.get(INBOX)  # the token's first use is recorded once; the budget is of the requests after it
    capped_count = (r'^SELECT COUNT\(\*\) FROM \(SELECT \* FROM', "the total, counted up to the cap")
    with StatementBudget([*BUDGET[:2], capped_count, *BUDGET[2:]]):
        box = client.get(INBOX, {"status": "delivered"}).json()
    # Only the count stops at the cap (and the pages with it); the page lists what it holds.
    assert (box["total"], box["capped"], box["counts"], box["pages"], len(box["items"])) == (
        3, True, {"delivered": 3}, 1, 4)
    monkeypatch.setattr(inbox, "INBOX_COUNT_CAP", 10)
    box = client.get(INBOX, {"status": "delivered"}).json()
    assert (box["total"], box["capped"], len(box["items"])) == (4, False, 4)


def test_the_handling_side_finds_a_case_received_elsewhere(case_world: CaseWorld) -> None:
    p = case_world.p
    case = case_world.forwarded_case()  # received at the street center, handled by the clerk's bureau
    assert (case.receiving_department, case.handling_department) == (case_world.center, p.department)
    mine = case_world.submitted()
    for user in (p.clerk, p.reviewer, case_world.center_clerk):
        for sort in selectors.INBOX_SORTS:
            rows = selectors.inbox_values_for(user, sort=sort).rows
            assert case.pk in [row["id"] for row in rows], (user, sort)
            assert [row["id"] for row in rows].count(case.pk) == 1
    assert mine.pk not in [row["id"] for row in selectors.inbox_values_for(case_world.center_clerk).rows]
    assert case.pk in [c.pk for c in selectors.inbox_for(p.reviewer, status=case.status).rows]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only; run with DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_the_counts_run_without_parallel_workers_and_leave_the_session_as_it_was() -> None:
    """``inbox._serial``: outside a transaction the count runs with ``max_parallel_workers_per_gather = 0``
    in the same round trip, and the setting ends with it; inside one it runs as it is."""
    setting = "SELECT current_setting('max_parallel_workers_per_gather')"
    with connection.cursor() as cursor:
        cursor.execute(setting)
        before = cursor.fetchone()[0]
        assert before != "0"
        with CaptureQueriesContext(connection) as queries, connection.cursor() as captured:
            assert inbox._serial(captured, setting, []) == [("0",)]
        assert len(queries) == 1  # one round trip
        cursor.execute(setting)
        assert cursor.fetchone()[0] == before
        with transaction.atomic():
            assert inbox._serial(cursor, setting, []) == [(before,)]
