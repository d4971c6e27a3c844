"""Services of taxqr: the client draft and its code, the window capture and every bad input."""

from __future__ import annotations

import datetime
import io
import itertools
import json

import pytest
from django.db import connection
from PIL import Image

from onewindow.core.errors import DomainError
from onewindow.core.models import AuditEntry, NumberCounter
from onewindow.taxqr import codec, images, keys, keystore, services
from onewindow.taxqr.models import ClientDraft, DraftStatus, RecordCorrection, TaxRecord
from onewindow.taxqr.record import to_wire, transaction_from_dict

from .conftest import NOW, TaxWorld, codes_for, sample

pytestmark = pytest.mark.django_db


def _capture(world: TaxWorld, text: str = "", **kwargs: object) -> TaxRecord:
    return services.record_capture(by=world.tax_clerk, text=text, window="3", now=NOW, **kwargs)  # type: ignore[arg-type]


def _state() -> tuple[int, list[tuple[str, int]], int]:
    return (TaxRecord.objects.count(), sorted(NumberCounter.objects.values_list("scope", "value")),
            AuditEntry.objects.filter(action="taxqr.record.capture").count())


def test_draft_code_then_capture_writes_the_record_with_the_first_archive_number(world: TaxWorld) -> None:
    owner = world.principals.agent
    draft = services.draft_save(by=owner, data=sample(7))
    assert (draft.status, draft.codes, draft.organization_id) == (DraftStatus.DRAFT, [], owner.organization_id)
    coded = services.draft_generate_code(by=owner, draft_id=draft.pk, now=NOW)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.CODED
    assert draft.ruleset_version == "2017.1"
    assert len(draft.codes) == 1 and draft.codes[0].startswith("OWT1:1/1:")
    assert coded.estimate is not None and coded.estimate.total > 0

    record = _capture(world, draft.codes[0], first_scan_at=NOW - datetime.timedelta(seconds=42))
    record.refresh_from_db()
    assert record.archive_no == "JA-2017-000001"
    assert record.certificate_no == "沪(2010)静字不动产权第000007号"
    assert (str(record.area), str(record.price), record.contract_date) == ("89.50", "5200000.00",
                                                                          datetime.date(2017, 7, 20))
    assert record.parties_masked == "张* → 李*"
    assert (record.saved_at - record.first_scan_at).total_seconds() == 42
    assert record.record == transaction_from_dict(sample(7)).to_dict()
    with connection.cursor() as cursor:
        cursor.execute("SELECT record_encrypted FROM taxqr_taxrecord WHERE id = %s", [record.pk])
        raw = cursor.fetchone()[0]
    assert sample(7)["sellers"][0]["id_number"] not in raw
    entry = AuditEntry.objects.get(action="taxqr.record.capture")
    assert entry.after["archive_no"] == "JA-2017-000001"
    assert sample(7)["sellers"][0]["id_number"] not in json.dumps(entry.after, ensure_ascii=False)


