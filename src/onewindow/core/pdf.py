"""The CJK font of every PDF the platform prints (guides, summary lists, record sheets).

The first TrueType CJK font found (``settings.ONEWINDOW_PDF_FONT``, then common Debian paths) is
embedded, so the PDF reads the same on any machine. reportlab embeds TrueType outlines only:
Debian's Noto CJK (CFF outlines) is refused and skipped; ``fonts-wqy-zenhei`` works. Without one,
reportlab's built-in ``STSong-Light`` CID font is used, which PDF readers substitute.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

EMBEDDED_NAME = "OneWindowCJK"
FALLBACK_NAME = "STSong-Light"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@lru_cache(maxsize=1)
def pdf_font() -> str:
    """Register and return the name of the CJK font used in PDFs (embedded TTF or STSong-Light)."""
    configured = getattr(settings, "ONEWINDOW_PDF_FONT", "")
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if not path or not Path(path).exists():
            continue
        try:
            pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, path, subfontIndex=0))
        except Exception:  # noqa: S112 - CFF outlines or a broken file: try the next candidate
            continue
        return EMBEDDED_NAME
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_NAME))
    return FALLBACK_NAME
