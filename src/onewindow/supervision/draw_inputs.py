"""The inputs of the 双随机 draw ``OW-DRAW-1`` (issue #12 part 3): canonical fields, the frozen
pool, roster and plan with their published files and digests, the secret commitment, and the
quotas from ratios. Pure code; :mod:`onewindow.supervision.draw` re-exports every public name, so
callers use ``draw.Pool`` etc. The byte formats are specified in docs/draw-algorithm.md §3."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from django.utils.translation import gettext_lazy as _

from onewindow.core.errors import DomainError

ALGORITHM = "OW-DRAW-1"
#: Strata drawn first, in this order; other labels follow in code-point order.
STRATUM_ORDER = ("A", "B", "C", "D", "-")
ANY_AREA = "*"
DEFAULT_OFFICERS_PER_DEPARTMENT = 2

CONFLICT = "conflict"
OUT_OF_AREA = "out_of_area"
RECENT_VISIT = "recent_visit"
MISSING_SPECIALTY = "missing_specialty"
#: Skip reasons, in the order they are checked.
SKIP_REASONS = (CONFLICT, OUT_OF_AREA, RECENT_VISIT, MISSING_SPECIALTY)

_TWO_256 = 1 << 256
_FORBIDDEN = re.compile(r'[ ,"\\]')
_HEX64 = re.compile(r"[0-9a-f]{64}")
T = TypeVar("T")


#: Refusals: the code (after ``supervision_draw_``) and the message.
MESSAGES = {
    "invalid_field": _("抽查输入中的%(what)s“%(value)s”格式无效。"),
    "duplicate_entity": _("抽查名录中市场主体 %(code)s 出现了两次。"),
    "duplicate_officer": _("执法人员名录中执法证号 %(cert)s 出现了两次。"),
    "invalid_quota": _("抽查数量必须是非负整数（%(stratum)s）。"),
    "duplicate_stratum": _("风险分层 %(stratum)s 的抽查数量填写了两次。"),
    "invalid_ratio": _("抽查比例须在 0 到 1 之间（%(stratum)s）。"),
    "invalid_departments": _("抽查任务须列出参与部门，每个部门只列一次，专长要求只能针对参与部门。"),
    "invalid_officer_count": _("每个部门每户的执法人员数至少为 1。"),
    "invalid_commitment": _("抽查任务缺少有效的密值承诺。"),
    "random_value_missing": _("请填写公开随机数。"),
    "secret_mismatch": _("密值与冻结时公布的承诺不符。"),
    "pool_too_small": _("风险分层 %(stratum)s 需抽取 %(count)s 户，但名录中只有 %(size)s 户。"),
    "too_few_officers": _("%(count)s 户市场主体在部门 %(department)s 中没有足够的可选执法人员，例如 %(code)s。"),
    "inputs_mismatch": _("抽查结果与冻结的名录或任务不符。"),
    "replacement_reason_missing": _("请说明更换执法人员的原因。"),
    "replacement_not_assigned": _("该执法人员不在此次抽取结果中，无法更换。"),
}


def _refuse(key: str, entities: list[str] | None = None, /, **params: Any) -> DomainError:
    message = MESSAGES[key] % params if params else MESSAGES[key]
    fields: dict[str, list[Any]] | None = {"entities": entities} if entities else None
    return DomainError(message, code=f"supervision_draw_{key}", fields=fields)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_text(value: str) -> str:
    """NFKC, trimmed, every run of white space one space: the random value as it is hashed."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


#: What :func:`canonical_field` names in a refusal.
LABELS = {
    "code": _("统一社会信用代码"),
    "stratum": _("风险分层"),
    "street": _("街镇代码"),
    "cert": _("执法证号"),
    "department": _("部门代码"),
    "area": _("负责区域"),
    "specialty": _("执法专长"),
}
#: The bytes of a field that is canonical as it stands: printable ASCII but space, comma, double
#: quote and backslash.
_CLEAN_BYTES = bytes(c for c in range(0x21, 0x7F) if chr(c) not in ',"\\')


def canonical_field(value: str, what: str, *, empty_ok: bool = False) -> str:
    """An identifier (credit code, stratum, street, certificate, department, area, specialty).

    NFKC and trimmed; refused when empty, or when it holds a space, a comma, a double quote, a
    backslash or a non-printable character (the published files use tab, newline and comma as
    separators, and the plan is JSON).
    """
    text = unicodedata.normalize("NFKC", str(value if value is not None else "")).strip()
    if (not text and not empty_ok) or not text.isprintable() or _FORBIDDEN.search(text):
        raise _refuse("invalid_field", what=LABELS[what], value=value)
    return text