def test_draft_with_errors_is_refused_per_field_and_stays_a_draft(world: TaxWorld) -> None:
    data = sample(3)
    number = data["buyers"][0]["id_number"]
    data["buyers"][0]["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
    data["property"]["area"] = "2"
    owner = world.principals.citizen
    draft = services.draft_save(by=owner, data=data)
    with pytest.raises(DomainError) as err:
        services.draft_generate_code(by=owner, draft_id=draft.pk, now=NOW)
    assert err.value.code == "record_invalid"
    assert set(err.value.fields) == {"buyers.0.id_number", "property.area"}
    draft.refresh_from_db()
    assert (draft.status, draft.codes, draft.coded_at) == (DraftStatus.DRAFT, [], None)


def test_another_users_draft_is_not_found_and_unchanged(world: TaxWorld) -> None:
    draft = services.draft_save(by=world.principals.citizen, data=sample(4))
    for call in (lambda: services.draft_save(by=world.principals.another_citizen, data={}, draft_id=draft.pk),
                 lambda: services.draft_generate_code(by=world.principals.another_citizen, draft_id=draft.pk)):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "tax_draft_not_found"
    draft.refresh_from_db()
    assert draft.data == sample(4) and draft.status == DraftStatus.DRAFT


def _multipart(seed: int) -> list[str]:
    tx = transaction_from_dict(sample(seed))
    return codec.encode(to_wire(tx), keys=keystore.sender_keys(), ruleset_version="2017.1", part_chars=200,
                        issued_at=int(NOW.timestamp()))


def _flip(text: str) -> str:
    """One character of the data changed, well past the header. (Splitting at the last ':' failed
    now and then: ':' is a base45 digit, so when the data ended in one there was nothing to flip.)"""
    i = len(text) - 10
    return f"{text[:i]}{'A' if text[i] != 'A' else 'B'}{text[i + 1:]}"


def _png_without_qr() -> bytes:
    out = io.BytesIO()
    Image.new("L", (200, 200), 255).save(out, format="PNG")
    return out.getvalue()


BAD_INPUTS = {
    "foreign": (lambda w: {"text": "HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEPWK G2EP4J0B"}, "qr_foreign"),
    "empty": (lambda w: {"text": "   "}, "qr_empty"),
    "bit_flipped": (lambda w: {"text": _flip(codes_for(11)[0])}, "qr_corrupt"),
    "unknown_key": (lambda w: {"text": codec.encode(to_wire(transaction_from_dict(sample(12))),
                                                    keys=keys.generate("sig9", "enc9").sender,
                                                    ruleset_version="2017.1")[0]}, "qr_unknown_key"),
    "truncated": (lambda w: {"text": codes_for(13)[0][:-40]}, "qr_truncated"),
    "missing_part": (lambda w: {"text": "\n".join(_multipart(14)[:-1])}, "qr_part_missing"),
    "mixed_parts": (lambda w: {"text": "\n".join([_multipart(15)[0], *_multipart(16)[1:]])}, "qr_parts_mixed"),
    "unreadable_photo": (lambda w: {"image": b"GIF89a not really"}, "qr_image_unreadable"),
    "photo_without_code": (lambda w: {"image": _png_without_qr()}, "qr_not_found"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_every_bad_input_is_refused_with_its_code_and_nothing_is_written(world: TaxWorld, name: str) -> None:
    make, code = BAD_INPUTS[name]
    kwargs = make(world)
    before = _state()
    with pytest.raises(DomainError) as err:
        services.record_preview(by=world.tax_clerk, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code
    with pytest.raises(DomainError) as err:
        _capture(world, **kwargs)  # type: ignore[arg-type]
    assert err.value.code == code
    assert _state() == before


def test_expired_rule_set_is_accepted_in_the_grace_period_then_refused(world: TaxWorld, settings: object) -> None:
    made = datetime.datetime(2025, 6, 1, 9, tzinfo=datetime.UTC)
    text = codes_for(21, now=made)[0]
    assert services.record_preview(by=world.tax_clerk, text=text,
                                   now=datetime.datetime(2026, 1, 31, 9, tzinfo=datetime.UTC)).decoded.ruleset_version \
        == "2024.12"
    before = _state()
    with pytest.raises(DomainError) as err:
        services.record_capture(by=world.tax_clerk, text=text,
                                now=datetime.datetime(2026, 2, 1, 9, tzinfo=datetime.UTC))
    assert err.value.code == "ruleset_expired"
    assert "2026-01-01" in str(err.value.message)
    assert _state() == before


def test_already_saved_code_and_duplicate_transaction_are_refused(world: TaxWorld) -> None:
    text = codes_for(31)[0]
    first = _capture(world, text)
    before = _state()
    with pytest.raises(DomainError) as err:
        _capture(world, text)
    assert (err.value.code, err.value.status) == ("qr_already_saved", 409)
    assert first.archive_no in str(err.value.message)
    again = codes_for(32, cert_no=31)[0]  # a new code of the same certificate and contract date
    with pytest.raises(DomainError) as err:
        services.record_preview(by=world.tax_clerk, text=again, now=NOW)
    assert err.value.code == "duplicate_transaction"
    with pytest.raises(DomainError) as err:
        _capture(world, again)
    assert err.value.code == "duplicate_transaction"
    assert _state() == before


def test_property_outside_the_bureau_district_is_refused(world: TaxWorld) -> None:
    text = codes_for(33)[0]
    before = _state()
    with pytest.raises(DomainError) as err:
        services.record_capture(by=world.other_tax_clerk, text=text, now=NOW)
    assert err.value.code == "property_not_in_bureau"
    assert _state() == before


@pytest.mark.parametrize("joiner", ["\n", "", "\r\n"])
def test_multi_part_code_is_accepted_in_any_order(world: TaxWorld, joiner: str) -> None:
    parts = _multipart(41)
    assert len(parts) >= 3
    orders = list(itertools.permutations(parts))[:4]
    for order in orders:
        preview = services.record_preview(by=world.tax_clerk, text=joiner.join(order), now=NOW)
        assert preview.record == transaction_from_dict(sample(41)).to_dict()
    record = _capture(world, joiner.join(reversed(parts)))
    assert record.certificate_no == "沪(2010)静字不动产权第000041号"


def test_codes_from_a_photo_with_several_codes_are_captured(world: TaxWorld) -> None:
    parts = _multipart(42)
    tiles = [Image.open(io.BytesIO(images.render_png(t, scale=3))) for t in parts]
    width = sum(t.width for t in tiles) + 20 * len(tiles)
    canvas = Image.new("L", (width, max(t.height for t in tiles) + 40), 255)
    x = 10
    for tile in tiles:
        canvas.paste(tile, (x, 20))
        x += tile.width + 20
    photo = canvas.rotate(7, expand=True, fillcolor=255).resize((int(canvas.width * 1.2), int(canvas.height * 1.2)))
    out = io.BytesIO()
    photo.convert("RGB").save(out, format="JPEG", quality=85)
    record = _capture(world, "", image=out.getvalue())
    assert record.certificate_no == "沪(2010)静字不动产权第000042号"


def test_archive_numbers_are_gap_free_per_bureau_and_year_across_refusals(world: TaxWorld) -> None:
    numbers = [_capture(world, codes_for(50)[0]).archive_no]
    with pytest.raises(DomainError):
        _capture(world, codes_for(51, cert_no=50)[0])  # duplicate: refused after decoding
    numbers.append(_capture(world, codes_for(52)[0]).archive_no)
    later = services.record_capture(by=world.tax_clerk, text=codes_for(53, now=NOW)[0],
                                    now=NOW.replace(year=2018, month=1, day=3))
    numbers.append(_capture(world, codes_for(54)[0]).archive_no)
    assert numbers == ["JA-2017-000001", "JA-2017-000002", "JA-2017-000003"]
    assert later.archive_no == "JA-2018-000001"
    assert sorted(NumberCounter.objects.filter(scope__startswith="taxqr:").values_list("scope", "value")) == [
        ("taxqr:JA:2017", 3), ("taxqr:JA:2018", 1)]


def test_correction_is_recorded_audited_and_masked(world: TaxWorld) -> None:
    record = _capture(world, codes_for(61)[0])
    correction = services.record_correct(by=world.tax_reviewer, record_id=record.pk, field_path="contract.price",
                                         value="5300000", reason="合同补充协议")
    record.refresh_from_db()
    assert str(record.price) == "5300000.00"
    assert record.record["contract"]["price"] == "5300000"
    assert (correction.before_masked, correction.after_masked) == ("5200000", "5300000")
    entry = AuditEntry.objects.get(action="taxqr.record.correct")
    assert entry.before == {"contract.price": "5200000"}
    before = (RecordCorrection.objects.count(), str(TaxRecord.objects.get(pk=record.pk).price))
    for field, value, code in (("sellers.0.id_number", "x", "field_not_correctable"),
                               ("contract.price", "5", "record_invalid")):
        with pytest.raises(DomainError) as err:
            services.record_correct(by=world.tax_reviewer, record_id=record.pk, field_path=field, value=value,
                                    reason="r")
        assert err.value.code == code
    with pytest.raises(DomainError) as err:
        services.record_correct(by=world.other_tax_clerk, record_id=record.pk, field_path="contract.price",
                                value="5400000", reason="r")
    assert err.value.code == "tax_record_not_found"
    assert (RecordCorrection.objects.count(), str(TaxRecord.objects.get(pk=record.pk).price)) == before


def test_missing_keys_say_which_command_to_run(world: TaxWorld, settings: object, tmp_path: object) -> None:
    settings.TAXQR_KEY_DIR = tmp_path / "empty"  # type: ignore[attr-defined, operator]
    before = ClientDraft.objects.count()
    draft = services.draft_save(by=world.principals.citizen, data=sample(70))
    with pytest.raises(DomainError) as err:
        services.draft_generate_code(by=world.principals.citizen, draft_id=draft.pk, now=NOW)
    assert err.value.code == "taxqr_keys_missing"
    assert "taxqr_keys generate" in str(err.value.message)
    draft.refresh_from_db()
    assert draft.codes == [] and ClientDraft.objects.count() == before + 1


def test_rotated_keys_still_open_codes_made_before_the_rotation(world: TaxWorld) -> None:
    old = codes_for(80)[0]
    lines = keystore.generate(rotate=True)
    assert any("enc2" in line for line in lines) and any("sig2" in line for line in lines)
    new = codes_for(81)[0]
    assert services.record_preview(by=world.tax_clerk, text=old, now=NOW).decoded.signing_kid == "sig1"
    assert services.record_preview(by=world.tax_clerk, text=new, now=NOW).decoded.signing_kid == "sig2"


def test_a_race_lost_at_insert_is_refused_as_duplicate_and_leaves_no_gap(world: TaxWorld, monkeypatch: object) -> None:
    """Another window saves the same transaction between our checks and our insert."""
    ours, theirs = codes_for(110)[0], codes_for(111, cert_no=110)[0]
    original = services._decode
    calls: list[int] = []

    def decode_then_lose_the_race(by: object, text: str, today: datetime.date) -> services.Preview:
        preview = original(by, text, today)  # type: ignore[arg-type]
        if not calls:
            calls.append(1)
            monkeypatch.setattr(services, "_decode", original)  # type: ignore[attr-defined]
            _capture(world, theirs)
        return preview

    monkeypatch.setattr(services, "_decode", decode_then_lose_the_race)  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as err:
        _capture(world, ours)
    assert (err.value.code, err.value.status) == ("duplicate_transaction", 409)
    assert list(TaxRecord.objects.values_list("archive_no", flat=True)) == ["JA-2017-000001"]
    assert NumberCounter.objects.get(scope="taxqr:JA:2017").value == 1
