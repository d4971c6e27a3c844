"""List endpoints run a constant number of queries, however many rows they return."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from onewindow.accounts.testing import MandateFactory, PersonFactory, Principals, make_api_token


def queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_mandate_list_queries_do_not_grow_with_rows(principals: Principals) -> None:
    client = principals.client("admin")
    few = queries(client, "/api/v1/accounts/mandates")
    for _ in range(15):
        MandateFactory.create(principal_organization=None, principal_person=PersonFactory.create())
        MandateFactory.create()
    assert queries(client, "/api/v1/accounts/mandates") == few


def test_person_list_queries_do_not_grow_with_rows(principals: Principals) -> None:
    client = principals.client("admin")
    few = queries(client, "/api/v1/accounts/persons")
    PersonFactory.create_batch(25)
    assert queries(client, "/api/v1/accounts/persons") == few


def test_token_list_queries_do_not_grow_with_rows(principals: Principals) -> None:
    client = principals.client("admin")
    few = queries(client, "/api/v1/accounts/tokens")
    for i in range(10):
        make_api_token(name=f"t{i}", scopes=["device"], owner=principals.clerk)
    assert queries(client, "/api/v1/accounts/tokens") == few
