"""The JSON API at /api/v1/ (django-ninja): conventions shared by every app's router.

- Every error is ``{"code", "message", "fields"}`` with the message in the request's language
  (Accept-Language or the language cookie; zh-Hans by default), and a 4xx status for bad input.
  Unknown paths and wrong methods under /api/ get the same shape (core.middleware.ApiJsonErrorMiddleware);
  an unexpected exception is logged with its request id and answered ``500 {"code": "server_error"}``
  without a traceback.
- Browsers authenticate with their session (CSRF checked on writes); machines with a bearer
  token (accounts.ApiToken: per system or device, scoped, revocable).
- OpenAPI at /api/v1/openapi.json, the docs page at /api/v1/docs from django-ninja's own static
  files (``ninja`` is in INSTALLED_APPS, so its local Swagger UI template is used, never the CDN one).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from onewindow.core.errors import DomainError, standard_error

logger = logging.getLogger("onewindow.api")

_LOCATIONS = {"body", "query", "path", "payload", "form", "header", "cookie", "data"}


def _field_message(error: dict[str, Any]) -> str:
    """One pydantic error in words a person can act on, in the active language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    messages = {
        "missing": _("此项为必填项。"),
        "int_parsing": _("请输入整数。"),
        "int_type": _("请输入整数。"),
        "int_from_float": _("请输入整数。"),
        "float_parsing": _("请输入数字。"),
        "float_type": _("请输入数字。"),
        "decimal_parsing": _("请输入数字。"),
        "bool_parsing": _("请输入 true 或 false。"),
        "bool_type": _("请输入 true 或 false。"),
        "string_type": _("请输入文本。"),
        "date_parsing": _("请输入有效日期（YYYY-MM-DD）。"),
        "date_from_datetime_parsing": _("请输入有效日期（YYYY-MM-DD）。"),
        "datetime_parsing": _("请输入有效时间（ISO 8601）。"),
        "datetime_from_date_parsing": _("请输入有效时间（ISO 8601）。"),
        "uuid_parsing": _("请输入有效的 UUID。"),
        "enum": _("取值不在允许的范围内。"),
        "literal_error": _("取值不在允许的范围内。"),
        "list_type": _("请输入列表。"),
        "dict_type": _("请输入对象。"),
        "model_type": _("请输入对象。"),
        "model_attributes_type": _("请输入对象。"),
        "extra_forbidden": _("不允许提交此字段。"),
    }
    if kind in messages:
        return messages[kind]
    if kind == "string_too_short":
        return _("至少需要 %(n)s 个字符。") % {"n": ctx.get("min_length", "")}
    if kind == "string_too_long":
        return _("最多 %(n)s 个字符。") % {"n": ctx.get("max_length", "")}
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt", ""))
        return _("数值必须不小于 %(n)s。") % {"n": limit}
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt", ""))
        return _("数值必须不大于 %(n)s。") % {"n": limit}
    if kind == "value_error" and ctx.get("error") is not None:
        # A validator raised ValueError (or a DomainError subclass of it) with its own message.
        return str(ctx["error"])
    if kind == "string_pattern_mismatch":
        return _("格式不正确。")
    return _("取值无效。")


def install_error_handlers(api: NinjaAPI) -> None:
    """Give ``api`` the house error conventions (tests install them on a scratch API too)."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = respond(request, exc.status, exc.as_dict())
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            loc = [str(part) for part in error.get("loc", ()) if part not in _LOCATIONS]
            name = ".".join(loc) or "__all__"
            fields.setdefault(name, []).append(_field_message(error))
        return respond(request, 422, {**standard_error(422), "fields": fields})

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(request, 401, standard_error(401))

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja's own HttpErrors carry English text ("Cannot parse request body"); we answer with
        # the translated standard message of the status instead.
        return respond(request, exc.status_code, standard_error(exc.status_code))

    def on_too_large(request: HttpRequest, exc: Any) -> HttpResponse:
        # Django refuses an oversized body when the view reads it; never a 500 (issue #9).
        return respond(request, 413, standard_error(413))

    api.add_exception_handler(RequestDataTooBig, on_too_large)
    api.add_exception_handler(TooManyFieldsSent, on_too_large)
    api.add_exception_handler(TooManyFilesSent, on_too_large)

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, standard_error(404))

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled error in %s %s (request id %s)", request.method, request.path,
                         getattr(request, "request_id", "-"))
        return respond(request, 500, standard_error(500))


class Utf8JsonRenderer(JSONRenderer):
    """JSON as UTF-8, Chinese as itself rather than ``\\uXXXX`` escapes (issue #17): a catalog page of
    Chinese names is about half the bytes. ``Content-Type: application/json; charset=utf-8``."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="OneWindow API",
    version="1",
    description="一窗通 OneWindow: catalog, accounts and (later) cases, centers and tax capture.",
    urls_namespace="api-v1",
    renderer=Utf8JsonRenderer(),
)
install_error_handlers(api)


def _mount_routers() -> None:
    from onewindow.accounts.api import router as accounts_router
    from onewindow.analytics.api import router as analytics_router
    from onewindow.bigscreen.api import router as bigscreen_router
    from onewindow.cases.api import router as cases_router
    from onewindow.catalog.api import router as catalog_router
    from onewindow.centers.api import router as centers_router
    from onewindow.core.api import router as core_router
    from onewindow.interaction.api import router as interaction_router
    from onewindow.market.api import router as market_router
    from onewindow.market.records_api import router as records_router
    from onewindow.market.sanctions_api import router as sanctions_router
    from onewindow.notifications.api import router as notifications_router
    from onewindow.sharing.api import router as sharing_router
    from onewindow.staffing.api import router as staffing_router
    from onewindow.supervision.api import router as supervision_router
    from onewindow.taxqr.api import router as taxqr_router
    from onewindow.training.api import router as training_router

    api.add_router("/core/", core_router)
    api.add_router("/accounts/", accounts_router)
    api.add_router("/catalog/", catalog_router)
    api.add_router("/taxqr/", taxqr_router)
    api.add_router("/notifications/", notifications_router)
    api.add_router("/cases/", cases_router)
    api.add_router("/centers/", centers_router)
    api.add_router("/market/records/", records_router)
    api.add_router("/market/sanctions/", sanctions_router)
    api.add_router("/market/", market_router)
    api.add_router("/sharing/", sharing_router)
    api.add_router("/supervision/", supervision_router)
    api.add_router("/analytics/", analytics_router)
    api.add_router("/training/", training_router)
    api.add_router("/staffing/", staffing_router)
    api.add_router("/bigscreen/", bigscreen_router)
    api.add_router("/interaction/", interaction_router)


_mount_routers()
