"""Parsing of the staff pages' forms (办件工作台) into the arguments of the case services.

Parsing only turns posted text into typed arguments and refuses unreadable input with a 422
(never a 500); every business rule stays in the services (ARCHITECTURE rule 1). The scoped reads the
staff pages need (choice lists, the window lookup of a kiosk draft) are in ``selectors`` (issue #10
part 3); the fields of the application form and their shown values in ``application_form``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

from .application_form import FormField, form_fields, form_rows, shown_value

#: Free correction items (材料清单以外的补正事项) offered on the correction form.
FREE_ITEMS = 3
#: At most this many cases in one bulk action.
BULK_LIMIT = 100


def _invalid(field: str, message: Any = None) -> DomainError:
    return DomainError(_("提交的数据有误，请检查标出的字段。"), code="invalid", status=422,
                       fields={field: [message or _("格式不正确。")]})


def _text(post: QueryDict, name: str, limit: int = 1000) -> str:
    return str(post.get(name, "") or "").strip()[:limit]


def parse_int(value: Any, field: str) -> int:
    """A positive integer from a form field; 422 naming the field otherwise."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _invalid(field) from None
    if number < 1 or number > 2**31 - 1:
        raise _invalid(field)
    return number


def parse_date(value: Any, field: str) -> datetime.date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise _invalid(field, _("请输入有效日期（YYYY-MM-DD）。")) from None


def correction_items(post: QueryDict) -> list[dict[str, Any]]:
    """一次性告知: every ticked material of the version with its reason, and the free items.

    A ticked material without a reason is passed on as is, so that the service refuses the whole
    notice (art. 32(4) asks for all corrections at once, never a partial notice)."""
    items: list[dict[str, Any]] = []
    seen: set[int] = set()
    for raw in post.getlist("material"):
        material_id = parse_int(raw, "material")
        if material_id in seen:
            continue
        seen.add(material_id)
        items.append({"material_id": material_id, "reason": _text(post, f"reason_{material_id}", 500)})
    for index in range(FREE_ITEMS):
        name = _text(post, f"extra_name_{index}", 300)
        reason = _text(post, f"extra_reason_{index}", 500)
        if name or reason:
            items.append({"name": name, "reason": reason})
    return items


def action_arguments(action: str, post: QueryDict) -> dict[str, Any]:
    """The keyword arguments of the service behind ``action`` from the posted form."""
    if action == "request_correction":
        return {"items": correction_items(post)}
    if action in ("accept", "forward"):
        return {"note": _text(post, "note", 500)}
    if action == "refuse":
        return {"reason_code": _text(post, "reason_code", 30), "reason": _text(post, "reason", 800)}
    if action == "suspend":
        return {"basis": _text(post, "basis", 30), "reason": _text(post, "reason", 500)}
    if action == "extend":
        return {"reason": _text(post, "reason", 500), "days": parse_int(post.get("days", ""), "days")}
    if action == "approve":
        return {"note": _text(post, "note"), "licence_name": _text(post, "licence_name", 200),
                "valid_to": parse_date(post.get("valid_to"), "valid_to")}
    if action == "reject":
        return {"reason": _text(post, "reason")}
    if action == "deliver":
        return {"method": _text(post, "method", 20), "note": _text(post, "note", 500)}
    if action == "reassign":
        return {"handler_id": parse_int(post.get("handler_id", ""), "handler_id")}
    if action == "withdraw":
        return {"reason": _text(post, "reason", 500)}
    return {}


def bulk_case_ids(post: QueryDict) -> list[int]:
    """The distinct case ids ticked for a bulk action (at most ``BULK_LIMIT``)."""
    ids: list[int] = []
    for raw in post.getlist("case"):
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            continue
        if pk > 0 and pk not in ids:
            ids.append(pk)
    if not ids:
        raise DomainError(_("请至少选择一个办件。"), code="selection_required", status=422,
                          fields={"case": [_("此项为必填项。")]})
    if len(ids) > BULK_LIMIT:
        raise DomainError(_("一次最多处理 %(n)s 个办件。") % {"n": BULK_LIMIT}, code="selection_too_large",
                          status=422)
    return ids


# --------------------------------------------------------------------------- the application form
# Its fields and shown values (FormField, form_fields, form_rows, shown_value) live in
# application_form, below the selectors that render the audited unmask; re-exported here for the
# staff pages.

def form_data(schema: dict[str, Any], post: QueryDict, prefix: str = "f_") -> dict[str, Any]:
    """The posted application form: empty fields are left out (the service checks ``required``);
    numbers that do not parse are passed on as text, so the schema check names the field."""
    data: dict[str, Any] = {}
    for field in form_fields(schema, {}):
        key = prefix + field.name
        if field.kind == "boolean":
            if key in post:
                data[field.name] = post.get(key) in ("1", "on", "true")
            continue
        text = str(post.get(key, "") or "").strip()[:5000]
        if not text:
            continue
        if field.kind in ("integer", "number"):
            try:
                data[field.name] = int(text) if field.kind == "integer" else float(text)
            except ValueError:
                data[field.name] = text
        else:
            data[field.name] = text
    return data


__all__ = ["BULK_LIMIT", "FREE_ITEMS", "FormField", "action_arguments", "bulk_case_ids", "correction_items",
           "form_data", "form_fields", "form_rows", "parse_date", "parse_int", "shown_value"]
