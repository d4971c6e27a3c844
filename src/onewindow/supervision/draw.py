"""双随机 draws that anyone can verify: the algorithm ``OW-DRAW-1`` (issue #12 part 3).

国办发〔2015〕58号 (DOMAIN.md R4.1) asks that 检查对象 and 执法检查人员 be drawn at random from the
"两库" (R4.2), so that nobody enforces selectively. Here the draw is a deterministic function of
inputs published before the random value exists, so an outsider can recompute it from
docs/draw-algorithm.md alone (byte formats, worked example, reference implementation); the
choices and their reasons are in docs/decisions/0015-verifiable-draws.md. The idea is RFC 3797's,
with SHA-256, rejection sampling and a partial Fisher–Yates shuffle.

Pure code, no models and no database: the services freeze a :class:`Pool`, a :class:`Roster` and
a :class:`Plan` (refused by :func:`check_feasible` when no value could staff it), publish their
digests, then call :func:`draw` with the value and the secret committed at the freeze; a drawn
officer who cannot go is replaced by :func:`replace`; :func:`verify` recomputes a stored result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
import unicodedata
from bisect import bisect_left
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

    def text(self) -> str:
        """The published pool file: ``code TAB stratum TAB street LF`` per entity."""
        if not self.codes:
            return ""
        return "\n".join(map("\t".join, zip(self.codes, self.strata, self.streets, strict=True))) + "\n"

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.text().encode()).hexdigest()


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


# ---------------------------------------------------------------------------------------------
# The random stream and the walk


class Stream:
    """Block i = SHA-256(seed ‖ i as 8 bytes big-endian); :meth:`uniform` rejects the biased tail."""

    __slots__ = ("blocks", "seed")

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self.blocks = 0

    def uniform(self, n: int) -> int:
        """A uniform integer in [0, n): the next block x, rejected while x ≥ n·⌊2²⁵⁶/n⌋."""
        limit = _TWO_256 - _TWO_256 % n
        while True:
            block = hashlib.sha256(self.seed + self.blocks.to_bytes(8, "big")).digest()
            self.blocks += 1
            x = int.from_bytes(block, "big")
            if x < limit:
                return x % n


def shuffle_walk(items: Sequence[T], stream: Stream) -> Iterator[tuple[int, T]]:
    """Positions and items of a forward Fisher–Yates over ``items``, lazily and without a copy.

    Step j swaps position j with j + uniform(n − j) and yields what lands at j; ``moved`` holds
    only the positions a swap has touched.
    """
    moved: dict[int, int] = {}
    n = len(items)
    for j in range(n):
        r = j + stream.uniform(n - j)
        landed = moved.get(r, r)
        moved[r] = moved.get(j, j)
        yield j, items[landed]


def strata_order(labels: Iterable[str]) -> list[str]:
    labels = set(labels)
    return [s for s in STRATUM_ORDER if s in labels] + sorted(labels - set(STRATUM_ORDER))


def officer_seed(seed: bytes, code: str, department: str) -> bytes:
    return hashlib.sha256(seed + f"officers\n{code}\n{department}".encode()).digest()


def in_area(areas: Sequence[str], street: str) -> bool:
    """``*`` covers every entity; a code covers the streets it prefixes (a district its streets)."""
    return any(a == ANY_AREA or (street and street.startswith(a)) for a in areas)


def skip_reason(plan: Plan, officer: Officer, code: str, street: str) -> str | None:
    """Why this officer may not visit this entity, or None; the first reason in SKIP_REASONS."""
    pair = (officer.cert, code)
    if pair in plan.conflicts:
        return CONFLICT
    if not in_area(officer.areas, street):
        return OUT_OF_AREA
    if pair in plan.recent_visits:
        return RECENT_VISIT
    need = plan.required_specialty.get(officer.department)
    if need and need not in officer.specialties:
        return MISSING_SPECIALTY
    return None


# ---------------------------------------------------------------------------------------------
# The result


class Pick(NamedTuple):
    code: str
    stratum: str


class Assignment(NamedTuple):
    """An officer drawn for an entity: ``position`` is the step of that entity's walk."""

    entity: str
    department: str
    position: int
    cert: str


class Skip(NamedTuple):
    entity: str
    department: str
    position: int
    cert: str
    reason: str


class Replacement(NamedTuple):
    """A drawn officer who could not go (``reason`` as the operator gave it), and who came instead."""

    entity: str
    department: str
    cert: str
    reason: str
    replaced_by: str
    position: int


