"""一码查询's statement budget (issue #17): the page and the API, a right answer; the failure throttle
is counted before the lookup and given back after a right answer, in the shared cache (the database
cache table in the embedded profile: one statement each, core/throttle.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import Case, CaseEvent
from onewindow.cases.testing import CaseWorld
from onewindow.config.settings.base import cache_settings
from onewindow.core import throttle
from onewindow.core.testing import StatementBudget

pytestmark = pytest.mark.django_db

# The throttle's counting and giving back run in the shared cache: locmem under test (no statement);
# the database cache table in the embedded profile adds one statement for each (DB_CACHE_BUDGET).
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
        assert [(s.action_label, s.to_status_label, s.department.name if s.department else None)
                for s in new.steps] == [(s.get_action_display(), s.get_to_status_display(),
                                         s.department.name if s.department else None) for s in old.steps]
        assert new.due_date is not None


@pytest.fixture
def database_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The embedded profile's shared cache (the database cache table), no occasional cull."""
    monkeypatch.setattr(throttle, "_CULL_SHARE", 0.0)
    with override_settings(CACHES=cache_settings("")):
        call_command("createcachetable", verbosity=0)
        yield
        for cache in caches.all():
            cache.close()


COUNT = (r'^INSERT INTO "onewindow_shared_cache" .* ON CONFLICT .* RETURNING',
         "the failure throttle counts the attempt before the lookup (one upsert, atomic on its row)")
FORGIVE = (r'^UPDATE "onewindow_shared_cache" SET',
           "a right answer: the attempt is given back (one UPDATE)")
STEPS_AND_FORGIVE = (r'^WITH throttle_forgiven AS \(UPDATE "onewindow_shared_cache" SET .* FROM "cases_caseevent"',
                     "PostgreSQL, the API: its public steps, the attempt given back in the same statement")


@pytest.mark.parametrize("path", ["/cases/query/", "/api/v1/cases/query"])
def test_query_budget_with_the_database_cache(case_world: CaseWorld, database_cache: None, path: str) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    fields = {"code": case.query_code, ("tail" if path == "/cases/query/" else "phone_tail"): case.phone_tail}
    merged = path != "/cases/query/" and connection.vendor == "postgresql"  # throttle_forgive_clause
    with StatementBudget([COUNT, BUDGET[0], STEPS_AND_FORGIVE] if merged else [COUNT, *BUDGET, FORGIVE]):
        if path == "/cases/query/":
            response = Client(REMOTE_ADDR="198.51.100.20").post(path, fields)
        else:
            response = Client(REMOTE_ADDR="198.51.100.20").post(path, fields, content_type="application/json")
    assert response.status_code == 200
    assert throttle.throttle_count("cases:query-failures:198.51.100.20") == 0


def test_guessing_is_stopped_with_the_database_cache(case_world: CaseWorld, database_cache: None) -> None:
    """The code is on a paper receipt others may see (10 characters, services/common.new_query_code),
    and the phone's last four digits are only 10,000 guesses: ten wrong answers per address in ten
    minutes, then 429 even for a right one, reading nothing (issue #9 point 4)."""
    case = case_world.in_status(CaseStatus.ACCEPTED)
    wrong = "0000" if case.phone_tail != "0000" else "1111"
    client = Client(REMOTE_ADDR="198.51.100.21")
    for _attempt in range(10):
        response = client.post("/api/v1/cases/query", {"code": case.query_code, "phone_tail": wrong},
                               content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (404, "query_not_found")
    events, status = CaseEvent.objects.filter(case=case).count(), case.status
    with StatementBudget([COUNT]):  # counted, refused: the case is not read
        blocked = client.post("/api/v1/cases/query", {"code": case.query_code, "phone_tail": case.phone_tail},
                              content_type="application/json")
    assert (blocked.status_code, blocked.json()["code"]) == (429, "rate_limited")
    assert blocked["Retry-After"] == "600"  # the window: the client knows when to come back
    assert "number" not in blocked.json()
    assert throttle.throttle_count("cases:query-failures:198.51.100.21") == 11
    assert (CaseEvent.objects.filter(case=case).count(), Case.objects.get(pk=case.pk).status) == (events, status)
    page = client.post("/cases/query/", {"code": case.query_code, "tail": case.phone_tail})
    assert (page.status_code, page["Retry-After"]) == (429, "600")
    other = Client(REMOTE_ADDR="198.51.100.22").post("/api/v1/cases/query", {
        "code": case.query_code, "phone_tail": case.phone_tail}, content_type="application/json")
    assert other.status_code == 200


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_shows_each_step_with_its_labels(case_world: CaseWorld, language: str) -> None:
    from django.utils import translation

    from onewindow.cases import selectors

    case = case_world.in_status(CaseStatus.ACCEPTED)
    html = Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/cases/query/", {"code": case.query_code, "tail": case.phone_tail}).content.decode()
    with translation.override(language):
        steps = selectors.case_by_query_code(case.query_code, case.phone_tail).steps
        shown = [f"<strong>{s.get_action_display()}</strong> → {s.get_to_status_display()}" for s in steps]
    assert len(steps) >= 2
    timeline = html[html.index('id="query-steps"'):html.index("</ol>", html.index('id="query-steps"'))]
    assert [line for line in shown if line in timeline] == shown
    assert timeline.count("<li>") == len(steps)
