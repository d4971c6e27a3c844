"""Parsing of the staff pages' forms (办件工作台) into the arguments of the case services, and the
choice lists those forms offer.

Parsing only turns posted text into typed arguments and refuses unreadable input with a 422
(never a 500); every business rule stays in the services (ARCHITECTURE rule 1). The few reads
below (choice lists, the window lookup of a kiosk draft) are scoped to the requesting user the
same way the selectors are; they are candidates for ``selectors.py`` once the core grows them.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from onewindow.accounts.models import StaffRole, User
from onewindow.catalog.choices import ItemStatus
from onewindow.catalog.models import ServiceItem
from onewindow.core.errors import DomainError, NotFound
from onewindow.core.masking import mask_id_number, mask_phone
from onewindow.core.models import Department

from . import permissions as perms
from .application_form import split_form
from .choices import CaseStatus
from .models import Case

#: Free correction items (材料清单以外的补正事项) offered on the correction form.
FREE_ITEMS = 3
#: At most this many cases in one bulk action.
BULK_LIMIT = 100
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")


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


# --------------------------------------------------------------------------- choice lists (scoped reads)

def receiving_departments_for(user: Any) -> list[Department]:
    """The bodies a window clerk may receive cases for (their receiver roles); all for an admin."""
    ids = perms.staff_department_ids(user, perms.RECEIVER_ROLES)
    qs = Department.objects.filter(is_active=True) if ids is None else Department.objects.filter(pk__in=ids)
    return list(qs.order_by("code")[:500])


def inbox_departments_for(user: Any) -> list[Department]:
    """The departments the inbox may be narrowed to: those of the user's case roles."""
    ids = perms.staff_department_ids(user)
    qs = Department.objects.filter(is_active=True) if ids is None else Department.objects.filter(pk__in=ids)
    return list(qs.order_by("code")[:500])


def window_items(query: str, limit: int = 20) -> list[ServiceItem]:
    """Active catalog items whose current version may be applied for at a window, by code or name."""
    text = (query or "").strip()[:60]
    if not text:
        return []
    qs = (ServiceItem.objects.filter(status=ItemStatus.ACTIVE, current_version__channels__contains="window")
          .filter(Q(code__iexact=text) | Q(name__icontains=text))
          .select_related("department", "current_version").order_by("level_rank", "sort_order", "id"))
    return list(qs[:limit])


def handler_choices(case: Case) -> list[User]:
    """改派: active staff of the case's bodies who may receive or handle it (the service re-checks)."""
    roles = {*perms.RECEIVER_ROLES, *perms.HANDLER_ROLES}
    user_ids = (StaffRole.objects.filter(valid=True, role__in=roles,
                                         department_id__in={case.receiving_department_id,
                                                            case.handling_department_id})
                .values("user_id"))
    qs: QuerySet[User] = (User.objects.filter(pk__in=user_ids, is_active=True).select_related("person")
                          .order_by("username"))
    return list(qs[:200])


def window_case_for(user: Any, query_code: str) -> Case:
    """窗口续办: the case behind a kiosk receipt's query code, if its receiving body is in the
    clerk's receiving scope; 404 otherwise (the same answer for an unknown code)."""
    code = "".join(ch for ch in str(query_code or "").upper() if ch.isalnum())[:16]
    case = (perms.staff_case_queryset_for(user).select_related("receiving_department")
            .filter(query_code=code).first()) if code else None
    if case is None or not perms.may_receive_for(user, case.receiving_department):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


#: Drafts staff may open: those begun at a window or a kiosk, to be continued at the window. An
#: online draft is the applicant's unfinished work and stays theirs until submitted.
STAFF_DRAFT_CHANNELS = frozenset({"window", "kiosk"})


def staff_may_open(case: Case) -> bool:
    return case.status != CaseStatus.DRAFT or case.channel in STAFF_DRAFT_CHANNELS
