"""Search keys of entity names (decision 0014): normalized name suffixes and pinyin initials.

A name fragment query (two Chinese characters or more) and a pinyin-initials query are both
answered by one prefix range over ``EntitySearchKey.key``: the table holds every suffix of the
normalized name, and ``~`` + every suffix of its pinyin initials, each cut to
:data:`KEY_LENGTH` characters. ``上海宏达贸易有限公司`` gives ``上海宏达贸易有限``, ``海宏达贸易有限公``,
``宏达贸易有限公司``, … and ``~shhdmyyx``, ``~hhdmyyxg``, ``~hdmyyxgs``, …, so ``宏达``, ``达贸易``
and ``hdmy`` are each one index range. Suffixes that start inside the closing organizational form
(``有限公司``, ``股份有限公司`` …) are not stored: a query that lies wholly inside one matches
almost every entity and is refused as too broad (``market_search_too_broad``).

Pinyin initials: pypinyin picks each character's reading from its phrase dictionary, which costs
~0.1 ms a name; at 3.2 million names that is five minutes of an import. Most characters of a
business name have one usual reading, so initials come from a per-character cache, and only a
name with one of the :data:`PHRASE_CHARACTERS` (whose reading in a business name depends on the
word: 银行 *h*ang, 重庆 *c*hong, 音乐 *y*ue, 大厦 *s*ha) is read whole by pypinyin.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from pypinyin import Style, lazy_pinyin

KEY_LENGTH = 8
MIN_QUERY = 2
INITIALS_MARK = "~"
#: The upper bound of a prefix range: above every character (UTF-8 F4 8F BF BF; code-point order).
RANGE_END = "\U0010ffff"

#: Closing organizational forms (组织形式, 企业名称登记管理规定 art. 9): suffixes starting inside
#: them are not keys. Longest first, so the longest form is stripped.
ORGANIZATIONAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "股份合作公司",
    "专业合作社",
    "有限公司",
    "合伙企业",
    "分公司",
    "合作社",
    "分店",
    "公司",
    "工作室",
    "事务所",
    "经营部",
    "商行",
    "厂",
    "店",
    "社",
)
#: Characters whose initial in a business name depends on the word (read by phrase).
PHRASE_CHARACTERS = frozenset("行重乐厦调会长藏传朝单曾解省石属术率系区")

_DROP = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ASCII_KEEP = re.compile(r"[^0-9a-z]")


def normalize_name(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, only Chinese characters,
    ASCII letters and digits (spaces, brackets and punctuation dropped)."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "").lower())


def _per_char(chars: str) -> Any:
    # Non-Chinese runs ("ABC") become one "syllable" per character, so initials keep them whole.
    return list(chars)


@functools.cache
def _char_initial(ch: str) -> str:
    if ch.isascii():
        return ch
    return lazy_pinyin(ch, style=Style.FIRST_LETTER, errors=_per_char)[0][:1].lower()


def name_initials(name: str) -> str:
    """Pinyin initials of a name (normalized first): ``上海宏达贸易有限公司`` → ``shhdmyyxgs``."""
    text = normalize_name(name)
    if PHRASE_CHARACTERS.isdisjoint(text):
        return "".join(_char_initial(ch) for ch in text)
    syllables = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=_per_char)
    return _ASCII_KEEP.sub("", "".join(s[:1] for s in syllables).lower())


def core_length(text: str) -> int:
    """Length of a normalized name without its closing organizational form (at least 1)."""
    for form in ORGANIZATIONAL_FORMS:
        if text.endswith(form) and len(text) > len(form):
            return len(text) - len(form)
    return len(text)


def search_keys(name: str, initials: str | None = None) -> set[str]:
    """Every key of ``name``: its suffixes (≥ 2 characters) and ``~`` + the suffixes of its
    initials, each cut to :data:`KEY_LENGTH`, starting before the organizational form."""
    text = normalize_name(name)
    if initials is None:
        initials = name_initials(text)
    core = core_length(text)
    keys = {text[i : i + KEY_LENGTH] for i in range(min(core, len(text) - 1))}
    if len(initials) == len(text):
        keys |= {INITIALS_MARK + initials[i : i + KEY_LENGTH] for i in range(min(core, len(initials) - 1))}
    return keys


def is_too_broad(query: str) -> bool:
    """True when a normalized query lies wholly inside an organizational form (``公司``, ``有限``):
    no key starts there, and it would match nearly every entity."""
    return any(query in form for form in ORGANIZATIONAL_FORMS)


def is_initials_query(query: str) -> bool:
    """A query of ASCII letters only (``hdmy``) is read as pinyin initials (and as a name fragment)."""
    return query.isascii() and query.isalpha()