@dataclass(frozen=True)
class DrawResult:
    """The selection in draw order, the officers (after any replacements), every skip and
    replacement, and the selection digest published at the draw, before the names."""

    pool_digest: str
    roster_digest: str
    plan_digest: str
    random_value: str
    selection: tuple[Pick, ...]
    assignments: tuple[Assignment, ...]
    skips: tuple[Skip, ...]
    selection_digest: str
    replacements: tuple[Replacement, ...] = ()
    algorithm: str = ALGORITHM

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for storage; :meth:`from_dict` reads it back."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return data | {name: [list(row) for row in data[name]] for name in _ROWS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawResult:
        values: dict[str, Any] = {f.name: str(data[f.name]) for f in dataclasses.fields(cls)}
        values |= {name: tuple(kind(*row) for row in data[name]) for name, kind in _ROWS.items()}
        return cls(**values)


_ROWS: dict[str, Any] = {"selection": Pick, "assignments": Assignment, "skips": Skip, "replacements": Replacement}


def selection_digest(selection: Sequence[Pick], assignments: Sequence[Assignment], skips: Sequence[Skip]) -> str:
    """SHA-256 hex of the draw's lines: ``E``ntities, ``O``fficers, ``S``kips (see the docs)."""
    lines = [f"{ALGORITHM} selection\n"]
    lines += [f"E\t{i}\t{p.code}\t{p.stratum}\n" for i, p in enumerate(selection)]
    lines += [f"O\t{a.entity}\t{a.department}\t{a.position}\t{a.cert}\n" for a in assignments]
    lines += [f"S\t{s.entity}\t{s.department}\t{s.position}\t{s.cert}\t{s.reason}\n" for s in skips]
    return sha256_hex("".join(lines))


# ---------------------------------------------------------------------------------------------
# Draw, replace, verify, check


def _check_quotas(pool: Pool, plan: Plan) -> None:
    for stratum, count in plan.quotas.items():
        size = len(pool.members.get(stratum, ()))
        if count > size:
            raise _refuse("pool_too_small", stratum=stratum, count=count, size=size)


def _accept(
    inputs: DrawInputs, code: str, street: str, department: str, need: int, after: int = -1
) -> tuple[list[Assignment], list[Skip]]:
    """Walk (entity, department) on from position ``after + 1`` until ``need`` officers are
    accepted, recording every skip; refused when the walk runs out."""
    officers = inputs.roster.by_department.get(department, [])
    taken: list[Assignment] = []
    skips: list[Skip] = []
    for position, officer in shuffle_walk(officers, Stream(officer_seed(inputs.seed, code, department))):
        if position <= after:
            continue
        reason = skip_reason(inputs.plan, officer, code, street)
        if reason is None:
            taken.append(Assignment(code, department, position, officer.cert))
            if len(taken) == need:
                return taken, skips
        else:
            skips.append(Skip(code, department, position, officer.cert, reason))
    raise _refuse("too_few_officers", [code], count=1, department=department, code=code)


def draw(inputs: DrawInputs) -> DrawResult:
    """Draw the entities and their officers (the first result stands: the caller stores it once).

    Refused with ``supervision_draw_pool_too_small`` when a quota exceeds its stratum, and with
    ``supervision_draw_too_few_officers`` when an entity's walk runs out of eligible officers
    (:func:`check_feasible` rules that out at freeze).
    """
    pool, plan = inputs.pool, inputs.plan
    _check_quotas(pool, plan)
    stream = Stream(inputs.seed)
    positions: list[int] = []
    for stratum in strata_order(plan.quotas):
        walk = shuffle_walk(pool.members[stratum], stream)
        positions += [next(walk)[1] for _ in range(plan.quotas[stratum])]
    selection = tuple(Pick(pool.codes[i], pool.strata[i]) for i in positions)
    assignments: list[Assignment] = []
    skips: list[Skip] = []
    for i in positions:
        for department in plan.departments:
            taken, skipped = _accept(inputs, pool.codes[i], pool.streets[i], department, plan.officers_per_department)
            assignments += taken
            skips += skipped
    return DrawResult(
        pool_digest=pool.digest,
        roster_digest=inputs.roster.digest,
        plan_digest=plan.digest,
        random_value=inputs.random_value,
        selection=selection,
        assignments=tuple(assignments),
        skips=tuple(skips),
        selection_digest=selection_digest(selection, assignments, skips),
    )


