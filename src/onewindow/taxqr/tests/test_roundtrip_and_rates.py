"""Any valid record → QR image → decode → the same record (hypothesis); the editable rate table."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry
from onewindow.taxqr import codec, images, keys, rules, samples, selectors, services, tax
from onewindow.taxqr.models import RateKind, RateRow
from onewindow.taxqr.record import from_wire, to_wire

KEYS = keys.generate("sig1", "enc1")
TODAY = datetime.date(2026, 11, 27)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(1, 10**6), area=st.decimals("5", "3000", places=2),
       price=st.integers(10_000, 50_000_000), signed=st.dates(datetime.date(2017, 1, 1), TODAY),
       held_days=st.integers(0, 10_000), homes=st.integers(0, 5), child=st.booleans())
def test_any_valid_record_survives_qr_image_and_decode(seed: int, area: Decimal, price: int, signed: datetime.date,
                                                       held_days: int, homes: int, child: bool) -> None:
    tx = samples.transaction(seed, signed_on=signed, acquired_on=signed - datetime.timedelta(days=held_days),
                             area=str(area), price=str(price), homes_held=homes, with_child=child)
    findings = rules.check(tx, ruleset=rules.current(), today=TODAY)
    assert rules.errors_of(findings) == []
    texts = codec.encode(to_wire(tx), keys=KEYS.sender, ruleset_version=rules.current().version)
    scanned = [text for t in texts for text in images.read_image(images.render_png(t, scale=3))]
    assert from_wire(codec.decode(scanned, keys=KEYS.receiver).record) == tx


@pytest.mark.django_db
def test_rate_table_is_seeded_from_domain_md_and_edits_change_the_estimate() -> None:
    assert selectors.rate_table() is tax.SEED
    seeded = services.rate_rows_seed(by=system_actor("test"))
    assert seeded == len(tax.SEED.deed) + len(tax.SEED.vat) + len(tax.SEED.income)
    assert services.rate_rows_seed(by=system_actor("test")) == 0
    table = selectors.rate_table()
    assert (set(table.deed), set(table.vat), set(table.income)) == (set(tax.SEED.deed), set(tax.SEED.vat),
                                                                     set(tax.SEED.income))
    tx = samples.transaction(1, signed_on=datetime.date(2025, 3, 3), area="89.50", price="5000000")
    assert tax.estimate(tx, table=selectors.rate_table()).lines[0].amount == Decimal("50000.00")
    row = RateRow.objects.get(kind=RateKind.DEED, home_rank=1, max_area=Decimal("140"))
    row.rate = Decimal("0.008")
    services.rate_row_save(by=system_actor("test"), row=row)
    assert tax.estimate(tx, table=selectors.rate_table()).lines[0].amount == Decimal("40000.00")
    entry = AuditEntry.objects.get(action="taxqr.rates.save")
    assert (entry.before["rate"], entry.after["rate"]) == ("0.0100", "0.008")
