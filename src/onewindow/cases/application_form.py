"""The online application form (网上申请表): validated server-side against the item version's JSON
Schema (Draft 2020-12, checked when the item was published), with field-level messages in the
request's language. A draft may be incomplete (``partial``: missing required fields are fine),
a submission may not.

Personal fields (``catalog.personal_fields``: ``format`` ``cn-resident-id`` / ``cn-mobile``,
``x-personal``; 个人信息保护法 art. 51, issue #9): resident ID numbers are checked per GB 11643
and mobiles per the numbering plan (``core.identifiers``), each refusal a message on its field,
and stored normalised. ``split_form`` divides a form into the shown copy (personal values masked,
kept in ``Case.form_data``) and the personal values (encrypted in ``Case.form_personal``);
``restore_unchanged`` turns a masked value sent back unchanged by a page or an API merge patch
into the stored value, so nobody has to see a value in clear to keep it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from onewindow.catalog.personal_fields import mask_value, personal_fields, validated_format
from onewindow.core.errors import DomainError
from onewindow.core.identifiers import validate_mobile, validate_resident_id
from onewindow.core.masking import mask_id_number, mask_phone

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
    for name in personal_fields(schema):
        value = data.get(name)
        if isinstance(value, str) and value.strip() and name not in errors:
            try:
                _normalised(schema, name, value)
            except DomainError as exc:
                errors.setdefault(name, []).append(exc.message)
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
    checked = dict(data) if isinstance(data, dict) else {}
    for name in personal_fields(schema):
        value = checked.get(name)
        if isinstance(value, str) and value.strip():
            checked[name] = _normalised(schema, name, value)
    return checked


def _normalised(schema: dict[str, Any], name: str, value: str) -> str:
    """A personal value in its stored form; refused (DomainError) when its format says it is invalid."""
    fmt = validated_format(schema, name)
    if fmt == "cn-resident-id":
        return validate_resident_id(value, field=name).number
    if fmt == "cn-mobile":
        return str(validate_mobile(value, field=name))
    return value.strip()


def split_form(schema: dict[str, Any], data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the shown copy with personal values masked, the personal values in clear)."""
    kinds = personal_fields(schema)
    shown: dict[str, Any] = {}
    personal: dict[str, str] = {}
    for name, value in data.items():
        kind = kinds.get(str(name))
        if kind and isinstance(value, str) and value:
            personal[str(name)] = value
            shown[str(name)] = mask_value(kind, value)
        else:
            shown[str(name)] = value
    return shown, personal


def restore_unchanged(schema: dict[str, Any], data: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every personal value that equals the mask of the stored value replaced by the
    stored value (the page or the API showed the masked value and it came back untouched)."""
    kinds = personal_fields(schema)
    restored = dict(data)
    for name, kind in kinds.items():
        old, new = stored.get(name), restored.get(name)
        if isinstance(old, str) and old and isinstance(new, str) and new == mask_value(kind, old):
            restored[name] = old
    return restored


# --------------------------------------------------------------------------- fields and shown values
# The application form as the staff pages show and fill it (issue #10 part 3: below the selectors,
# which render the audited unmask with form_rows).

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")


@dataclass
class FormField:
    """One field of the item's application form, as the window clerk fills it in."""

    name: str
    title: str
    kind: str  # string | integer | number | boolean
    required: bool
    value: Any
    max_length: int | None
    errors: list[str]


def form_fields(schema: dict[str, Any], data: dict[str, Any], errors: dict[str, list[Any]] | None = None
                ) -> list[FormField]:
    """The fields of ``schema`` (its ``properties`` with ``title`` and ``type``) with the values."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    required = set(schema.get("required", [])) if isinstance(schema, dict) else set()
    fields: list[FormField] = []
    for name, spec in (properties or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        kind = str(spec.get("type")) if spec.get("type") in ("integer", "number", "boolean") else "string"
        fields.append(FormField(name=str(name), title=str(spec.get("title") or name), kind=kind,
                                required=name in required, value=data.get(name, ""),
                                max_length=spec.get("maxLength") if isinstance(spec.get("maxLength"), int) else None,
                                errors=[str(m) for m in (errors or {}).get(str(name), [])]))
    return fields


def shown_value(value: Any, *, masked: bool = True) -> str:
    """A form value as the staff pages show it: mobile and resident ID numbers masked wherever they
    stand (ARCHITECTURE rule 6; the schema's personal fields are masked already, see form_rows)."""
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    text = "" if value is None else str(value)
    if masked and _MOBILE.match(text):
        return mask_phone(text)
    if masked and _RESIDENT_ID.match(text):
        return mask_id_number(text)
    return text


def form_rows(schema: dict[str, Any], data: dict[str, Any], *, masked: bool = True) -> list[tuple[str, str]]:
    """The case's form as (schema title, shown value) pairs; values outside the schema last. With
    ``masked`` (every page but the audited unmask) the schema's personal fields are masked."""
    if masked:
        data = split_form(schema, data)[0]
    rows = [(f.title, shown_value(data.get(f.name), masked=masked)) for f in form_fields(schema, {})
            if f.name in data]
    known = {f.name for f in form_fields(schema, {})}
    rows += [(str(name), shown_value(value, masked=masked)) for name, value in data.items() if name not in known]
    return rows
