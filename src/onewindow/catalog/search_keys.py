"""Pinyin keys for catalog search: full pinyin and pinyin initials of an item name (pypinyin).

``普通护照签发`` → full ``putonghuzhaoqianfa``, initials ``pthzqf``, so ``hz`` and ``huzhao`` both
find it. Non-Chinese characters are kept (lower-cased letters and digits), punctuation dropped.
"""

from __future__ import annotations

import re
from typing import Any

from pypinyin import lazy_pinyin

_KEEP = re.compile(r"[^0-9a-z]")
#: Control characters (C0, DEL, C1): never part of a search, and PostgreSQL refuses a NUL in text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _one_per_char(chars: str) -> Any:
    # Non-Chinese runs ("ICP") become one "syllable" per character, so initials keep them whole.
    return list(chars)


def name_search_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of ``name``, lower-case, without separators."""
    syllables = lazy_pinyin(name, errors=_one_per_char)
    full = _KEEP.sub("", "".join(syllables).lower())
    initials = _KEEP.sub("", "".join(s[:1] for s in syllables).lower())
    return full, initials


def normalize_query(q: str) -> tuple[str, str]:
    """(text query, pinyin query): the stripped text, and its ascii letters/digits lower-cased.

    The pinyin query is empty when the text contains Chinese characters, so "护照" is matched on
    the name only and "hz" / "huzhao" on the pinyin columns. Control characters count as spaces
    (a NUL typed into a search box would otherwise reach PostgreSQL, which refuses it in text).
    """
    text = " ".join(_CONTROL.sub(" ", q).split())[:100]
    if not text or not text.isascii():
        return text, ""
    return text, _KEEP.sub("", text.lower())
