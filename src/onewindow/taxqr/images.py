"""QR images of the housing-transaction code: render (segno) and read (zxing-cpp).

Rendering uses error-correction level M (15 % of the code may be damaged) and the alphanumeric
mode that Base45 text allows. Reading accepts a photo or screenshot with several codes in it,
rotated, scaled or slightly blurred (zxing-cpp searches rotations and downscaled copies).
"""

from __future__ import annotations

import io

import segno
import zxingcpp
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from .codec import QrError

MAX_IMAGE_PIXELS = 40_000_000


def make_qr(text: str) -> segno.QRCode:
    return segno.make_qr(text, error="m", boost_error=False, mode="alphanumeric")


def render_png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    out = io.BytesIO()
    make_qr(text).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def render_svg(text: str, *, scale: int = 4, border: int = 4, title: str = "") -> str:
    out = io.BytesIO()
    make_qr(text).save(out, kind="svg", scale=scale, border=border, xmldecl=False, svgns=True,
                       title=title or None, svgclass="taxqr-code", lineclass=None)
    return out.getvalue().decode()


def read_image(data: bytes) -> list[str]:
    """Texts of every QR code found in an image file (PNG, JPEG …), in reading order."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise QrError(_("无法读取该图片，请上传 PNG 或 JPEG 格式的照片或截图。"), code="qr_image_unreadable") from exc
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode))
    texts = [barcode.text for barcode in found if barcode.valid and barcode.text]
    if not texts:
        raise QrError(_("图片中没有识别到二维码，请对准二维码重新拍摄，保持清晰、完整。"), code="qr_not_found")
    return texts
