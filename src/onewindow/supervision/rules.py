"""Which licences a business needs (双告知, DOMAIN.md R5.1 step 1): pure matching of the rules.

A rule (``models.LicenceRule``) matches an entity when the entity's industry code (GB/T
4754-2017) starts with one of the rule's prefixes, or its business scope (经营范围) contains one of
the rule's keywords, and the entity is registered where the rule applies (``region_prefix``).

Industry codes are compared without their section letter: ``H6210`` and ``6210`` are the same
class (正餐服务), and the prefix ``62`` (餐饮业) or ``H62`` matches both; a bare section letter
(``H``) matches codes that carry that letter. Scope text and keywords are compared after NFKC
normalisation with white space removed, so full-width and half-width forms agree.

For a change of business scope only the licences the new scope needs and the previous one did not
are notified: the entity was already told of the others.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class RuleLike(Protocol):
    industry_prefixes: list[str]
    keywords: list[str]
    region_prefix: str


R = TypeVar("R", bound=RuleLike)


def normalise_text(text: str) -> str:
    """NFKC, no white space: how scope text and keywords are compared."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def split_industry(code: str) -> tuple[str, str]:
    """``("H", "6210")`` for ``H6210``; ``("", "6210")`` for ``6210``; ``("H", "")`` for ``H``."""
    code = normalise_text(code).upper()
    letter = code[:1] if code[:1].isalpha() else ""
    return letter, code[len(letter) :]


def industry_matches(prefix: str, industry_code: str) -> bool:
    """Whether ``industry_code`` falls under the GB/T 4754 ``prefix`` (see the module docstring)."""
    p_letter, p_digits = split_industry(prefix)
    e_letter, e_digits = split_industry(industry_code)
    if not p_letter and not p_digits:
        return False
    if p_digits:
        if p_letter and e_letter and p_letter != e_letter:
            return False
        return e_digits.startswith(p_digits)
    return e_letter == p_letter


def rule_matches(rule: RuleLike, *, industry_code: str, scope: str, region_code: str) -> bool:
    """Whether one rule applies to an entity with this industry, scope text and region."""
    if rule.region_prefix and not (region_code or "").startswith(rule.region_prefix):
        return False
    if industry_code and any(industry_matches(p, industry_code) for p in rule.industry_prefixes):
        return True
    text = normalise_text(scope)
    return bool(text) and any(normalise_text(k) and normalise_text(k) in text for k in rule.keywords)


def matching(rules: Iterable[R], *, industry_code: str, scope: str, region_code: str) -> list[R]:
    """The rules that apply, in the order given."""
    return [r for r in rules if rule_matches(r, industry_code=industry_code, scope=scope, region_code=region_code)]


def rules_to_notify(
    rules: Sequence[R], *, kind: str, industry_code: str, scope: str, previous_scope: str, region_code: str
) -> list[R]:
    """The rules whose licences the notice lists: every match of a registration; for a change of
    scope (``kind == "scope_changed"``) the matches of the new scope less those of the previous."""
    now = matching(rules, industry_code=industry_code, scope=scope, region_code=region_code)
    if kind != "scope_changed":
        return now
    before = {
        id(r) for r in matching(rules, industry_code=industry_code, scope=previous_scope, region_code=region_code)
    }
    return [r for r in now if id(r) not in before]


def parse_list(value: str | Iterable[str]) -> list[str]:
    """Prefixes or keywords from a form field (separated by commas, 、, ；, or new lines) or a
    list: stripped, empty ones dropped, duplicates removed, order kept."""
    if isinstance(value, str):
        for sep in ("，", "、", "；", ";", "\n", "\r"):
            value = value.replace(sep, ",")
        parts: Iterable[str] = value.split(",")
    else:
        parts = value
    return list(dict.fromkeys(p.strip() for p in parts if str(p).strip()))


#: How many leading digits of a region code a body of each level covers (GB/T 2260 and the
#: township codes: 31 = 上海市, 310106 = 静安区, 310106012 = 南京西路街道).
LEVEL_DIGITS = {"city": 2, "district": 6, "street": 9}


def area_covers(region_code: str, level: str, entity_region_code: str) -> bool:
    """Whether a department of ``level`` in ``region_code`` covers an entity registered in
    ``entity_region_code`` (the same-level 审批部门 of DOMAIN.md R5.1 step 3); an entity with no
    region code is covered by every department."""
    if not entity_region_code:
        return True
    digits = LEVEL_DIGITS.get(level, len(region_code))
    return entity_region_code[:digits] == region_code[:digits]
