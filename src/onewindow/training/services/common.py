"""Helpers shared by the training services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from onewindow.accounts import permissions as account_perms
from onewindow.core.actors import Actor, is_system
from onewindow.core.errors import DomainError, NotFound, PermissionDenied
from onewindow.core.normalize import has_invalid_characters

from .. import permissions

TEXT_LIMIT = 120


def invalid(field: str, message: Any, code: str = "training_invalid") -> DomainError:
    return DomainError(_("培训信息不正确。"), code=code, status=422, fields={field: [message]})


def text(value: Any, field: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    cleaned = str(value or "").strip()
    if required and not cleaned:
        raise invalid(field, _("此项必填。"))
    if len(cleaned) > limit:
        raise invalid(field, _("内容过长。"))
    if has_invalid_characters(cleaned):
        raise invalid(field, _("包含无效字符"), code="text_invalid")
    return cleaned


def pk(value: Any, message: Any, code: str) -> int:
    try:
        number = int(getattr(value, "pk", value))
    except (TypeError, ValueError):
        raise NotFound(message, code=code) from None
    return number


def user_or_none(by: Actor) -> Any:
    return None if is_system(by) else account_perms.as_user(by)


def label(by: Actor) -> str:
    return str(by)[:100] if is_system(by) else ""


def guard_manager(by: Actor, center_id: int, *, visible: bool, not_found: str = "training_session_not_found") -> None:
    """The center's manager (or the system: the demo loader, a job) may plan; a viewer who may
    see the row but not act gets 403, anyone else 404."""
    if is_system(by) or permissions.can_manage(by, center_id):
        return
    if visible:
        raise PermissionDenied(_("只有中心负责人可以安排培训。"), code="training_forbidden")
    raise NotFound(_("找不到该培训记录。"), code=not_found)