def _column(values: list[str], what: str, *, empty_ok: bool = False) -> list[str]:
    """Canonical fields of a whole column: one pass in C when every field is clean ASCII already."""
    if set(map(type, values)) <= {str}:
        rest = "\t".join(values).encode().translate(None, _CLEAN_BYTES)
        if rest == b"\t" * (len(values) - 1) and (empty_ok or all(values)):
            return values
    return [canonical_field(v, what, empty_ok=empty_ok) for v in values]


def commit_secret(secret: str) -> str:
    """The commitment published at freeze: SHA-256 hex of ``"OW-DRAW-1 secret\\n" + secret``."""
    return sha256_hex(f"{ALGORITHM} secret\n{secret}")


# ---------------------------------------------------------------------------------------------
# Inputs


class Entity(NamedTuple):
    """One entity of the frozen pool: credit code, stratum (risk grade or caller label), street."""

    code: str
    stratum: str
    street: str = ""


class Pool:
    """The frozen entity pool (抽查对象名录), sorted by credit code; one line per entity.

    Built once at freeze: canonicalised, sorted (already sorted input costs one pass), refused on a
    duplicate code, and grouped by stratum so that a draw copies nothing.
    """

    def __init__(self, entities: Iterable[Entity | Sequence[str]]) -> None:
        rows = entities if isinstance(entities, list) else list(entities)
        codes = _column([e[0] for e in rows], "code")
        strata = _column([e[1] for e in rows], "stratum")
        streets = _column([e[2] if len(e) > 2 else "" for e in rows], "street", empty_ok=True)
        if not all(map(str.__lt__, codes, itertools.islice(codes, 1, None))):
            order = sorted(range(len(codes)), key=codes.__getitem__)
            codes, strata, streets = ([column[i] for i in order] for column in (codes, strata, streets))
            for before, after in itertools.pairwise(codes):
                if before == after:
                    raise _refuse("duplicate_entity", code=after)
        self.codes: list[str] = codes
        self.strata: list[str] = strata
        self.streets: list[str] = streets

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self) -> Iterator[Entity]:
        return map(Entity, self.codes, self.strata, self.streets)

    @cached_property
    def members(self) -> dict[str, list[int]]:
        """Positions of each stratum's entities, in code order."""
        groups: dict[str, list[int]] = {}
        for i, stratum in enumerate(self.strata):
            group = groups.get(stratum)
            if group is None:
                groups[stratum] = group = []
            group.append(i)
        return groups

    @cached_property
    def data(self) -> bytes:
        """The published pool file as UTF-8, built once (the digest and the stored file share it):
        ``code TAB stratum TAB street LF`` per entity."""
        lines = map("\t".join, zip(self.codes, self.strata, self.streets, strict=True))
        return "\n".join(itertools.chain(lines, ("",) if self.codes else ())).encode()

    def text(self) -> str:
        """The published pool file (:attr:`data` as text)."""
        return self.data.decode()

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class Officer(NamedTuple):
    """One officer of the frozen roster (执法人员名录): certificate (执法证号), department code,
    areas (street or district codes, ``*`` for all) and specialties."""

    cert: str
    department: str
    areas: tuple[str, ...] = (ANY_AREA,)
    specialties: tuple[str, ...] = ()


class Roster:
    """The frozen officer roster, sorted by certificate number; areas and specialties sorted."""

    def __init__(self, officers: Iterable[Officer | Sequence[Any]]) -> None:
        rows = sorted(
            Officer(
                canonical_field(o[0], "cert"),
                canonical_field(o[1], "department"),
                tuple(sorted({canonical_field(a, "area") for a in (o[2] if len(o) > 2 else (ANY_AREA,))})),
                tuple(sorted({canonical_field(s, "specialty") for s in (o[3] if len(o) > 3 else ())})),
            )
            for o in officers
        )
        for before, after in itertools.pairwise(rows):
            if before.cert == after.cert:
                raise _refuse("duplicate_officer", cert=after.cert)
        self.officers: tuple[Officer, ...] = tuple(rows)
        self.by_department: dict[str, list[Officer]] = {}
        for officer in rows:
            self.by_department.setdefault(officer.department, []).append(officer)

    def __len__(self) -> int:
        return len(self.officers)

    def text(self) -> str:
        """The published roster file: ``cert TAB department TAB areas TAB specialties LF``."""
        return "".join(
            f"{o.cert}\t{o.department}\t{','.join(o.areas)}\t{','.join(o.specialties)}\n" for o in self.officers
        )

    @cached_property
    def digest(self) -> str:
        return sha256_hex(self.text())


def _pairs(pairs: Iterable[Sequence[str]], what: str) -> frozenset[tuple[str, str]]:
    return frozenset((canonical_field(p[0], "cert"), canonical_field(p[1], what)) for p in pairs)


