"""Full-width digits in tax inputs are stored as their ASCII twins (issue #9 point 8).

A Chinese input method in full-width mode types ``５３０００００``: ``Decimal()`` reads it, so a
correction stored 5300000 in the price column and ``"５３０００００"`` in the record — two values.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from onewindow.taxqr import services
from onewindow.taxqr.models import TaxRecord

from .conftest import TaxWorld, codes_for, sample

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "typed", "stored", "column"), [
    ("contract.price", "５３０００００", "5300000", "5300000.00"),
    ("property.area", "９０．５０", "90.50", "90.50"),
    ("property.area", "９０。５", "90.5", "90.50"),
    ("property.street_code", "３１０１０６０２１", "310106021", "310106021"),
])
def test_a_full_width_correction_is_stored_once_in_ascii(world: TaxWorld, field: str, typed: str, stored: str,
                                                         column: str) -> None:
    record = services.record_capture(by=world.tax_clerk, text=codes_for(701, now=timezone.now())[0])
    correction = services.record_correct(by=world.tax_reviewer, record_id=record.pk, field_path=field, value=typed,
                                         reason="全角输入")
    record = TaxRecord.objects.get(pk=record.pk)
    section, key = field.split(".")
    assert record.record[section][key] == stored
    attribute = services.CORRECTABLE[field]
    assert str(getattr(record, attribute)) == column
    assert correction.after_masked == stored


def test_full_width_numbers_in_a_draft_are_kept_in_ascii(world: TaxWorld) -> None:
    data = sample(702)
    data["property"]["area"] = "８９．５０"
    data["contract"]["price"] = "５２０００００"
    data["sellers"][0]["share"] = "１００"
    data["contract"]["agency_credit_code"] = "".join(chr(ord(c) + 0xFEE0) for c in data["contract"]
                                                     ["agency_credit_code"])
    owner = world.principals.citizen
    draft = services.draft_save(by=owner, data=data)
    coded = services.draft_generate_code(by=owner, draft_id=draft.pk, now=timezone.now())
    saved = services.record_capture(by=world.tax_clerk, text=coded.draft.codes[0])
    record = TaxRecord.objects.get(pk=saved.pk)
    assert (record.record["property"]["area"], record.record["contract"]["price"]) == ("89.50", "5200000")
    assert record.record["sellers"][0]["share"] == "100"
    assert record.agency_credit_code == sample(702)["contract"]["agency_credit_code"]
    assert (str(record.area), str(record.price)) == ("89.50", "5200000.00")
