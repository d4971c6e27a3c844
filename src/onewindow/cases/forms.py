"""Parsing and display of the online application form (网上申请表) on the applicant pages.

The form is not hand-written per item: it is rendered from the JSON Schema of the item version
(``item_version.form_schema``: ``type: object`` with ``properties`` of type string / integer /
number / boolean, ``title``, ``maxLength``, ``enum``, and a ``required`` list). Validation stays
in the core (``application_form.check_form``, called by the case services): this module only
turns POST data into the ``form_data`` dict and the refusal's field messages back into fields
to show next to each input. Nothing here decides anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from onewindow.core.masking import mask_name, mask_phone
from onewindow.core.normalize import nfkc, nfkc_number

#: Schema property names that the applicant's own profile pre-fills on a new form.
NAME_KEYS = ("applicant_name", "name", "applicant", "contact_name")
PHONE_KEYS = ("contact_phone", "phone", "mobile", "applicant_phone")
TEXTAREA_FROM = 200  # maxLength above which a text field is a multi-line box
MAX_FIELD_CHARS = 5000  # a parse limit: the schema's maxLength refuses anything shorter that is too long


@dataclass
class FormField:
    """One input of the application form, ready for the template."""

    name: str
    label: str
    required: bool
    kind: str  # text | textarea | select | number | checkbox
    max_length: int | None = None
    choices: list[str] = field(default_factory=list)
    value: Any = ""
    errors: list[str] = field(default_factory=list)
    description: str = ""
    prefill: Any = None  # the PrefilledField of a field filled from a shared register (its source)

    @property
    def input_id(self) -> str:
        return f"f-{self.name}"


def new_key() -> str:
    """A fresh idempotency key for the page being rendered (one case per rendered form)."""
    return uuid.uuid4().hex


def _properties(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    props = (schema or {}).get("properties") or {}
    return {str(k): (v if isinstance(v, dict) else {}) for k, v in props.items()}


def _kind(prop: dict[str, Any]) -> str:
    if isinstance(prop.get("enum"), list):
        return "select"
    typ = prop.get("type")
    if typ in ("integer", "number"):
        return "number"
    if typ == "boolean":
        return "checkbox"
    max_length = prop.get("maxLength")
    return "textarea" if isinstance(max_length, int) and max_length > TEXTAREA_FROM else "text"


def parse(schema: dict[str, Any] | None, post: QueryDict) -> dict[str, Any]:
    """The ``form_data`` of a POST: only the schema's properties are read (no extra keys);
    empty inputs are left out (a draft may be incomplete); numbers are converted where they
    parse, and kept as typed otherwise so that the schema check names the field. Numbers and
    identifiers (a property with a ``format`` or ``pattern``) typed in full width are read as
    ASCII (core.normalize); free text is kept as typed."""
    data: dict[str, Any] = {}
    for name, prop in _properties(schema).items():
        kind = _kind(prop)
        if kind == "checkbox":
            if post.get(name):
                data[name] = True
            continue
        raw = str(post.get(name, "") or "").strip()[:MAX_FIELD_CHARS]
        if not raw:
            continue
        if prop.get("type") in ("integer", "number"):
            number = nfkc_number(raw)  # typed in full width (１２。５): read as ASCII
            try:
                data[name] = int(number) if prop.get("type") == "integer" else float(number)
            except ValueError:
                data[name] = raw
        elif prop.get("format") or prop.get("pattern"):
            data[name] = nfkc(raw)  # an identifier (ID number, phone, code): ASCII; free text stays as typed
        else:
            data[name] = raw
    return data


def _profile(schema: dict[str, Any] | None, name: str, phone: str) -> dict[str, tuple[str, str]]:
    """Field -> (clear value, masked value) of what the applicant's profile fills in."""
    values: dict[str, tuple[str, str]] = {}
    for key in _properties(schema):
        if key in NAME_KEYS and name:
            values[key] = (name, mask_name(name))
        elif key in PHONE_KEYS and phone:
            values[key] = (phone, mask_phone(phone))
    return values


def prefill(schema: dict[str, Any] | None, *, name: str = "", phone: str = "") -> dict[str, Any]:
    """Values of a new form taken from the applicant's own profile, masked like everywhere else
    (issue #9: personal data is not echoed in pages); ``with_profile`` puts them back on posting."""
    return {key: masked for key, (_clear, masked) in _profile(schema, name, phone).items()}


def with_profile(schema: dict[str, Any] | None, data: dict[str, Any], *, name: str = "",
                 phone: str = "") -> dict[str, Any]:
    """``data`` with each prefilled value posted back unchanged (still masked) replaced by the
    profile's value; a value the applicant typed over is kept as typed."""
    restored = dict(data)
    for key, (clear, masked) in _profile(schema, name, phone).items():
        if restored.get(key) == masked:
            restored[key] = clear
    return restored


def fields(schema: dict[str, Any] | None, data: dict[str, Any] | None,
           errors: dict[str, list[Any]] | None = None) -> list[FormField]:
    """The inputs of the form in schema order, with values and the refusal's messages."""
    data = data or {}
    errors = errors or {}
    required = set((schema or {}).get("required") or [])
    out: list[FormField] = []
    for name, prop in _properties(schema).items():
        max_length = prop.get("maxLength")
        out.append(FormField(
            name=name, label=str(prop.get("title") or name), required=name in required, kind=_kind(prop),
            max_length=max_length if isinstance(max_length, int) else None,
            choices=[str(c) for c in prop.get("enum") or []], value=data.get(name, ""),
            errors=[str(m) for m in errors.get(name, [])], description=str(prop.get("description") or "")))
    return out


def other_errors(schema: dict[str, Any] | None, errors: dict[str, list[Any]] | None,
                 shown: tuple[str, ...] = ()) -> list[str]:
    """Messages of a refusal that belong to no input of the page (shown in the summary only)."""
    names = set(_properties(schema)) | set(shown)
    return [str(m) for key, msgs in (errors or {}).items() if key not in names for m in msgs]


def field_errors(exc: Any) -> dict[str, list[str]]:
    """The field messages of a DomainError as plain strings (in the request's language)."""
    return {str(k): [str(m) for m in v] for k, v in (getattr(exc, "fields", None) or {}).items()}