@dataclass(frozen=True)
class Plan:
    """The parameters of one draw (抽查任务), frozen with the pool.

    ``quotas``: entities per stratum (counts; see :func:`quotas_from_ratios`). ``departments``: the
    departments whose officers visit each entity, lead first (one for a plain draw, several for a
    联合检查组). ``conflicts``/``recent_visits``: (certificate, credit code) pairs — declared 回避
    (行政处罚法 art. 43) and visits within the plan's no-repeat period. ``required_specialty``:
    department → the specialty its officers must hold. ``secret_commitment``: see
    :func:`commit_secret`.
    """

    quotas: Mapping[str, int]
    departments: Sequence[str]
    secret_commitment: str
    officers_per_department: int = DEFAULT_OFFICERS_PER_DEPARTMENT
    required_specialty: Mapping[str, str] = field(default_factory=dict)
    conflicts: frozenset[tuple[str, str]] = frozenset()
    recent_visits: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        quotas: dict[str, int] = {}
        for stratum, count in self.quotas.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise _refuse("invalid_quota", stratum=stratum)
            label = canonical_field(stratum, "stratum")
            if label in quotas:
                raise _refuse("duplicate_stratum", stratum=label)
            if count:
                quotas[label] = count
        departments = tuple(canonical_field(d, "department") for d in self.departments)
        if not departments or len(set(departments)) != len(departments):
            raise _refuse("invalid_departments")
        per = self.officers_per_department
        if isinstance(per, bool) or not isinstance(per, int) or per < 1:
            raise _refuse("invalid_officer_count")
        specialty = {
            canonical_field(d, "department"): canonical_field(s, "specialty")
            for d, s in self.required_specialty.items()
            if s
        }
        if not set(specialty) <= set(departments):
            raise _refuse("invalid_departments")
        if not _HEX64.fullmatch(self.secret_commitment or ""):
            raise _refuse("invalid_commitment")
        object.__setattr__(self, "quotas", dict(sorted(quotas.items())))
        object.__setattr__(self, "departments", departments)
        object.__setattr__(self, "required_specialty", dict(sorted(specialty.items())))
        object.__setattr__(self, "conflicts", _pairs(self.conflicts, "code"))
        object.__setattr__(self, "recent_visits", _pairs(self.recent_visits, "code"))

    def constraints_text(self) -> str:
        """``conflict TAB cert TAB code LF`` lines sorted, then ``recent_visit`` lines sorted."""
        lines = [f"{CONFLICT}\t{c}\t{e}\n" for c, e in sorted(self.conflicts)]
        lines += [f"{RECENT_VISIT}\t{c}\t{e}\n" for c, e in sorted(self.recent_visits)]
        return "".join(lines)

    def canonical_json(self) -> str:
        """The published plan: JSON, keys sorted, no spaces, non-ASCII kept as UTF-8."""
        document = {
            "algorithm": ALGORITHM,
            "constraints_digest": sha256_hex(self.constraints_text()),
            "departments": list(self.departments),
            "officers_per_department": self.officers_per_department,
            "quotas": dict(self.quotas),
            "required_specialty": dict(self.required_specialty),
            "secret_commitment": self.secret_commitment,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def digest(self) -> str:
        return sha256_hex(self.canonical_json())


@dataclass(frozen=True)
class DrawInputs:
    """Everything a draw depends on; the secret must match the plan's commitment."""

    pool: Pool
    roster: Roster
    plan: Plan
    random_value: str
    secret: str

    def __post_init__(self) -> None:
        value = canonical_text(self.random_value)
        if not value:
            raise _refuse("random_value_missing")
        if commit_secret(self.secret) != self.plan.secret_commitment:
            raise _refuse("secret_mismatch")
        object.__setattr__(self, "random_value", value)

    @cached_property
    def seed(self) -> bytes:
        text = "\n".join(
            (ALGORITHM, self.pool.digest, self.roster.digest, self.plan.digest, self.random_value, self.secret)
        )
        return hashlib.sha256(text.encode()).digest()


def quotas_from_ratios(
    sizes: Mapping[str, int], ratios: Mapping[str, Decimal | Fraction | str | int | float]
) -> dict[str, int]:
    """Counts per stratum from ratios (DOMAIN.md R4.6: the ratio per risk grade is a plan parameter).

    count = ⌊size × ratio + ½⌋ (round half up, computed exactly), and at least 1 where the stratum
    is non-empty and its ratio is above 0. Ratios are between 0 and 1; a float is read as the
    decimal it prints as (0.15 is 15/100).
    """
    counts: dict[str, int] = {}
    for stratum, raw in ratios.items():
        try:
            ratio = Fraction(repr(raw)) if isinstance(raw, float) else Fraction(raw)
        except (ValueError, TypeError, ZeroDivisionError):
            ratio = Fraction(-1)
        if not 0 <= ratio <= 1:
            raise _refuse("invalid_ratio", stratum=stratum)
        size = sizes.get(stratum, 0)
        count = math.floor(size * ratio + Fraction(1, 2))
        if size > 0 and ratio > 0:
            count = max(count, 1)
        counts[stratum] = count
    return counts
