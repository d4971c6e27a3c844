"""Request bodies over the size limits answer 413, never 500 (issue #9 point 8).

API clients get the error shape ``{code, message, fields}``; browsers get a 413 page. Nothing is
written: no case, no file, no login attempt.
"""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

TOO_LARGE = {"code": "request_too_large", "message": "提交的内容过大或字段过多，请精简后重试。", "fields": {}}

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return (apps.get_model("cases", "Case").objects.count(),
            apps.get_model("cases", "CaseMaterial").objects.count(), AccessAttempt.objects.count())


def test_an_api_json_body_over_the_limit_is_413_in_the_error_shape(principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = principals.client("citizen")
    before = counts()
    response = client.post("/api/v1/cases/", data=json.dumps({"item": 1, "note": "字" * 2000}),
                           content_type="application/json")
    assert (response.status_code, response["Content-Type"]) == (413, "application/json; charset=utf-8")
    assert response.json() == TOO_LARGE
    assert counts() == before


def test_an_api_form_with_too_many_fields_is_413_in_the_error_shape(principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    before = counts()
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    response = principals.client("citizen").post("/api/v1/cases/1/files",
                                                  {"file": upload, **{f"f{i}": "x" for i in range(60)}})
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert counts() == before


def test_a_file_upload_over_the_request_limit_is_413_before_it_is_read(principals, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_MAX_REQUEST_BYTES = 4000
    before = counts()
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 8000, content_type="application/pdf")
    response = principals.client("citizen").post("/api/v1/cases/1/files", {"file": upload})
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    page = principals.client("citizen").post(
        "/cases/1/files/", {"file": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 8000)})
    assert page.status_code == 413
    assert counts() == before


@pytest.mark.parametrize("body", ["large", "many"])
def test_a_browser_form_over_the_limit_gets_a_413_page(settings, body: str) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    data = ({"username": "a" * 3000, "password": "x"} if body == "large"
            else {"username": "a", "password": "x", **{f"f{i}": "x" for i in range(60)}})
    before = counts()
    response = Client().post("/accounts/login/", data)
    assert response.status_code == 413
    assert "413.html" in [t.name for t in response.templates]
    assert 'data-code="request_too_large"' in response.content.decode()
    assert counts() == before
