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
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from onewindow.core.errors import DomainError

from .draw_inputs import (  # noqa: F401 - re-exported: callers use draw.<name>
    _TWO_256,
    ALGORITHM,
    ANY_AREA,
    CONFLICT,
    DEFAULT_OFFICERS_PER_DEPARTMENT,
    LABELS,
    MESSAGES,
    MISSING_SPECIALTY,
    OUT_OF_AREA,
    RECENT_VISIT,
    SKIP_REASONS,
    STRATUM_ORDER,
    DrawInputs,
    Entity,
    Officer,
    Plan,
    Pool,
    Roster,
    T,
    _refuse,
    canonical_field,
    canonical_text,
    commit_secret,
    quotas_from_ratios,
    sha256_hex,
)

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
