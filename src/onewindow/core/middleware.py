"""Request id for logs and the audit trail, and the JSON shape of Django's own errors under /api/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _

from .errors import standard_error
from .request_context import current_request

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            current_request.reset(token)
        response["X-Request-Id"] = request_id
        return response


API_PREFIX = "/api/"
BAD_REQUEST = _("请求无效。")


class ApiJsonErrorMiddleware:
    """Under /api/, Django's own HTML or plain-text error answers become ``{code, message, fields}``.

    The URL resolver (unknown path: 404), django-ninja's method dispatch (wrong method: 405) and
    Django's request checks (a host not in ALLOWED_HOSTS, an oversized request: 400; a CSRF
    failure: 403) answer before any API exception handler runs; clients of the API must still get
    the JSON error shape, in the request's language (this middleware sits inside LocaleMiddleware).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code in (400, 403, 404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            body = standard_error(response.status_code)
            if response.status_code == 400:  # not an unreadable JSON body: ninja answers that itself
                body = {**body, "code": "bad_request", "message": str(BAD_REQUEST)}
            json_response = JsonResponse(body, status=response.status_code,
                                         json_dumps_params={"ensure_ascii": False})
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        return response
