"""Request id for logs and the audit trail, the JSON shape of Django's own errors under /api/, and
413 for request bodies over the size limits."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
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


#: Django's refusals of an oversized body (read lazily, raised where ``request.body``/``POST`` is read).
TOO_LARGE_ERRORS = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413: ``{code, message, fields}`` under /api/, the 413 page for browsers."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(standard_error(413), status=413, content_type="application/json; charset=utf-8",
                            json_dumps_params={"ensure_ascii": False})
    response = TemplateResponse(request, "413.html", status=413)
    response.render()
    return response


def max_request_bytes() -> int:
    """The largest body accepted at all: one upload (``CASES_MAX_UPLOAD_BYTES``) plus the form fields
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``), unless ``ONEWINDOW_MAX_REQUEST_BYTES`` says otherwise."""
    explicit = getattr(settings, "ONEWINDOW_MAX_REQUEST_BYTES", None)
    if explicit:
        return int(explicit)
    fields = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
    return int(getattr(settings, "CASES_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)) + fields


class RequestSizeLimitMiddleware:
    """A request that announces a body over the limits is answered 413 before the body is read.

    Rule (OWASP ASVS 5.0 V4/V5: request and upload size limits; GB/T 22239-2019 入侵防范): a body
    that is not multipart may be at most ``DATA_UPLOAD_MAX_MEMORY_SIZE``; a multipart body (a file
    upload) at most :func:`max_request_bytes`. Bodies that pass this check but still break one of
    Django's limits when read (too many fields, or no Content-Length) raise in the view; the API's
    exception handler and ``config.views.bad_request`` turn those into the same 413.
    Sits after LocaleMiddleware, so the answer is in the request's language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length:
            multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
            limit = max_request_bytes() if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > int(limit):
                return too_large_response(request)
        return self.get_response(request)
