"""The QR transport of the housing-transaction record: round trips and every bad input."""

from __future__ import annotations

import io
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from onewindow.taxqr import codec, images, keys

KEYS = keys.generate("sig1", "enc1")
RECORD = {
    "property": {"certificate": "沪(2017)静字不动产权第012345号", "area": "89.50", "district": "310106"},
    "contract": {"price": "5200000", "date": "2017-07-20"},
    "sellers": [{"name": "张三", "id_number": "310106198001011234", "share": "100"}],
    "buyers": [{"name": "李四", "id_number": "11010519491231002X", "share": "100"}],
}

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                      st.text(max_size=30), st.decimals(allow_nan=False, places=2).map(str))
records = st.dictionaries(
    st.text(string.ascii_lowercase + "_", min_size=1, max_size=12),
    st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20),
    max_size=8,
)


def test_round_trip_single_code() -> None:
    texts = codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1", issued_at=1500000000)
    assert len(texts) == 1
    assert texts[0].startswith("OWT1:1/1:")
    decoded = codec.decode(texts, keys=KEYS.receiver)
    assert decoded.record == RECORD
    assert decoded.ruleset_version == "2017.1"
    assert decoded.issued_at == 1500000000
    assert (decoded.signing_kid, decoded.encryption_kid) == ("sig1", "enc1")


def test_code_text_uses_only_qr_alphanumeric_characters_and_reveals_no_id_number() -> None:
    text = codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1")[0]
    allowed = set(string.digits + string.ascii_uppercase + " $%*+-./:")
    assert set(text) <= allowed
    assert "310106198001011234" not in text
    assert images.make_qr(text).mode == "alphanumeric"


@given(records)
def test_any_record_survives_qr_image_round_trip(record: dict) -> None:
    texts = codec.encode(record, keys=KEYS.sender, ruleset_version="r9")
    scanned = [text for t in texts for text in images.read_image(images.render_png(t, scale=3))]
    assert codec.decode(scanned, keys=KEYS.receiver).record == record


def _large_record() -> dict:
    rng = random.Random(7)
    return {"rows": ["".join(rng.choice(string.ascii_letters) for _ in range(40)) for _ in range(120)]}


def test_large_record_splits_and_parts_are_accepted_in_any_order_and_in_one_line() -> None:
    texts = codec.encode(_large_record(), keys=KEYS.sender, ruleset_version="2017.1")
    assert len(texts) >= 3
    assert [t.split(":")[1] for t in texts] == [f"{i}/{len(texts)}" for i in range(1, len(texts) + 1)]
    for t in texts:
        assert images.make_qr(t).version <= 20
    shuffled = list(reversed(texts))
    assert codec.decode(shuffled, keys=KEYS.receiver).record == _large_record()
    # A scanner gun typing every part into one field without separators.
    assert codec.decode("".join(shuffled), keys=KEYS.receiver).record == _large_record()


def _error_code(text: str | list[str], receiver: keys.ReceiverKeys = KEYS.receiver) -> str:
    with pytest.raises(codec.QrError) as info:
        codec.decode(text, keys=receiver)
    assert info.value.status == 422
    assert str(info.value.message)
    return info.value.code


def test_qr_of_another_system_is_refused() -> None:
    assert _error_code("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH") == "qr_foreign"
    assert _error_code("https://example.invalid/pay?id=1") == "qr_foreign"


def test_flipped_character_is_refused_as_corrupt() -> None:
    text = codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1")[0]
    header_end = text.index(":", text.index(":", text.index(":", 5) + 1) + 1) + 1
    position = header_end + 40
    flipped = text[:position] + ("A" if text[position] != "A" else "B") + text[position + 1:]
    assert _error_code(flipped) == "qr_corrupt"


def test_flipped_bit_inside_the_envelope_is_refused() -> None:
    envelope = bytearray(codec.seal(RECORD, keys=KEYS.sender, ruleset_version="2017.1"))
    envelope[-5] ^= 0x01
    with pytest.raises(codec.QrError) as info:
        codec.open_envelope(bytes(envelope), keys=KEYS.receiver)
    assert info.value.code == "qr_corrupt"


def test_unknown_encryption_key_and_unknown_signing_key_are_refused() -> None:
    other = keys.generate("sig2", "enc9")
    text = codec.encode(RECORD, keys=other.sender, ruleset_version="2017.1")
    assert _error_code(text) == "qr_unknown_key"
    # Right encryption key, but the signer is not registered at the window.
    stranger = keys.SenderKeys("sig7", other.sender.signing_key, "enc1", KEYS.sender.recipient_key)
    assert _error_code(codec.encode(RECORD, keys=stranger, ruleset_version="2017.1")) == "qr_unknown_key"


