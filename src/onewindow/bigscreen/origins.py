"""Origin classes of crowd counts (来源地类别, issue #16 part 2): which home regions are 市内, 国内
or 国际, by the configurable rule ``BIGSCREEN_ORIGIN_RULE``.

The rule maps a class to codes (settings: ``{"local": ["31"], "domestic": ["1*", …, "HK", "MO",
"TW"]}``, from the environment as ``local=31``, ``domestic=1*|2*|…``). Codes are GB/T 2260
province codes (31 = Shanghai) and ISO 3166-1 alpha-2 country or region codes (HK, MO, TW, US …).
How a region code finds its class:

1. an exact code of the rule beats any prefix; a 4- or 6-digit GB/T 2260 code (a city or a
   district, e.g. 310106 静安区) is also matched exactly by its 2-digit province (31);
2. otherwise the longest matching prefix (``1*`` …);
3. a code the rule does not name is 国际 (everyone else).

The three classes partition every count. A rule that names a class other than local, domestic or
international, or a code twice, is a configuration error: :func:`origin_rule` raises
``ImproperlyConfigured`` saying which, at the first count (and ``check_origin_rule`` lists it
for a system check).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .choices import OriginClass

REGION_CODE = re.compile(r"^[0-9A-Za-z]{2,12}$")
RULE_CODE = re.compile(r"^[0-9A-Z]{0,12}$")  # a prefix may be short ("1*") or empty ("*": everything)


@dataclass(frozen=True)
class OriginRule:
    """The parsed rule: exact codes and prefixes, each with its class."""

    exact: Mapping[str, OriginClass]
    prefixes: tuple[tuple[str, OriginClass], ...]  # longest first


def _parse(items: tuple[tuple[str, tuple[str, ...]], ...]) -> OriginRule:
    exact: dict[str, OriginClass] = {}
    prefixes: dict[str, OriginClass] = {}
    for name, codes in items:
        if name not in OriginClass.values:
            raise ImproperlyConfigured(
                f"BIGSCREEN_ORIGIN_RULE names the origin class {name!r}; the classes are "
                f"{', '.join(OriginClass.values)}.")
        klass = OriginClass(name)
        for raw in codes:
            code = raw.strip().upper()
            table = prefixes if code.endswith("*") else exact
            key = code.rstrip("*")
            if not RULE_CODE.match(key) or (table is exact and not key):
                raise ImproperlyConfigured(f"BIGSCREEN_ORIGIN_RULE: {raw!r} is not a region code.")
            if key in table and table[key] != klass:
                raise ImproperlyConfigured(
                    f"BIGSCREEN_ORIGIN_RULE puts {raw!r} in both {table[key]} and {klass}.")
            table[key] = klass
    ordered = tuple(sorted(prefixes.items(), key=lambda pair: (-len(pair[0]), pair[0])))
    return OriginRule(exact=exact, prefixes=ordered)


@functools.lru_cache(maxsize=8)
def _cached(items: tuple[tuple[str, tuple[str, ...]], ...]) -> OriginRule:
    return _parse(items)


def _items(raw: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured("BIGSCREEN_ORIGIN_RULE must map an origin class to a list of codes.")
    items: list[tuple[str, tuple[str, ...]]] = []
    for name, codes in raw.items():
        if isinstance(codes, str) or not isinstance(codes, Iterable):
            raise ImproperlyConfigured(f"BIGSCREEN_ORIGIN_RULE[{name!r}] must be a list of codes.")
        items.append((str(name).strip(), tuple(str(code) for code in codes)))
    return tuple(items)


def origin_rule() -> OriginRule:
    """The rule in force (parsed once per distinct setting; ``override_settings`` takes effect)."""
    default = {"local": ["31"], "domestic": ["1*", "2*", "3*", "4*", "5*", "6*", "HK", "MO", "TW"]}
    return _cached(_items(getattr(settings, "BIGSCREEN_ORIGIN_RULE", default)))


def check_origin_rule() -> list[str]:
    """The configuration errors of the rule (empty when it is sound), for a system check."""
    try:
        origin_rule()
    except ImproperlyConfigured as exc:
        return [str(exc)]
    return []


def is_region_code(code: object) -> bool:
    return isinstance(code, str) and bool(REGION_CODE.match(code.strip()))


def origin_of(code: str) -> OriginClass:
    """The origin class of a home-region code (see the module's docstring for the matching).
    The caller checks the code's shape first (:func:`is_region_code`)."""
    rule = origin_rule()
    clean = code.strip().upper()
    candidates = [clean]
    if clean.isdigit() and len(clean) in (4, 6):
        candidates.append(clean[:2])
    for candidate in candidates:
        if candidate in rule.exact:
            return rule.exact[candidate]
    for prefix, klass in rule.prefixes:
        if clean.startswith(prefix):
            return klass
    return OriginClass.INTERNATIONAL
