"""Demo: the Jing'an market-entity registry (市场主体库) and the 30 supervising departments.

Deterministic (seeded) and idempotent: entities are generated in a fixed order and written through
the import service (``entities_load``: checks, versions, search keys, audit), so a second run
finds them unchanged. Credit codes are valid (GB 32100-2015 check characters; the embedded
organization code per GB 11714), regions are 静安区's streets from ``core.Region`` (310106xxx;
older enterprises of the former 闸北区 keep 310108 in their code, DOMAIN.md §8), industries come
from GB/T 4754-2017. The monthly risk classification is imported for the entities in business.

``generate_rows`` also feeds the city-scale benchmark (``market_generate_entities``: 3.2 million
entities across Shanghai's 16 districts).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from stdnum.cn import uscc

from onewindow.accounts.sample_identifiers import USCC_ALPHABET, sample_resident_id
from onewindow.core.actors import system_actor
from onewindow.core.models import Department, Region, RegionLevel

from .. import demo_names as N
from ..choices import EntityStatus, RiskGrade
from ..models import EntityProfile
from ..services import RiskGradeRow, entities_load, industries_load, risk_grades_import

SIZES = {"full": 30_000, "small": 2_000}
JINGAN = "310106"
ZHABEI = "310108"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_TYPES = (
    ("limited_company", 70),
    ("individual_business", 19),
    ("branch", 5),
    ("joint_stock_company", 2),
    ("partnership", 1),
    ("sole_proprietorship", 1),
    ("foreign_invested", 2),
)
_STATUSES = (
    (EntityStatus.ACTIVE, 86),
    (EntityStatus.DEREGISTERED, 8),
    (EntityStatus.REVOKED, 5),
    (EntityStatus.MOVED_OUT, 1),
)
_GRADES = ((RiskGrade.A, 58), (RiskGrade.B, 31), (RiskGrade.C, 8), (RiskGrade.D, 3))
TYPE_PREFIX = {"individual_business": "92"}
LINES = {line: (code, scope) for line, code, scope, _w in N.BUSINESS_LINES}


def credit_code(index: int, region_code: str, kind: str = "91") -> str:
    """The ``index``-th demo credit code of a region: ``MA`` + six base-31 digits as the
    organization code (unique per index), its GB 11714 check character, the GB 32100 one."""
    digits = []
    n = index
    for _ in range(6):
        n, r = divmod(n, 31)
        digits.append(USCC_ALPHABET[r])
    org = "MA" + "".join(reversed(digits))
    check = 11 - sum(int(c, 36) * w for c, w in zip(org, _ORG_WEIGHTS, strict=True)) % 11
    body = f"{kind}{region_code}{org}{ {10: 'X', 11: '0'}.get(check, str(check)) }"
    return body + uscc.calc_check_digit(body)


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _w in pairs], weights=[w for _v, w in pairs])[0]


def _person(rng: random.Random, index: int) -> tuple[str, str, str]:
    name = rng.choice(N.SURNAMES) + "".join(rng.choice(N.GIVEN_CHARS) for _ in range(rng.choice((1, 2))))
    birth = datetime.date(1955, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 45))
    region = rng.choice(("310106", "310108", "310104", "310101", "320102", "330106"))
    phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
    return name, sample_resident_id(region, birth, index % 500, female=rng.random() < 0.45), phone


def _established(rng: random.Random) -> datetime.date:
    # More recent years weigh more (the registry grows); 1992 is the earliest private company here.
    year = 2024 - int(rng.triangular(0, 32, 3))
    return datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))


def entity(
    rng: random.Random,
    index: int,
    district: str,
    streets: Sequence[str],
    names: set[str] | None,
    *,
    district_word: str = "静安",
) -> dict[str, Any]:
    """One generated entity (the field names of the import)."""
    kind = _weighted(rng, _TYPES)
    established = _established(rng)
    region = ZHABEI if district == JINGAN and established.year < 2015 and rng.random() < 0.4 else district
    if kind == "individual_business":
        line, industry, scope, suffix = rng.choice(N.SHOP_LINES)
    else:
        line = _weighted(rng, [(b[0], b[3]) for b in N.BUSINESS_LINES])
        industry, scope = LINES[line]
    for attempt in range(20):
        trade = "".join(rng.sample(N.TRADE_NAME_CHARS, 2 if attempt < 10 else 3))
        if kind == "individual_business":
            name = f"{district_word}区{trade}{line}{suffix}"
        elif kind == "branch":
            name = f"上海{trade}{line}有限公司{district_word}分公司"
        elif kind == "joint_stock_company":
            name = f"上海{trade}{line}股份有限公司"
        elif kind == "partnership":
            name = f"上海{trade}{line}合伙企业（有限合伙）"
        elif kind == "sole_proprietorship":
            name = f"上海{district_word}{trade}{line}厂"
        else:
            name = f"上海{district_word if rng.random() < 0.3 else ''}{trade}{line}有限公司"
        if names is None or name not in names:
            break
    if names is not None:
        names.add(name)
    rep, id_number, phone = _person(rng, index)
    status = _weighted(rng, _STATUSES)
    status_on = ""
    if status != EntityStatus.ACTIVE:
        ended = established + datetime.timedelta(days=rng.randrange(200, 4000))
        status_on = min(datetime.date(2024, 12, 31), ended).isoformat()
    capital = "" if kind == "individual_business" else str(round(10 ** rng.uniform(1, 3.7), 2))
    street = rng.choice(streets) if streets else ""
    return {
        "credit_code": credit_code(index, region, TYPE_PREFIX.get(kind, "91")),
        "registration_number": "",
        "name": name,
        "entity_type": kind,
        "legal_representative_name": rep,
        "legal_rep_id_number": id_number,
        "legal_rep_phone": phone,
        "address": f"上海市{district_word}区{rng.choice(N.ROADS)}{rng.randint(1, 2000)}号",
        "district_code": district,
        "street_code": street,
        "industry_code": industry,
        "registered_capital": capital,
        "currency": "USD" if kind == "foreign_invested" else "CNY",
        "established_on": established.isoformat(),
        "approved_on": established.isoformat(),
        "status": status,
        "status_on": status_on,
        "business_scope": scope,
    }


def showcase_rows(streets: Sequence[str]) -> list[dict[str, Any]]:
    """The walkthrough's entities (demo_names.SHOWCASE), with fixed codes (index 0…)."""
    rng = random.Random(4754)
    rows = []
    for i, (name, line, street) in enumerate(N.SHOWCASE):
        row = entity(rng, i, JINGAN, streets, None)
        industry, scope = LINES[line]
        row.update(
            credit_code=credit_code(i, JINGAN),
            name=name,
            entity_type="limited_company",
            street_code=street if street in streets else row["street_code"],
            industry_code=industry,
            business_scope=scope,
            status="active",
            status_on="",
            registered_capital="500",
            currency="CNY",
            established_on="2016-09-01",
            approved_on="2016-09-01",
        )
        rows.append(row)
    return rows