def test_signature_by_a_wrong_key_under_a_known_kid_is_refused() -> None:
    forger = keys.generate("sig1", "enc1")
    forged = keys.SenderKeys("sig1", forger.sender.signing_key, "enc1", KEYS.sender.recipient_key)
    assert _error_code(codec.encode(RECORD, keys=forged, ruleset_version="2017.1")) == "qr_bad_signature"


def test_truncated_and_missing_and_mixed_parts_are_refused() -> None:
    texts = codec.encode(_large_record(), keys=KEYS.sender, ruleset_version="2017.1")
    assert _error_code(texts[0][:-30]) == "qr_truncated"
    assert _error_code(texts[:-1]) == "qr_part_missing"
    other = codec.encode(_large_record() | {"x": 1}, keys=KEYS.sender, ruleset_version="2017.1")
    assert _error_code([texts[0], *other[1:]]) == "qr_parts_mixed"


def test_rotated_version_key_rotation_old_codes_still_decode() -> None:
    old = codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1")
    new_pair = keys.generate("sig2", "enc2")
    receiver = keys.ReceiverKeys(
        verification_keys=KEYS.receiver.verification_keys | new_pair.receiver.verification_keys,
        decryption_keys=KEYS.receiver.decryption_keys | new_pair.receiver.decryption_keys,
    )
    new = codec.encode(RECORD, keys=new_pair.sender, ruleset_version="2017.1")
    assert codec.decode(old, keys=receiver).signing_kid == "sig1"
    assert codec.decode(new, keys=receiver).signing_kid == "sig2"


def _photo(png: bytes, *, angle: float, scale: float, blur: float, noise: int, seed: int) -> bytes:
    rng = random.Random(seed)
    with Image.open(io.BytesIO(png)) as image:
        img = image.convert("L")
    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.Resampling.BILINEAR)
    canvas = Image.new("L", (img.width + 200, img.height + 200), 235)
    canvas.paste(img, (100, 100))
    canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
    canvas = canvas.filter(ImageFilter.GaussianBlur(blur))
    pixels = canvas.load()
    for _ in range(canvas.width * canvas.height // 50):
        x, y = rng.randrange(canvas.width), rng.randrange(canvas.height)
        pixels[x, y] = max(0, min(255, pixels[x, y] + rng.randint(-noise, noise)))
    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


@pytest.mark.parametrize(("angle", "scale", "blur", "noise"),
                         [(0, 1.0, 0.0, 0), (12, 0.8, 0.6, 40), (90, 1.3, 0.8, 60), (-27, 0.7, 0.5, 50)])
def test_photo_like_images_decode(angle: float, scale: float, blur: float, noise: int) -> None:
    text = codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1")[0]
    photo = _photo(images.render_png(text, scale=4), angle=angle, scale=scale, blur=blur, noise=noise, seed=1)
    assert images.read_image(photo) == [text]


def test_several_codes_in_one_image_are_all_read() -> None:
    texts = codec.encode(_large_record(), keys=KEYS.sender, ruleset_version="2017.1")
    tiles = []
    for t in texts:
        with Image.open(io.BytesIO(images.render_png(t, scale=3))) as tile:
            tiles.append(tile.convert("L"))
    sheet = Image.new("L", (sum(t.width for t in tiles) + 40 * len(tiles), max(t.height for t in tiles) + 40), 255)
    x = 20
    for tile in tiles:
        sheet.paste(tile, (x, 20))
        x += tile.width + 40
    out = io.BytesIO()
    sheet.save(out, format="PNG")
    found = images.read_image(out.getvalue())
    assert sorted(found) == sorted(texts)
    assert codec.decode(found, keys=KEYS.receiver).record == _large_record()


def test_unreadable_images_are_refused_with_specific_codes() -> None:
    with pytest.raises(codec.QrError) as info:
        images.read_image(b"not an image at all")
    assert info.value.code == "qr_image_unreadable"
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, format="PNG")
    with pytest.raises(codec.QrError) as info:
        images.read_image(blank.getvalue())
    assert info.value.code == "qr_not_found"


def test_svg_rendering_is_self_contained() -> None:
    svg = images.render_svg(codec.encode(RECORD, keys=KEYS.sender, ruleset_version="2017.1")[0], title="房交信息")
    assert svg.startswith("<svg")
    assert "http://www.w3.org/2000/svg" in svg
    assert "<title>房交信息</title>" in svg
    assert "href" not in svg