def replace(
    inputs: DrawInputs, result: DrawResult, *, entity: str, department: str, cert: str, reason: str
) -> DrawResult:
    """Replace a drawn officer who cannot go by the next eligible officer of the same walk.

    The walk of (entity, department) resumes after the last position it reached, so the
    replacement is local (no other entity changes) and anyone can reproduce it. Refused when the
    officer is not currently drawn for that entity and department, or the reason is empty.
    """
    reason = canonical_text(reason)
    if not reason:
        raise _refuse("replacement_reason_missing")
    stored = (result.pool_digest, result.roster_digest, result.plan_digest, result.random_value)
    if stored != (inputs.pool.digest, inputs.roster.digest, inputs.plan.digest, inputs.random_value):
        raise _refuse("inputs_mismatch")
    slot = next(
        (n for n, a in enumerate(result.assignments) if (a.entity, a.department, a.cert) == (entity, department, cert)),
        None,
    )
    if slot is None:
        raise _refuse("replacement_not_assigned")
    reached = max(
        [a.position for a in result.assignments if (a.entity, a.department) == (entity, department)]
        + [s.position for s in result.skips if (s.entity, s.department) == (entity, department)]
    )
    (taken,), skips = _accept(inputs, entity, _street(inputs.pool, entity), department, 1, after=reached)
    assignments = list(result.assignments)
    assignments[slot] = taken
    return dataclasses.replace(
        result,
        assignments=tuple(assignments),
        skips=result.skips + tuple(skips),
        replacements=(*result.replacements, Replacement(entity, department, cert, reason, taken.cert, taken.position)),
    )


def _street(pool: Pool, code: str) -> str:
    i = bisect_left(pool.codes, code)
    return pool.streets[i] if i < len(pool.codes) and pool.codes[i] == code else ""


class Difference(NamedTuple):
    """The first place where a stored result and its recomputation disagree."""

    field: str
    row: int | None
    recomputed: Any
    stored: Any

    def __str__(self) -> str:
        where = self.field if self.row is None else f"{self.field}[{self.row}]"
        return f"{where}: recomputed {self.recomputed!r}, stored {self.stored!r}"


def verify(inputs: DrawInputs, stored: DrawResult) -> tuple[bool, Difference | None]:
    """Recompute the draw and its replacements from the inputs; compare with what was stored."""
    try:
        fresh = draw(inputs)
        for r in stored.replacements:
            fresh = replace(inputs, fresh, entity=r.entity, department=r.department, cert=r.cert, reason=r.reason)
    except DomainError as exc:
        return False, Difference("refused", None, exc.code, None)
    for name in ("algorithm", "pool_digest", "roster_digest", "plan_digest", "random_value", "selection_digest"):
        if getattr(fresh, name) != getattr(stored, name):
            return False, Difference(name, None, getattr(fresh, name), getattr(stored, name))
    for name in _ROWS:
        mine, theirs = getattr(fresh, name), getattr(stored, name)
        for index in range(max(len(mine), len(theirs))):
            a = mine[index] if index < len(mine) else None
            b = theirs[index] if index < len(theirs) else None
            if a != b:
                return False, Difference(name, index, a, b)
    return True, None


def check_feasible(pool: Pool, roster: Roster, plan: Plan) -> None:
    """Refuse at freeze, before the random value exists, a plan that some value could not staff.

    Every quota must fit its stratum, and every entity that could be drawn (any entity of a
    stratum with a quota) needs, in each department, ``officers_per_department`` officers who are
    neither conflicted, out of area, recently there nor without the required specialty — exactly
    the condition under which its walk never runs out.
    """
    _check_quotas(pool, plan)
    drawn = [i for stratum in plan.quotas for i in pool.members.get(stratum, ())]
    streets = set(map(pool.streets.__getitem__, drawn))
    blocked: dict[str, set[str]] = {}
    for cert, code in (*plan.conflicts, *plan.recent_visits):
        blocked.setdefault(code, set()).add(cert)
    need = plan.officers_per_department
    for department in plan.departments:
        wanted = plan.required_specialty.get(department)
        qualified = [o for o in roster.by_department.get(department, []) if not wanted or wanted in o.specialties]
        eligible = {street: {o.cert for o in qualified if in_area(o.areas, street)} for street in streets}
        thin = {street for street, certs in eligible.items() if len(certs) < need}
        short = {pool.codes[i] for i in drawn if pool.streets[i] in thin} if thin else set()
        for code, certs in blocked.items():
            i = bisect_left(pool.codes, code)
            found = i < len(pool.codes) and pool.codes[i] == code and pool.strata[i] in plan.quotas
            if found and len(eligible[pool.streets[i]] - certs) < need:
                short.add(code)
        if short:
            codes = sorted(short)
            raise _refuse("too_few_officers", codes[:20], count=len(codes), department=department, code=codes[0])
