"""Personal fields of an online application form (申请表个人信息字段): how a form's JSON Schema marks
them, and how their values are masked.

Rule (个人信息保护法 art. 51; ARCHITECTURE rule 6; issue #9 point 3): personal information a form
collects is validated where it has a standard form, stored encrypted, and shown masked outside the
audited staff detail view. The schema says which fields those are, with two keywords
(docs/glossary.md, 申请表个人信息字段):

- ``"format": "cn-resident-id"`` — a resident ID number (居民身份证号码): checked per GB 11643-1999
  (``core.identifiers.validate_resident_id``), stored in its 18-character form;
  ``"format": "cn-mobile"`` — a mainland mobile number (手机号码): checked and stored as 11 digits.
  Both are personal without further marking.
- ``"x-personal": "<kind>"`` — any other string field holding a natural person's information; the
  kind says how it is masked: ``name`` (张*), ``id-number`` (310***********1234), ``phone``
  (138****5678), ``address`` (the first six characters), ``other`` (all hidden).
  ``"x-personal": false`` states that a field whose name looks personal is not (e.g. a company's
  switchboard number), which the catalog otherwise refuses (``unmarked_personal_field``).

Schemas published before these keywords existed are read with the same hints the catalog uses to
refuse unmarked fields (the field's key or title names an ID number, a phone or a person), so their
values are encrypted and masked too; only marked fields are validated.
"""

from __future__ import annotations

from typing import Any

from onewindow.core.masking import mask_id_number, mask_name, mask_phone

FORMATS = {"cn-resident-id": "id-number", "cn-mobile": "phone"}
KINDS = ("name", "id-number", "phone", "address", "other")
KEYWORD = "x-personal"

_ID_HINTS = ("id_number", "id_no", "idcard", "id_card", "身份证", "证件号")
_PHONE_HINTS = ("phone", "mobile", "tel", "电话", "手机")
_NAME_HINTS = ("applicant_name", "contact_name", "agent_name", "legal_representative", "姓名", "申请人",
               "联系人", "代理人", "法定代表人")


def _properties(schema: Any) -> dict[str, dict[str, Any]]:
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in props.items()}


def hinted_kind(name: str, spec: dict[str, Any]) -> str:
    """The personal kind a field's key or title suggests ('' for none): the legacy reading."""
    hint = f"{name} {spec.get('title', '')}".lower()
    if any(h in hint for h in _ID_HINTS):
        return "id-number"
    if any(h in hint for h in _PHONE_HINTS):
        return "phone"
    if any(h in hint for h in _NAME_HINTS):
        return "name"
    return ""


def field_kind(name: str, spec: dict[str, Any]) -> str:
    """How the field ``name`` of a schema is personal ('' when it is not)."""
    if spec.get("type") not in (None, "string"):
        return ""
    fmt = spec.get("format")
    if fmt in FORMATS:
        return FORMATS[str(fmt)]
    marked = spec.get(KEYWORD)
    if marked is False:
        return ""
    if isinstance(marked, str) and marked in KINDS:
        return marked
    if marked is True:
        return "other"
    return hinted_kind(name, spec)


def personal_fields(schema: Any) -> dict[str, str]:
    """Field name -> personal kind, for every personal field of ``schema``."""
    return {name: kind for name, spec in _properties(schema).items() if (kind := field_kind(name, spec))}


def validated_format(schema: Any, name: str) -> str:
    """The identifier format the field must satisfy (``cn-resident-id`` / ``cn-mobile``), or ''."""
    fmt = _properties(schema).get(name, {}).get("format")
    return str(fmt) if fmt in FORMATS else ""


def mask_value(kind: str, value: str) -> str:
    """The masked form of a personal value (deterministic: the same value masks the same way)."""
    if not value:
        return ""
    if kind == "id-number":
        return mask_id_number(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "name":
        return mask_name(value)
    if kind == "address":
        return value[:6] + "*" * min(len(value) - 6, 10) if len(value) > 6 else "*" * len(value)
    return "*" * min(len(value), 8)


def marking_problems(schema: Any) -> list[tuple[str, str]]:
    """(field, problem code) for every personal marking the catalog refuses: a personal format or
    ``x-personal`` on a non-string field, an unknown ``x-personal`` value, and an ID-number or
    phone field (by its key or title) that is neither marked nor declared not personal."""
    problems: list[tuple[str, str]] = []
    for name, spec in _properties(schema).items():
        fmt, marked = spec.get("format"), spec.get(KEYWORD)
        if (fmt in FORMATS or marked not in (None, False)) and spec.get("type") != "string":
            problems.append((name, "personal_field_not_string"))
        elif marked is not None and not isinstance(marked, bool) and marked not in KINDS:
            problems.append((name, "personal_kind_unknown"))
        elif (spec.get("type") == "string" and fmt not in FORMATS and marked is None
              and hinted_kind(name, spec) in ("id-number", "phone")):
            problems.append((name, "unmarked_personal_field"))
    return problems
