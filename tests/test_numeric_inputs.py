"""Full-width digits and letters in numeric and identifier inputs are read as ASCII (NFKC, issue #9).

A Chinese input method in full-width mode types ``１２３``. A tax correction accepted ``１２３`` and
stored two different values (123 in the price column, ``"１２３"`` in the record). Here:

- the reproduction of that correction, through the service and through the page;
- every numeric field (int, float, Decimal) of every request body and query of the API, and every
  identifier field (ID numbers, phones, credit codes, codes), found by walking the API's
  operations: each reads full-width input as its ASCII twin (path parameters are ids that the API
  hands out in its own links, never typed, and are left out);
- end-to-end, per app: full-width input submitted, the stored value equals the ASCII one.
"""

from __future__ import annotations

import typing
from decimal import Decimal
from typing import Annotated, Any

import pytest
from django.test import Client
from pydantic import BaseModel, TypeAdapter, ValidationError

from onewindow.accounts.testing import Principals
from onewindow.config.api import api
from onewindow.taxqr.tests.conftest import NOW, TaxWorld, codes_for, taxkeys, world  # noqa: F401

FULL = {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"}  # to full width (U+FF10…)


def full_width(text: str) -> str:
    return text.translate(FULL)


# --- the tax correction (the reproduction) ---------------------------------------------------------

def _captured(tax: TaxWorld) -> Any:
    from onewindow.taxqr import services

    return services.record_capture(by=tax.tax_clerk, text=codes_for(71)[0], window="3", now=NOW)


@pytest.mark.django_db
def test_tax_correction_of_full_width_digits_stores_one_value(world: TaxWorld) -> None:  # noqa: F811
    from onewindow.core.models import AuditEntry
    from onewindow.taxqr import services

    record = _captured(world)
    correction = services.record_correct(by=world.tax_reviewer, record_id=record.pk, field_path="contract.price",
                                         value="５３０００００", reason="合同补充协议")
    record.refresh_from_db()
    assert record.price == Decimal("5300000")
    assert record.record["contract"]["price"] == "5300000"
    assert correction.after_masked == "5300000"
    assert AuditEntry.objects.get(action="taxqr.record.correct").after["contract.price"] == "5300000"


@pytest.mark.django_db
def test_tax_correction_page_reads_full_width_area(world: TaxWorld, client: Client) -> None:  # noqa: F811
    record = _captured(world)
    client.force_login(world.tax_reviewer)
    response = client.post(f"/tax/records/{record.pk}/correct/",
                           {"field": "property.area", "value": "８８．５", "reason": "测绘报告"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.area == Decimal("88.5")
    assert record.record["property"]["area"] == "88.5"


# --- every numeric and identifier field of the API ---------------------------------------------------

NUMBERS = (int, float, Decimal)
IDENTIFIER_SUFFIXES = ("id_number", "phone", "mobile", "credit_code", "code")


def _base(annotation: Any) -> Any:
    """The plain type under Optional, Annotated and list."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _base(typing.get_args(annotation)[0])
    if origin in (list, tuple, set) or (origin is not None and type(None) in typing.get_args(annotation)):
        args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
        return _base(args[0]) if len(args) == 1 else annotation
    return annotation


def _walk(model: type[BaseModel], where: str) -> list[tuple[str, Any, list[Any], str]]:
    found = []
    for name, info in model.model_fields.items():
        base = _base(info.annotation)
        if isinstance(base, type) and issubclass(base, BaseModel):
            found += _walk(base, f"{where}.{name}")
        elif isinstance(base, type) and issubclass(base, NUMBERS) and base is not bool:
            found.append((f"{where}.{name}", info.annotation, list(info.metadata), "number"))
        elif base is str and name.endswith(IDENTIFIER_SUFFIXES):
            found.append((f"{where}.{name}", info.annotation, list(info.metadata), "identifier"))
    return found


def api_input_fields() -> list[tuple[str, Any, list[Any], str]]:
    fields = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                for model in operation.signature.models:
                    if model.__ninja_param_source__ in ("body", "query", "form"):
                        method = "/".join(operation.methods)
                        fields += _walk(model, f"{method} {prefix.rstrip('/')}{path}")
    return sorted(set(fields), key=lambda f: f[0]) if all(_hashable(f) for f in fields) else fields


def _hashable(field: tuple[Any, ...]) -> bool:
    try:
        hash(field)
    except TypeError:
        return False
    return True


API_FIELDS = api_input_fields()


def test_the_api_walk_finds_numeric_and_identifier_fields_of_every_app() -> None:
    apps = {where.split()[1].split("/")[1] for where, *_ in API_FIELDS}
    assert {"accounts", "cases", "catalog", "centers", "notifications", "taxqr"} <= apps
    assert {kind for *_, kind in API_FIELDS} == {"number", "identifier"}


API_PARAMS = [pytest.param(*field, id=field[0]) for field in API_FIELDS]


@pytest.mark.parametrize(("where", "annotation", "metadata", "kind"), API_PARAMS)
def test_api_field_reads_full_width_as_ascii(where: str, annotation: Any, metadata: list[Any], kind: str) -> None:
    adapter = TypeAdapter(Annotated[annotation, *metadata] if metadata else annotation)
    ascii_value = _valid_value(adapter, annotation, kind)
    typed, expected = (full_width(ascii_value), ascii_value)
    if _is_list(annotation):
        typed, expected = [typed], [expected]  # type: ignore[assignment]
    assert adapter.validate_python(typed) == adapter.validate_python(expected)
    if kind == "identifier":
        assert adapter.validate_python("　Ａ１－２　") == "A1-2"


def _valid_value(adapter: TypeAdapter[Any], annotation: Any, kind: str) -> str:
    """The first of a few ASCII values that the field's own bounds accept (a share below 1, a shift
    of at least 30 minutes…), so that the full-width form is compared with a value that passes."""
    candidates = ("1", "0.5", "30", "60", "240") if kind == "number" else ("12",)
    for value in candidates:
        try:
            adapter.validate_python([value] if _is_list(annotation) else value)
        except ValidationError:
            continue
        return value
    raise AssertionError(f"no candidate value passes the field's bounds: {candidates}")


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return origin is not None and bool(args) and any(_is_list(a) for a in args[:1])


# --- end to end: what is stored -----------------------------------------------------------------------

@pytest.mark.django_db
def test_person_registered_with_full_width_id_and_phone_is_stored_in_ascii(principals: Principals) -> None:
    from onewindow.accounts.models import Person
    from onewindow.accounts.testing import make_mobile, make_resident_id

    id_number, phone = make_resident_id(), make_mobile()
    client = Client()
    client.force_login(principals.user("clerk"))
    response = client.post("/api/v1/accounts/persons", {"name": "王五", "id_number": full_width(id_number),
                                                        "phone": full_width(phone)}, content_type="application/json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(name="王五")
    assert (person.id_number, person.phone) == (id_number, phone)


def test_catalog_admin_form_reads_full_width_limits_and_fee() -> None:
    from onewindow.catalog.admin import ServiceItemForm

    form_class: Any = ServiceItemForm
    for name, typed, expected in (("statutory_limit", "２０", 20), ("promised_limit", "１０", 10),
                                  ("fee_amount", "１２．５０", Decimal("12.50")), ("on_site_visits", "１", 1)):
        assert form_class.base_fields[name].clean(typed) == expected
        assert type(form_class.base_fields[name]).__module__ == "onewindow.core.normalize", name


# --- pages that read a typed code directly --------------------------------------------------------------

@pytest.mark.django_db
def test_kiosk_checkin_reads_a_full_width_appointment_code(center_world: Any, kiosk_client: Client) -> None:
    from onewindow.centers.tests.test_pages_public import _booking, open_around_the_clock

    open_around_the_clock(center_world)
    appointment = _booking(center_world, center_world.center, center_world.b, "K2M4P6Q8")
    response = kiosk_client.post(f"/centers/{center_world.center.code}/kiosk/checkin/",
                                 {"appointment_code": "　ｋ２ｍ４ｐ６ｑ８　"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


@pytest.mark.django_db
def test_case_query_page_reads_full_width_code_and_phone_tail(case_world: Any, client: Client) -> None:
    case = case_world.submitted()
    response = client.post("/cases/query/", {"code": full_width(case.query_code),
                                             "tail": full_width(case.phone_tail)})
    assert response.status_code == 200
    assert response.context["result"] is not None


@pytest.mark.django_db
def test_kiosk_phone_and_one_time_code_typed_in_full_width(center_world: Any, kiosk_client: Client) -> None:
    import re

    from onewindow.centers.models import Ticket
    from onewindow.centers.tests.test_pages_public import open_around_the_clock
    from onewindow.notifications.models import Message

    open_around_the_clock(center_world)
    kiosk = f"/centers/{center_world.center.code}/kiosk/"
    kiosk_client.post(f"{kiosk}take/", {"category": "A", "phone": full_width("139-0000-3333")})
    ticket = Ticket.objects.get()
    assert ticket.phone == "13900003333"
    message = Message.objects.get(event="phone_code")
    found = re.search(r"验证码(\d{6})", message.text)
    assert found is not None
    response = kiosk_client.post(f"{kiosk}confirm/{ticket.status_code}/", {"code": full_width(found.group(1))})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.phone_confirmed_at is not None


def test_application_form_reads_full_width_numbers_and_identifiers() -> None:
    from django.http import QueryDict

    from onewindow.cases.forms import parse
    from onewindow.cases.testing import FORM_SCHEMA

    schema = {**FORM_SCHEMA, "properties": {**FORM_SCHEMA["properties"],
                                            "count": {"type": "integer"}, "area": {"type": "number"}}}
    post = QueryDict(mutable=True)
    post.update({"applicant_name": "张伟", "contact_phone": "１３８００１３８０００",
                 "id_number": "１１０１０５１９４９１２３１００２ｘ", "count": "１２", "area": "８８。５",
                 "description": "新办（一）"})
    assert parse(schema, post) == {"applicant_name": "张伟", "contact_phone": "13800138000",
                                   "id_number": "11010519491231002x", "count": 12, "area": 88.5,
                                   "description": "新办（一）"}
