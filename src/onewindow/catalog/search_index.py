"""The in-memory search index of the catalog, one per catalog generation per worker (decision 0020).

Search with a varied workload (issue #17) missed every cache and ran two SQL statements that scan
the item table with ``LIKE '%…%'`` (the page, ranked by a ``CASE``, and the grouped facet counts).
The index holds what search needs of the ~10.7k items — name, full pinyin, initials, status and the
filter columns — and answers the filter, the ranking, the facets and the paging in Python; the
caller then reads the page's rows (``selectors``).

Sets of items are bitmaps (Python ints; bit *p* is the item at position *p* of the default order
``level_rank, sort_order, id``), so filters and terms are ``&``, and the lowest set bits of a
ranking class are its items in the default order. Substrings are found through n-gram postings
(each n-gram of each string → bitmap): a key no longer than the n-gram size is one dictionary look-up,
a longer one the ``&`` of its n-grams, verified against the strings. Each string is indexed with
anchors (``\\x02`` before, ``\\x03`` after), so a prefix is the substring ``\\x02key``.

Same semantics as the SQL it replaces (``selectors._filtered`` / ``_ranked`` / ``_facets``): a
name matches a term containing ASCII letters case-insensitively (ASCII only, as SQLite's LIKE),
otherwise exactly; pinyin and initials are lower-case already.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .search_keys import normalize_query

START, END = "\x02", "\x03"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A set of at most this many items has its facets counted item by item, a larger one by bitmaps.
SMALL_SET = 48
#: Keys of a term's match kept per index (a popular term of the workload is looked up once).
TERM_MEMO = 4096


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def has_ascii_letters(text: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in text)


def bitmap(found: Iterable[int], size: int) -> int:
    """The bitmap of the positions ``found`` (each below ``size``)."""
    raw = bytearray((size + 7) // 8)
    for position in found:
        raw[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(raw, "little")


def positions(bits: int, skip: int = 0, limit: int | None = None) -> list[int]:
    """The set bits of ``bits``, lowest first, after skipping ``skip`` of them (at most ``limit``)."""
    if not bits:
        return []
    text = format(bits, "b")
    top = len(text) - 1
    out: list[int] = []
    index = len(text)
    for _ in range(skip):
        index = text.rfind("1", 0, index)
        if index < 0:
            return out
    while limit is None or len(out) < limit:
        index = text.rfind("1", 0, index)
        if index < 0:
            break
        out.append(top - index)
    return out


class Grams:
    """Substring search over a list of strings through n-gram postings (n = 1 … ``size``)."""

    def __init__(self, strings: list[str], size: int) -> None:
        self.strings = [START + s + END for s in strings]
        self.size = size
        lists: dict[str, list[int]] = {}
        for position, anchored in enumerate(self.strings):
            length = len(anchored)
            for gram in {anchored[start:start + n] for n in range(1, size + 1) for start in range(length - n + 1)}:
                found = lists.get(gram)
                if found is None:
                    lists[gram] = [position]
                else:
                    found.append(position)
        self.postings = {gram: bitmap(found, len(strings)) for gram, found in lists.items()}
        self.all = (1 << len(strings)) - 1

    def containing(self, key: str) -> int:
        """The strings that contain ``key`` (may begin with START or end with END)."""
        if not key:
            return self.all
        if len(key) <= self.size:
            return self.postings.get(key, 0)
        candidates = self.all
        for start in range(0, len(key) - self.size + 1):
            candidates &= self.postings.get(key[start:start + self.size], 0)
            if not candidates:
                return 0
        out = 0
        for position in positions(candidates):
            if key in self.strings[position]:
                out |= 1 << position
        return out


@dataclass
class FacetSource:
    """One facet's value → bitmap of items, and the attribute each item has (for small sets)."""

    bits: dict[Any, int]
    of: list[Any]


