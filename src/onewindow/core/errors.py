"""Errors for people: every refusal has a stable code and a message in the request's language.

Services raise :class:`DomainError` (or a subclass); the API renders it as
``{"code": ..., "message": ..., "fields": {...}}`` with its HTTP status, and views show the
message. Codes are stable identifiers that clients may branch on; messages may change.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal that the user can understand and act on (never a 500)."""

    status: int = 400
    code: str = "invalid"

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        fields: dict[str, list[str | Promise]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {name: [str(m) for m in msgs] for name, msgs in self.fields.items()},
        }


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many attempts. ``retry_after`` (seconds), when the limit knows it, becomes the answer's
    ``Retry-After`` header (RFC 9110 §10.2.3), so a client waits instead of retrying at once."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str | Promise, *, retry_after: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


#: The stable code and the message for each error status that is not a domain refusal
#: (unknown path, wrong method, unreadable body, unexpected failure). The API and the
#: middleware that turns Django's own 404/405 pages into JSON both read this table.
STANDARD_ERRORS: dict[int, tuple[str, Promise]] = {
    400: ("malformed_request", _("请求内容无法解析，请提交有效的 JSON。")),
    401: ("unauthenticated", _("请先登录，或提供有效的访问令牌。")),
    403: ("forbidden", _("您无权执行此操作。")),
    404: ("not_found", _("找不到请求的资源。")),
    405: ("method_not_allowed", _("此地址不支持该请求方法。")),
    413: ("request_too_large", _("提交的内容过大或字段过多，请精简后重试。")),
    422: ("invalid", _("提交的数据有误，请检查标出的字段。")),
    429: ("rate_limited", _("请求过于频繁，请稍后再试。")),
    500: ("server_error", _("服务器内部错误，请稍后再试；如问题持续，请联系管理员并提供请求编号。")),
    # Load shedding at a surge (core/shedding.py, decision 0021), with Retry-After.
    503: ("overloaded", _("当前办理人数较多，请稍后再试。")),
}


def standard_error(status: int) -> dict[str, Any]:
    """The ``{code, message, fields}`` body for a non-domain error status, in the active language."""
    code, message = STANDARD_ERRORS.get(status, ("error", _("请求未能完成。")))
    return {"code": code, "message": str(message), "fields": {}}


def field_messages(error: DomainError | None) -> dict[str, list[str]]:
    """A refusal's messages by form field, as text (for a page that shows them beside the fields)."""
    if error is None:
        return {}
    return {name: [str(m) for m in msgs] for name, msgs in error.fields.items()}
