"""One toolkit for every app's API (issue #10 part 4): one list shape, one not-found code
convention, one answer for a token without an owner.

- Every list operation answers ``{items, total, page, pages}`` (core.schemas.PageOut), never a bare
  JSON array; the OpenAPI document says so for every operation.
- Every 404 that a service or selector raises has a code ``<entity>_not_found`` (decision 0013); the
  bare ``not_found`` is only the answer for an unknown path.
- A machine token without an owner (a system or a device) that has the scope of an operation that
  acts for a person gets the same answer in every app: 403 ``token_without_user`` (a valid
  credential without the needed identity is a 403, not a 401).
"""

from __future__ import annotations

import ast
import pathlib
import re
from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.testing import make_api_token
from onewindow.config.api import api

SRC = pathlib.Path(__file__).resolve().parent.parent / "src" / "onewindow"
LIST_KEYS = {"items", "total", "page", "pages"}


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def test_every_list_operation_answers_the_list_shape() -> None:
    document = api.get_openapi_schema()
    bare, checked = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("responses", {}).get(200, operation.get("responses", {}).get("200", {}))
            schema = content.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            schema = _resolve(schema, document)
            if schema.get("type") == "array":
                bare.append(f"{method.upper()} {path}")
            elif "items" in schema.get("properties", {}):
                checked += 1
                assert set(schema["properties"]) >= LIST_KEYS, f"{method.upper()} {path}: {schema['properties']}"
                assert _resolve(schema["properties"]["items"], document).get("type") == "array", path
    assert bare == []
    assert checked >= 15


def _not_found_codes() -> list[tuple[str, int, str]]:
    """(file, line, code) of every NotFound(...) raised, and of every DomainError with status=404."""
    found = []
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            keywords = {k.arg: k.value for k in node.keywords}
            status = keywords.get("status")
            is_404 = name == "NotFound" or (isinstance(status, ast.Constant) and status.value == 404)
            if not is_404 or path.name == "errors.py":
                continue
            code = keywords.get("code")
            if code is not None and not isinstance(code, ast.Constant):
                continue  # passed through from the caller (centers.services.setup._locked), checked there
            value = code.value if isinstance(code, ast.Constant) else "<default not_found>"
            found.append((str(path.relative_to(SRC)), node.lineno, str(value)))
    return found


def test_every_not_found_code_names_its_entity() -> None:
    codes = _not_found_codes()
    assert len(codes) > 40
    wrong = [c for c in codes if not re.fullmatch(r"[a-z]+(_[a-z]+)*_not_found", c[2]) or c[2] == "not_found"]
    assert wrong == []


OWNERLESS_CALLS = [
    ("get", "/api/v1/cases/inbox", "cases:read"),
    ("get", "/api/v1/cases/", "cases:read"),
    ("post", "/api/v1/centers/windows/1/call-next", "centers"),
    ("get", "/api/v1/notifications/messages", "notifications:read"),
    ("get", "/api/v1/taxqr/drafts", "taxqr:read"),
]


@pytest.mark.django_db
def test_a_token_without_an_owner_gets_the_same_answer_in_every_app() -> None:
    scopes = sorted({scope for _m, _p, scope in OWNERLESS_CALLS})
    _token, secret = make_api_token(name="无主系统", scopes=scopes, system_name="bridge")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    answers = {}
    for method, path, _scope in OWNERLESS_CALLS:
        response = getattr(client, method)(path, data="{}", content_type="application/json") if method == "post" \
            else client.get(path)
        answers[f"{method.upper()} {path}"] = (response.status_code, response.json()["code"])
    assert answers == {key: (403, "token_without_user") for key in answers}
