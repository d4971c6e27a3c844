"""The JSON API at /api/v1/ (django-ninja): conventions shared by every app's router.

- Every error is ``{"code", "message", "fields"}`` with the message in the request's language
  (Accept-Language or the language cookie), and a 4xx status, never a 500 for bad input.
- Browsers authenticate with their session (CSRF checked on writes); machines with a bearer
  token (accounts.ApiToken: per system or device, scoped, revocable).
- OpenAPI at /api/v1/openapi.json, the docs page at /api/v1/docs from local static files.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from onewindow.core.errors import DomainError

api = NinjaAPI(
    title="OneWindow API",
    version="1",
    description="一窗通 OneWindow: catalog, accounts and (later) cases, centers and tax capture.",
    urls_namespace="api-v1",
)


def _error(request: HttpRequest, status: int, code: str, message: str,
           fields: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, "fields": fields or {}},
                               status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "payload")]
        name = ".".join(loc) or "__all__"
        fields.setdefault(name, []).append(str(error.get("msg", "")))
    return _error(request, 422, "invalid", _("提交的数据有误，请检查标出的字段。"), fields)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("请先登录，或提供有效的访问令牌。"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def _mount_routers() -> None:
    from onewindow.accounts.api import router as accounts_router
    from onewindow.catalog.api import router as catalog_router
    from onewindow.core.api import router as core_router

    api.add_router("/core/", core_router)
    api.add_router("/accounts/", accounts_router)
    api.add_router("/catalog/", catalog_router)


_mount_routers()
