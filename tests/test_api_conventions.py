"""API conventions: every error is JSON {code, message, fields} in the request's language."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api_scratch_urls")]

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def body(response) -> dict:  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_unknown_api_path_is_a_json_404_in_chinese_by_default(client: Client) -> None:
    response = client.get("/api/v1/no/such/path")
    assert response.status_code == 404
    assert body(response) == {"code": "not_found", "message": "找不到请求的资源。", "fields": {}}


def test_unknown_api_path_is_a_json_404_in_english_on_request(client: Client) -> None:
    response = client.get("/api/v1/no/such/path", **EN)
    assert response.status_code == 404
    assert body(response) == {"code": "not_found", "message": "The requested resource was not found.",
                              "fields": {}}


def test_unknown_path_outside_the_api_stays_an_html_page(client: Client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_is_a_json_405_with_allow_header(client: Client) -> None:
    response = client.get("/api/scratch/echo")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert body(response) == {"code": "method_not_allowed", "message": "此地址不支持该请求方法。",
                              "fields": {}}
    response = client.post("/api/scratch/boom", **EN)
    assert response.status_code == 405
    assert body(response)["message"] == "This address does not support the request method."


def test_malformed_json_body_is_a_400_with_code(client: Client) -> None:
    response = client.post("/api/scratch/echo", data="{name: oops", content_type="application/json")
    assert response.status_code == 400
    assert body(response) == {"code": "malformed_request", "message": "请求内容无法解析，请提交有效的 JSON。",
                              "fields": {}}


def test_validation_errors_are_422_with_a_message_per_field(client: Client) -> None:
    response = client.post("/api/scratch/echo", data={"name": "x", "count": -1},
                           content_type="application/json")
    assert response.status_code == 422
    assert body(response) == {
        "code": "invalid",
        "message": "提交的数据有误，请检查标出的字段。",
        "fields": {"name": ["至少需要 2 个字符。"], "count": ["数值必须不小于 0。"]},
    }


def test_validation_errors_in_english(client: Client) -> None:
    response = client.post("/api/scratch/echo", data={"count": "many"}, content_type="application/json", **EN)
    assert response.status_code == 422
    assert body(response) == {
        "code": "invalid",
        "message": "Some of the data you sent is not valid; please check the fields marked.",
        "fields": {"name": ["This field is required."], "count": ["Enter a whole number."]},
    }


def test_valid_request_passes_through(client: Client) -> None:
    response = client.post("/api/scratch/echo", data={"name": "护照", "count": 2},
                           content_type="application/json")
    assert response.status_code == 200
    assert body(response) == {"name": "护照", "count": 2}


def test_domain_error_keeps_its_code_status_and_fields(client: Client) -> None:
    response = client.get("/api/scratch/refuse", **EN)
    assert response.status_code == 409
    assert body(response) == {"code": "scratch_conflict",
                              "message": "Too many requests; please try again later.",
                              "fields": {"count": ["This field is required."]}}


def test_http404_inside_an_operation_is_the_json_404_without_detail(client: Client) -> None:
    response = client.get("/api/scratch/gone")
    assert response.status_code == 404
    assert body(response) == {"code": "not_found", "message": "找不到请求的资源。", "fields": {}}


def test_unexpected_exception_is_a_logged_json_500_without_traceback(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="onewindow.api"):
        response = client.get("/api/scratch/boom", HTTP_X_REQUEST_ID="req-0123456789")
    assert response.status_code == 500
    payload = body(response)
    assert payload["code"] == "server_error"
    assert payload["fields"] == {}
    assert "secret-internal-detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert response["X-Request-Id"] == "req-0123456789"
    [record] = [r for r in caplog.records if r.name == "onewindow.api"]
    assert "req-0123456789" in record.getMessage()
    assert record.exc_info is not None and "secret-internal-detail" in str(record.exc_info[1])


def test_openapi_schema_is_served(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = body(response)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "OneWindow API"


def test_docs_page_loads_only_local_static_files(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui.css" in html
    assert "cdn" not in html.lower()
    assert "https://" not in html and "http://" not in html


def test_request_for_an_unknown_host_under_the_api_is_a_json_400(  # type: ignore[no-untyped-def]
    client: Client, settings
) -> None:
    settings.ALLOWED_HOSTS = ["zwfw.example.gov.cn"]
    response = client.get("/api/v1/catalog/items", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert body(response) == {"code": "bad_request", "message": "请求无效。", "fields": {}}


def test_api_errors_follow_the_language_chosen_in_the_browser(client: Client) -> None:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/api/v1/no/such/path")
    assert body(response)["message"] == "The requested resource was not found."
    assert "Accept-Language" in response["Vary"]
