"""Load shedding (issue #17, decision 0021): a request that waited in the queue longer than
ONEWINDOW_SHED_QUEUE_MS is answered 503 with Retry-After in the error shape, before any work."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from onewindow.core.shedding import request_start
from onewindow.core.testing import StatementBudget

pytestmark = pytest.mark.django_db

OVERLOADED = {"code": "overloaded", "message": "当前办理人数较多，请稍后再试。", "fields": {}}


def stamp(seconds_ago: float) -> str:
    """nginx's ``t=${msec}``: seconds with milliseconds."""
    return f"t={time.time() - seconds_ago:.3f}"


@pytest.fixture
def shedding(settings):  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_SHED_QUEUE_MS = 500
    settings.ONEWINDOW_SHED_RETRY_AFTER = 7
    return settings


def test_an_api_request_that_waited_too_long_is_503_with_retry_after_and_no_query(shedding: Any) -> None:
    client = Client()
    with StatementBudget([]):  # the statement budget of a shed request: none (no session, no auth, no view)
        response = client.get("/api/v1/core/regions", HTTP_X_REQUEST_START=stamp(2))
    assert (response.status_code, response["Content-Type"]) == (503, "application/json; charset=utf-8")
    assert response["Retry-After"] == "7"
    assert response["Cache-Control"] == "no-store"
    assert response.json() == OVERLOADED
    # Still the security headers of every answer.
    assert "Content-Security-Policy" in response and response["X-Content-Type-Options"] == "nosniff"


def test_a_write_that_waited_too_long_is_refused_before_anything_is_written(
        shedding: Any, principals: Any) -> None:
    from django.apps import apps

    cases = apps.get_model("cases", "Case")
    before = cases.objects.count()
    response = principals.client("citizen").post("/api/v1/cases/", data={"item": 1},
                                                 content_type="application/json", HTTP_X_REQUEST_START=stamp(3))
    assert response.status_code == 503 and response.json()["code"] == "overloaded"
    assert cases.objects.count() == before


def test_a_page_that_waited_too_long_is_a_short_503_page(shedding) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/catalog/", HTTP_X_REQUEST_START=stamp(2))
    assert response.status_code == 503 and response["Retry-After"] == "7"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "当前办理人数较多" in response.content.decode()


@pytest.mark.parametrize("header", ["fresh", "", "garbage", "t=nan"])
def test_a_fresh_missing_or_unreadable_stamp_is_served(shedding, header) -> None:  # type: ignore[no-untyped-def]
    header = stamp(0.05) if header == "fresh" else header
    extra = {"HTTP_X_REQUEST_START": header} if header else {}
    assert Client().get("/api/v1/core/regions", **extra).status_code == 200


def test_the_health_check_is_never_shed(shedding) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/healthz", HTTP_X_REQUEST_START=stamp(10)).status_code == 200


def test_zero_turns_shedding_off(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_SHED_QUEUE_MS = 0
    assert Client().get("/api/v1/core/regions", HTTP_X_REQUEST_START=stamp(60)).status_code == 200


def test_the_stamp_formats_of_common_proxies() -> None:
    assert request_start("t=1733558400.123") == pytest.approx(1733558400.123)
    assert request_start("1733558400123") == pytest.approx(1733558400.123)
    assert request_start("t=1733558400123456") == pytest.approx(1733558400.123456)
    assert request_start("t=") is None and request_start("t=-5") is None and request_start("inf") is None


def test_api_json_is_utf8_without_escapes(client) -> None:  # type: ignore[no-untyped-def]
    """Chinese as UTF-8 bytes, not ``\\uXXXX`` (issue #17: a Chinese payload was twice the size)."""
    response = client.get("/api/v1/core/regions?page=x")
    assert (response.status_code, response["Content-Type"]) == (422, "application/json; charset=utf-8")
    assert "请输入整数".encode() in response.content and b"\\u" not in response.content
