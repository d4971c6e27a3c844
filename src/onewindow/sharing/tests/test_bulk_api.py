"""The bulk-drop API (/api/v1/sharing/drops): the authorization matrix of each route, the 422 of a
refused drop, and the list shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ..choices import DropStatus, ResourceKind
from ..models import BulkDrop, DatasetRow
from ..services.bulk import drop_receive
from .test_bulk_world import BulkWorld, bulk, csv_bytes, make_resource, person_row, sha256

__all__ = ["bulk"]
pytestmark = pytest.mark.django_db
URL = "/api/v1/sharing/drops"


def post(client: Client, world: BulkWorld, content: bytes, *, name: str = "persons.csv",
         resource: str = "", **overrides: str) -> Any:
    signed = world.sign(content)
    data = {"resource": resource or world.resource.code, "sha256": signed["declared_sha256"],
            "kid": signed["kid"], "signature": signed["signature"], **overrides,
            "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    return client.post(URL, data=data)


#: Who may send a drop for the provider department's dataset, and what everyone else is told.
POST_MATRIX = {
    "anonymous": (401, "unauthenticated"),
    "citizen": (403, "sharing_staff_only"),
    "clerk": (403, "sharing_drop_forbidden"),
    "outsider_admin": (403, "sharing_drop_forbidden"),
    "consumer_admin": (403, "sharing_drop_forbidden"),
    "consumer_clerk": (403, "sharing_drop_forbidden"),
    "admin": (403, "sharing_drop_forbidden"),
    "provider_clerk": (201, None),
    "provider_admin": (201, None),
    "clerk_token": (201, None),
    "provider_token": (201, None),
    "provider_readonly": (403, "insufficient_scope"),
    "readonly_token": (403, "insufficient_scope"),
    "token": (403, "sharing_drop_forbidden"),
    "ownerless": (403, "token_without_user"),
    "device": (403, "insufficient_scope"),
}


@pytest.mark.parametrize("name", list(POST_MATRIX))
def test_post_drops_authorization_matrix(bulk: BulkWorld, name: str) -> None:
    status, code = POST_MATRIX[name]
    response = post(bulk.client(name), bulk, csv_bytes([person_row()]))
    assert response.status_code == status, response.content
    body = response.json()
    if code is None:
        assert (body["status"], body["rows_created"], body["changed"]) == (DropStatus.LOADED, 1, True)
        assert body["resource_code"] == bulk.resource.code and body["signed"] is True
        assert (BulkDrop.objects.count(), DatasetRow.objects.count()) == (1, 1)
    else:
        assert body["code"] == code
        assert (BulkDrop.objects.count(), DatasetRow.objects.count()) == (0, 0)


def _drops(world: BulkWorld) -> tuple[BulkDrop, BulkDrop]:
    """A loaded drop of the provider department and one of the outsider department."""
    clerk, outsider = world.w.provider_clerk, world.w.outsider_admin
    first = csv_bytes([person_row()])
    mine = drop_receive(by=clerk, resource=world.resource, file_name="a.csv", content=first, **world.sign(first))
    other_resource = make_resource(world.w.outsider)
    content = csv_bytes([person_row()])
    theirs = drop_receive(by=outsider, resource=other_resource, file_name="b.csv",
                          content=content, declared_sha256=sha256(content), kid="", signature="x")
    return mine, theirs


#: What each principal sees of the two drops: (ids in the list as names, detail status of mine, of theirs).
READ_MATRIX: dict[str, tuple[int, list[str], int, int]] = {
    "anonymous": (401, [], 401, 401),
    "citizen": (403, [], 403, 403),
    "clerk": (200, [], 404, 404),
    "consumer_admin": (200, [], 404, 404),
    "outsider_admin": (200, ["theirs"], 404, 200),
    "provider_clerk": (200, ["mine"], 200, 404),
    "provider_admin": (200, ["mine"], 200, 404),
    "admin": (200, ["theirs", "mine"], 200, 200),
    "provider_readonly": (200, ["mine"], 200, 404),
    "clerk_token": (200, ["mine"], 200, 404),
    "readonly_token": (200, [], 404, 404),
    "ownerless": (403, [], 403, 403),
    "device": (403, [], 403, 403),
}


@pytest.mark.parametrize("name", list(READ_MATRIX))
def test_get_drops_authorization_matrix(bulk: BulkWorld, name: str) -> None:
    mine, theirs = _drops(bulk)
    ids = {mine.pk: "mine", theirs.pk: "theirs"}
    list_status, seen, mine_status, theirs_status = READ_MATRIX[name]
    client = bulk.client(name)
    listed = client.get(URL)
    assert listed.status_code == list_status
    if list_status == 200:
        body = listed.json()
        assert [ids[item["id"]] for item in body["items"]] == seen
        assert (body["total"], body["page"], body["pages"]) == (len(seen), 1, 1)
    mine_answer, theirs_answer = client.get(f"{URL}/{mine.pk}"), client.get(f"{URL}/{theirs.pk}")
    assert (mine_answer.status_code, theirs_answer.status_code) == (mine_status, theirs_status)
    if mine_status == 404:
        assert mine_answer.json()["code"] == "sharing_drop_not_found"


def test_a_refused_drop_is_answered_422_with_its_code_and_the_stored_drop(bulk: BulkWorld) -> None:
    content = csv_bytes([person_row()])
    response = post(bulk.client("provider_clerk"), bulk, content, sha256="0" * 64)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "sharing_drop_checksum" and body["message"].startswith("文件校验值（SHA-256）与声明的不符")
    drop = BulkDrop.objects.get()
    assert body["fields"] == {"file": [body["message"]], "drop_id": [str(drop.pk)]}
    assert response["Location"] == f"{URL}/{drop.pk}"
    stored = bulk.client("provider_clerk").get(response["Location"]).json()
    assert (stored["status"], stored["refusal_code"]) == (DropStatus.REFUSED, "sharing_drop_checksum")
    assert stored["refusal_message"] == body["message"] and stored["actual_sha256"] == sha256(content)
    assert DatasetRow.objects.count() == 0


def test_wrong_columns_are_answered_422_naming_them(bulk: BulkWorld) -> None:
    response = post(bulk.client("provider_clerk"), bulk, csv_bytes([person_row()], header=["id_number", "x"]))
    assert (response.status_code, response.json()["code"]) == (422, "sharing_drop_schema")
    assert "未知列：x" in response.json()["message"]
    assert DatasetRow.objects.count() == 0


def test_an_unknown_resource_is_404_and_a_query_resource_409(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    missing = post(client, bulk, csv_bytes([person_row()]), resource="NOPE-0001")
    assert (missing.status_code, missing.json()["code"]) == (404, "sharing_resource_not_found")
    query = make_resource(bulk.department, kind=ResourceKind.QUERY)
    refused = post(client, bulk, csv_bytes([person_row()]), resource=query.code)
    assert (refused.status_code, refused.json()["code"]) == (409, "sharing_drop_not_dataset")
    assert BulkDrop.objects.count() == 0


def test_the_same_file_twice_says_it_changed_nothing_and_which_drop_it_repeated(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    content = csv_bytes([person_row(), person_row()])
    first = post(client, bulk, content).json()
    second = post(client, bulk, content).json()
    assert (second["changed"], second["rows_unchanged"], second["repeat_of"]) == (False, 2, first["id"])
    assert first["repeat_of"] is None


def test_the_list_filters_by_resource_and_status_and_refuses_an_unknown_status(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    post(client, bulk, csv_bytes([person_row()]))
    post(client, bulk, csv_bytes([person_row()]), sha256="0" * 64)
    other = make_resource(bulk.department)
    post(client, bulk, csv_bytes([person_row()]), resource=other.code)
    assert client.get(URL, {"status": "refused"}).json()["total"] == 1
    assert client.get(URL, {"resource": other.code}).json()["total"] == 1
    assert client.get(URL).json()["total"] == 3
    wrong = client.get(URL, {"status": "nope"})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "invalid_filter")


def test_the_list_costs_the_same_queries_for_one_drop_as_for_many(bulk: BulkWorld) -> None:
    client = bulk.client("provider_clerk")
    post(client, bulk, csv_bytes([person_row()]))
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for _ in range(5):
        post(client, bulk, csv_bytes([person_row()]))
    with CaptureQueriesContext(connection) as six:
        assert client.get(URL).json()["total"] == 6
    assert len(six.captured_queries) == len(one.captured_queries)
