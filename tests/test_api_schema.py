"""Schemathesis over /api/v1/openapi.json: every operation of every router, with generated valid and
invalid input, as an anonymous caller and as a device token (and a staff session); no 5xx, responses
conform to the schema where the schema documents them, and every error has the house shape.

Sizing: the hypothesis profile (conftest.py) gives ``max_examples`` per operation; this file caps it
at 25 so the whole run stays under about two minutes on 2 cores (``SCHEMA_EXAMPLES`` overrides).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from onewindow.accounts.testing import Principals

EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "25"))
ERROR_KEYS = {"code", "message", "fields"}


def error_has_the_house_shape(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx answer of the API is JSON ``{code, message, fields}`` with a non-empty message."""
    if response.status_code < 400:
        return None
    content_type = next((values[0] for name, values in response.headers.items()
                         if name.lower() == "content-type"), "")
    assert content_type.startswith("application/json"), f"{case.method} {case.formatted_path}: {content_type}"
    body = json.loads(response.content)
    assert set(body) == ERROR_KEYS, f"{case.method} {case.formatted_path}: {body}"
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return True


CHECKS = [not_a_server_error, response_schema_conformance, error_has_the_house_shape]


@pytest.fixture
def api_data(principals: Principals, catalog_items: list[str]) -> Iterator[Principals]:
    """Data to find, and the WSGI app called like Django's test client calls it: without closing the
    database connection at each request (it holds the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield principals
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Loaded at collection: ninja builds the schema from code, without the database. One test item per
# operation, so pytest-xdist spreads them over the workers.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
hypothesis_settings = settings(settings.default, max_examples=min(EXAMPLES, settings.default.max_examples),
                               deadline=None,
                               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                      HealthCheck.function_scoped_fixture])


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings
def test_api_as_anonymous(case: Any, api_data: Principals) -> None:
    case.call_and_validate(checks=CHECKS, headers={"Accept-Language": "en"})


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings
def test_api_as_device_token(case: Any, api_data: Principals) -> None:
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {api_data.device_bearer}"})


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings
def test_api_as_admin_session(case: Any, api_data: Principals) -> None:
    session = api_data.client("admin").cookies["sessionid"].value
    case.call_and_validate(checks=CHECKS, headers={"Cookie": f"sessionid={session}"})
