"""The hall's voice announcement (语音叫号) "请 A012 号到 3 号窗口", offline.

Government extranets have no internet and hall PCs often no Chinese text-to-speech voice, so the
announcement is a sequence of short recorded clips (WAV, 16 kHz mono) served as static files:
``请`` · the ticket's letter · its digits one by one (零一二, as halls read ticket numbers) · ``号`` ·
``到`` · the window number the Chinese way (三, 十二, 一百零五) · ``号`` · ``窗口``.

The clips are generated once with Debian's espeak-ng Mandarin voice (``onewindow
centers_voice_clips``) and committed, so installations need no espeak-ng. The display page plays
the sequence this module computes; a browser with a local zh-CN voice may speak
:func:`announcement_text` instead (speechSynthesis, an option on the page).
"""

from __future__ import annotations

import string
from pathlib import Path

CLIP_DIR = Path(__file__).resolve().parent / "static" / "centers" / "voice"
STATIC_PREFIX = "centers/voice/"

DIGITS = "零一二三四五六七八九"
WORDS = {"qing": "请", "hao": "号", "dao": "到", "chuangkou": "窗口", "shi": "十", "bai": "百"}


def symbols() -> dict[str, str]:
    """Every clip the announcer may need: its file stem → the text espeak-ng speaks."""
    table = dict(WORDS)
    table.update({f"d{n}": DIGITS[n] for n in range(10)})
    # The letters as English letter names ("A" = ei): how Shanghai halls read the prefix.
    table.update({f"letter_{c}": c for c in string.ascii_uppercase})
    return table


def _chinese_number(n: int) -> list[str]:
    """1–999 the Chinese way as clip stems: 3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五."""
    if n <= 0 or n > 999:
        return [f"d{d}" for d in str(max(n, 0))]
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out: list[str] = []
    if hundreds:
        out += [f"d{hundreds}", "bai"]
        if rest and tens == 0:
            out.append("d0")
    if tens:
        if tens > 1 or hundreds:
            out.append(f"d{tens}")
        out.append("shi")
    if ones:
        out.append(f"d{ones}")
    return out


def _ticket(display: str) -> list[str]:
    out: list[str] = []
    for ch in str(display).upper():
        if ch.isdigit():
            out.append(f"d{ch}")
        elif ch in string.ascii_uppercase:
            out.append(f"letter_{ch}")
    return out


def announcement(display: str, window: int) -> list[str]:
    """The clip stems of "请 <ticket> 号到 <window> 号窗口" (A012, 3 → 请 A 零一二 号 到 三 号 窗口)."""
    return ["qing", *_ticket(display), "hao", "dao", *_chinese_number(int(window)), "hao", "chuangkou"]


def announcement_text(display: str, window: int) -> str:
    """The same sentence as text, for the browser's own zh-CN voice."""
    table = symbols()
    return "".join(table[s] for s in announcement(display, window))


def clip_urls(display: str, window: int) -> list[str]:
    """Static paths (relative to STATIC_URL) of the clips, in playing order."""
    return [f"{STATIC_PREFIX}{stem}.wav" for stem in announcement(display, window)]