@dataclass
class SearchIndex:
    generation: int
    built_at: float
    build_seconds: float
    ids: list[int]                       # position → item id (default order)
    status: dict[str, int]
    level: FacetSource
    category: FacetSource
    depth: FacetSource
    district: FacetSource                # district id (None for city items)
    type: FacetSource                    # item type id
    department: FacetSource              # department id
    by_code: dict[str, dict[str, int]]   # filter → code → bitmap (district, street, department, type)
    names: Grams                         # names, ASCII letters lower-cased
    exact_names: dict[str, int]          # name as stored → bitmap
    pinyin: Grams
    initials: Grams
    exact_initials: dict[str, int]
    labels: dict[str, dict[int, tuple[str, str]]]   # district / type / department id → (code, name)
    department_sort: dict[int, int]
    #: district / type id → in the order of their codes (the order of those facets)
    by_code_order: dict[str, list[int]]
    #: item id → what a result row shows: code, name, level, category, type id, department id,
    #: region id, depth, fully online, status (the names of type, department, region: ``labels``)
    rows: dict[int, tuple[Any, ...]]
    memo: dict[tuple[str, str], int] = field(default_factory=dict)
    #: Parts of the API's answer rendered ahead by ``schemas.item_list_json`` and kept with the index,
    #: so once per catalog generation: per script prefix, every item's result row as JSON bytes
    #: (10,741 rows, 4.2 MB of JSON, 64 ms of CPU on the demo catalog); per (language, value,
    #: label), a facet entry's JSON up to its count.
    rendered: dict[str, dict[int, bytes]] = field(default_factory=dict)
    facet_parts: dict[tuple[str, str, str], bytes] = field(default_factory=dict)

    @property
    def all(self) -> int:
        return self.names.all

    def _memo(self, kind: str, key: str, compute: Any) -> int:
        memo_key = (kind, key)
        found = self.memo.get(memo_key)
        if found is None:
            found = compute()
            if len(self.memo) >= TERM_MEMO:
                self.memo.clear()
            self.memo[memo_key] = found
        return found

    def name_contains(self, text: str) -> int:
        return self._memo("name", text, lambda: self.names.containing(ascii_lower(text)))

    def term(self, term: str) -> int:
        """The items one query term finds (``selectors._filtered``'s condition of a term)."""
        return self._memo("term", term, lambda: self._term(term))

    def _term(self, term: str) -> int:
        text, pinyin = normalize_query(term)
        found = self.name_contains(text)
        if pinyin:
            found |= self.pinyin.containing(pinyin) | self.initials.containing(pinyin)
        if len(text) >= 2 and not pinyin:
            # "静安 食品", "公安 护照": a term naming a district or a department narrows to its items
            for kind in ("district", "department"):
                source: FacetSource = getattr(self, kind)
                for pk, (_code, name) in self.labels[kind].items():
                    if text in name:
                        found |= source.bits.get(pk, 0)
        return found

    def ranked(self, matched: int, q: str) -> list[int]:
        """``matched`` split into ranking classes, best first (``selectors._ranked``): exact name,
        name prefix, name substring, initials equal, initials substring, pinyin prefix, the rest;
        within a class, the default order (the bits' order)."""
        if not q:
            return [matched]
        text, pinyin = normalize_query(q)
        key = ascii_lower(text)
        classes = [self.exact_names.get(text, 0), self.names.containing(START + key), self.name_contains(text)]
        if pinyin:
            classes += [self.exact_initials.get(pinyin, 0), self.initials.containing(pinyin),
                        self.pinyin.containing(START + pinyin)]
        out = []
        rest = matched
        for one in classes:
            hit = rest & one
            if hit:
                out.append(hit)
                rest &= ~one
        if rest:
            out.append(rest)
        return out

    def page(self, classes: list[int], start: int, size: int) -> list[int]:
        """Item ids of positions ``start`` … ``start + size`` of the ranked classes."""
        out: list[int] = []
        for bits in classes:
            count = bits.bit_count()
            if start >= count:
                start -= count
                continue
            out += [self.ids[p] for p in positions(bits, start, size - len(out))]
            start = 0
            if len(out) >= size:
                break
        return out

    def counts(self, matched: int, total: int, names: tuple[str, ...]) -> dict[str, dict[Any, int]]:
        """Items per value of each facet of ``names`` in ``matched`` (values with none left out): by
        walking the items of a small set, by ``&`` with each value's bitmap for a large one."""
        sources: list[FacetSource] = [getattr(self, name) for name in names]
        out: dict[str, dict[Any, int]] = {name: {} for name in names}
        if total <= SMALL_SET:
            walked = positions(matched)
            for name, source in zip(names, sources, strict=True):
                sums = out[name]
                of = source.of
                for p in walked:
                    value = of[p]
                    if value is not None:
                        sums[value] = sums.get(value, 0) + 1
            return out
        for name, source in zip(names, sources, strict=True):
            sums = out[name]
            for value, bits in source.bits.items():
                if value is not None and (n := (matched & bits).bit_count()):
                    sums[value] = n
        return out


def _exact(values: Iterable[Any]) -> dict[Any, int]:
    """Value → bitmap of the positions holding it."""
    lists: dict[Any, list[int]] = {}
    size = 0
    for position, value in enumerate(values):
        lists.setdefault(value, []).append(position)
        size = position + 1
    return {value: bitmap(found, size) for value, found in lists.items()}


def _in_code_order(labels: dict[int, tuple[str, str]]) -> list[int]:
    """The ids of ``labels`` (id → (code, name)) in the order of their codes."""
    return sorted(labels, key=lambda pk: labels[pk][0])


def _source(values: list[Any]) -> FacetSource:
    return FacetSource(bits=_exact(values), of=values)


def build(generation: int, rows: list[tuple[Any, ...]], labels: dict[str, dict[int, tuple[str, str]]],
          department_sort: dict[int, int], started: float) -> SearchIndex:
    """The index of ``rows`` (``selectors.INDEX_COLUMNS``, in the default order)."""
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(19)]
    (ids, names, pinyins, initials, statuses, levels, categories, depths, districts, district_codes,
     regions, region_codes, region_names, departments, department_codes, types, type_codes, codes,
     online) = columns
    shown = dict(zip(ids, zip(codes, names, levels, categories, types, departments, regions, depths, online, statuses,
                              strict=True), strict=True))
    labels = {**labels, "region": dict(zip(regions, zip(region_codes, region_names, strict=True), strict=True))}
    by_code = {"district": _exact(c or "" for c in district_codes), "street": _exact(region_codes),
               "department": _exact(department_codes), "type": _exact(type_codes)}
    by_code["district"].pop("", None)
    return SearchIndex(
        generation=generation, built_at=time.monotonic(), build_seconds=0.0, ids=ids,
        status=_exact(statuses), level=_source(levels), category=_source(categories), depth=_source(depths),
        district=_source(districts), type=_source(types), department=_source(departments), by_code=by_code,
        names=Grams([ascii_lower(n) for n in names], 2), exact_names=_exact(names),
        pinyin=Grams(pinyins, 2), initials=Grams(initials, 2), exact_initials=_exact(initials),
        labels=labels, department_sort=department_sort, rows=shown,
        by_code_order={kind: _in_code_order(labels[kind]) for kind in ("district", "type")},
    )
