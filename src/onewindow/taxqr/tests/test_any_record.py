"""Any valid housing-transaction record → QR texts → decode → the same record, every part within
the capacity of one code (issue #10 part 6). The records come from ``strategies.transactions``:
every ID kind, Chinese and Latin names, 1..N parties on each side, optional fields present or
absent, amounts at their boundaries."""

from __future__ import annotations

from hypothesis import given

from onewindow.taxqr import codec, images, keys, rules
from onewindow.taxqr.record import Transaction, from_wire, to_wire, transaction_from_dict

from .strategies import RULESET, TODAY, transactions

KEYS = keys.generate("sig1", "enc1")
#: A part's text is at most DEFAULT_PART_CHARS alphanumeric characters: QR version 20 at level M.
MAX_QR_VERSION = 20


@given(transactions())
def test_any_valid_record_round_trips_through_its_qr_texts(tx: Transaction) -> None:
    assert rules.errors_of(rules.check(tx, ruleset=RULESET, today=TODAY)) == []  # the strategy's promise
    texts = codec.encode(to_wire(tx), keys=KEYS.sender, ruleset_version=RULESET.version)
    assert 1 <= len(texts) <= codec.MAX_PARTS
    assert [t.split(":")[1] for t in texts] == [f"{i}/{len(texts)}" for i in range(1, len(texts) + 1)]
    assert max(len(t) for t in texts) <= codec.DEFAULT_PART_CHARS
    for text in {texts[0], texts[-1]}:  # every part but the last has the first one's length
        assert images.make_qr(text).version <= MAX_QR_VERSION
    decoded = codec.decode("\n".join(reversed(texts)), keys=KEYS.receiver)
    assert decoded.ruleset_version == RULESET.version
    assert from_wire(decoded.record) == tx
    # The form's path reads the record back unchanged too (a stored record is what the form built).
    assert transaction_from_dict(tx.to_dict()) == tx