def generate_rows(
    seed: int,
    count: int,
    districts: Sequence[tuple[str, str, Sequence[str]]],
    *,
    start: int = 0,
    unique_names: bool = True,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``count`` entities as ``(line, row)``, spread over ``districts`` (code, short name, street
    codes); index ``start + i`` makes each credit code."""
    rng = random.Random(seed)
    names: set[str] | None = set() if unique_names else None
    for i in range(count):
        code, word, streets = districts[i % len(districts)]
        yield i + 2, entity(rng, start + i, code, streets, names, district_word=word)


def _departments() -> None:
    district = Region.objects.get(code=JINGAN)
    wanted = [
        Department(
            code=f"{JINGAN}-{kind}",
            name=f"{district.name}{name}",
            short_name=short,
            level=RegionLevel.DISTRICT,
            region=district,
            sort_order=600 + i,
        )
        for i, (kind, name, short) in enumerate(N.SUPERVISING_DEPARTMENTS)
    ]
    existing = set(Department.objects.filter(code__in=[d.code for d in wanted]).values_list("code", flat=True))
    Department.objects.bulk_create([d for d in wanted if d.code not in existing])


def load(progress: Callable[[int], object], seed: int, size: str = "full") -> None:
    """The departments, the industries, the Jing'an registry and its latest risk classification."""
    by = system_actor("demo_data")
    industries_load(by=by)
    _departments()
    target = SIZES.get(size, SIZES["full"])
    district = Region.objects.get(code=JINGAN)
    done = EntityProfile.objects.filter(district=district).count()
    if done >= target:
        progress(done)
        return
    streets = list(
        Region.objects.filter(parent=district, level=RegionLevel.STREET).order_by("code").values_list("code", flat=True)
    )
    showcase = showcase_rows(streets)
    rows = [(i + 2, row) for i, row in enumerate(showcase)]
    rows += list(generate_rows(seed, target - len(showcase), [(JINGAN, "静安", streets)], start=len(showcase)))
    entities_load(by=by, rows=rows, label="demo-jingan-registry", notify=False, progress=progress)
    month = datetime.date(2024, 11, 30)
    rng = random.Random(seed + 1)
    active = EntityProfile.objects.filter(district=district, status=EntityStatus.ACTIVE, risk_grade="").values_list(
        "organization__credit_code", flat=True
    )
    risk_grades_import(
        by=by,
        rows=(
            RiskGradeRow(i + 2, code, _weighted(rng, _GRADES), month, N.RISK_SOURCE)
            for i, code in enumerate(active.iterator())
        ),
    )
