"""The online application form (网上申请表): validated server-side against the item version's JSON
Schema (Draft 2020-12, checked when the item was published), with field-level messages in the
request's language. A draft may be incomplete (``partial``: missing required fields are fine),
a submission may not.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from onewindow.core.errors import DomainError

MAX_FORM_BYTES = 64_000

_MESSAGES: dict[str, Any] = {
    "required": _("此项为必填项。"),
    "type": _("格式不正确。"),
    "maxLength": _("内容过长。"),
    "minLength": _("内容过短。"),
    "pattern": _("格式不正确。"),
    "format": _("格式不正确。"),
    "enum": _("请从给定选项中选择。"),
    "const": _("请从给定选项中选择。"),
    "minimum": _("数值过小。"),
    "maximum": _("数值过大。"),
    "exclusiveMinimum": _("数值过小。"),
    "exclusiveMaximum": _("数值过大。"),
    "additionalProperties": _("表单中有未定义的字段。"),
}


def form_errors(schema: dict[str, Any], data: Any, *, partial: bool) -> dict[str, list[Any]]:
    """Field name -> messages for every problem of ``data`` under ``schema`` (empty when valid)."""
    if not isinstance(data, dict):
        return {"form_data": [_("申请表须为对象。")]}
    if not schema:
        return {"form_data": [_("此事项没有网上申请表，请勿提交表单内容。")]} if data else {}
    errors: dict[str, list[Any]] = {}
    declared = schema.get("properties", {})
    for name in data:
        if name not in declared:  # undeclared fields are refused, not stored
            errors.setdefault(str(name), []).append(_MESSAGES["additionalProperties"])
    for error in Draft202012Validator(schema).iter_errors(data):
        if error.validator == "required":
            if partial:
                continue
            missing = [name for name in error.validator_value if name not in (error.instance or {})]
            for name in missing:
                errors.setdefault(str(name), []).append(_MESSAGES["required"])
            continue
        path = ".".join(str(p) for p in error.absolute_path) or "form_data"
        message = _MESSAGES.get(str(error.validator), _("内容不符合要求。"))
        if message not in errors.setdefault(path, []):
            errors[path].append(message)
    # Empty strings do not satisfy a required text field.
    if not partial:
        for name in schema.get("required", []):
            value = data.get(name)
            if isinstance(value, str) and not value.strip():
                errors.setdefault(name, [_MESSAGES["required"]])
    return errors


def check_form(schema: dict[str, Any], data: Any, *, partial: bool) -> dict[str, Any]:
    """Return ``data`` if it is a valid (or, for a draft, a valid partial) form; refuse otherwise."""
    import json

    if len(json.dumps(data, ensure_ascii=False, default=str).encode()) > MAX_FORM_BYTES:
        raise DomainError(_("申请表内容过多。"), code="form_too_large", status=422)
    errors = form_errors(schema, data, partial=partial)
    if errors:
        raise DomainError(_("申请表有误，请检查标出的字段。"), code="form_invalid", status=422, fields=errors)
    return dict(data) if isinstance(data, dict) else {}
