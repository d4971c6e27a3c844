"""一码查询's API answer rendered straight to JSON (issue #17, ``public_query.public_answer``): byte for byte
the answer the validated schema (``schemas.public_out`` through the API's renderer) gives, in Chinese and
English, for a case with steps in several departments and for a case just submitted."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from onewindow.cases import public_query
from onewindow.cases.choices import CaseStatus
from onewindow.cases.schemas import public_out
from onewindow.cases.testing import CaseWorld
from onewindow.config.api import Utf8JsonRenderer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_query_json_is_the_validated_answer(case_world: CaseWorld, language: str) -> None:
    for case in (case_world.in_status(CaseStatus.ACCEPTED), case_world.submitted()):
        response = Client(HTTP_ACCEPT_LANGUAGE=language).post(
            "/api/v1/cases/query", {"code": case.query_code, "phone_tail": case.phone_tail},
            content_type="application/json")
        assert (response.status_code, response["Content-Type"]) == (200, "application/json; charset=utf-8")
        with translation.override(language):
            found = public_query.public_status(case.query_code.lower(), case.phone_tail)
            validated = public_out(found).model_dump()
            assert public_query.public_answer(case.query_code.lower(), case.phone_tail) == Utf8JsonRenderer().render(
                None, validated, response_status=200).encode()  # type: ignore[arg-type]
        assert response.content == Utf8JsonRenderer().render(None, validated, response_status=200).encode()  # type: ignore[arg-type]
        answer = json.loads(response.content)
        assert answer["number"] == case.number and answer["steps"]
        assert {"applicant", "phone_tail", "query_code"}.isdisjoint(answer)


def test_query_errors_keep_their_shape(case_world: CaseWorld) -> None:
    case = case_world.in_status(CaseStatus.ACCEPTED)
    wrong = "0000" if case.phone_tail != "0000" else "1111"
    client = Client(REMOTE_ADDR="198.51.100.30")
    missing = client.post("/api/v1/cases/query", {"code": case.query_code, "phone_tail": wrong},
                          content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (404, "query_not_found")
    invalid = client.post("/api/v1/cases/query", {"code": case.query_code, "phone_tail": "12"},
                          content_type="application/json")
    assert invalid.status_code == 422
