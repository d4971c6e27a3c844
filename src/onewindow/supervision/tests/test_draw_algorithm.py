"""The 双随机 draw algorithm OW-DRAW-1 (supervision.draw, docs/draw-algorithm.md, decision 0015).

The fixed test vector is the worked example of docs/draw-algorithm.md §11. Three implementations
must agree on it and on random cases: draw.py, the reference implementation printed in the doc
(executed from the Markdown), and ``Outsider`` below, written from the doc alone in another style
(it builds the published files itself, draws from a whole-permutation table, and checks areas with
a loop instead of prefixes of a set).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from onewindow.core.errors import DomainError
from onewindow.supervision import draw

DOC = Path(__file__).resolve().parents[4] / "docs" / "draw-algorithm.md"

# ---------------------------------------------------------------------------------------------
# The test vector (docs/draw-algorithm.md §11)

STREETS = ["310101002", "310101013", "310104003"]
POOL_ROWS = [(f"91310101000000{i:04d}", "ABCAD-BCABCD"[i - 1], STREETS[i % 3]) for i in range(1, 13)]
ROSTER_ROWS = [
    ("31000001", "SCJ", ["*"], ["food", "registration"]),
    ("31000002", "SCJ", ["310101"], ["food"]),
    ("31000003", "SCJ", ["310104"], ["food"]),
    ("31000004", "SCJ", ["*"], ["registration"]),
    ("31000005", "SCJ", ["310101002"], ["food"]),
    ("31000006", "SCJ", ["*"], ["food"]),
    ("32000001", "WJW", ["*"], ["health"]),
    ("32000002", "WJW", ["310101"], ["health"]),
    ("32000003", "WJW", ["*"], ["health"]),
]
SECRET = "0123456789abcdef" * 4
CONFLICTS = [("31000001", "913101010000000004"), ("32000003", "913101010000000006")]
VISITS = [("31000006", "913101010000000001"), ("32000002", "913101010000000012")]
VALUE = "  双色球 2025003期  红球 02 11 15 23 28 33\u3000蓝球 07 "
QUOTAS = {"A": 2, "C": 1, "D": 1, "-": 1, "B": 0}
E = "9131010100000000"  # the codes' common prefix, to keep the expectations readable

EXPECTED_SELECTION = [(E + "09", "A"), (E + "01", "A"), (E + "03", "C"), (E + "12", "D"), (E + "06", "-")]
EXPECTED_ASSIGNMENTS = [
    (E + "09", "SCJ", 1, "31000001"), (E + "09", "SCJ", 2, "31000005"),
    (E + "09", "WJW", 0, "32000003"), (E + "09", "WJW", 1, "32000001"),
    (E + "01", "SCJ", 0, "31000002"), (E + "01", "SCJ", 3, "31000001"),
    (E + "01", "WJW", 0, "32000001"), (E + "01", "WJW", 1, "32000002"),
    (E + "03", "SCJ", 0, "31000001"), (E + "03", "SCJ", 1, "31000006"),
    (E + "03", "WJW", 0, "32000002"), (E + "03", "WJW", 1, "32000003"),
    (E + "12", "SCJ", 1, "31000005"), (E + "12", "SCJ", 3, "31000006"),
    (E + "12", "WJW", 0, "32000001"), (E + "12", "WJW", 1, "32000003"),
    (E + "06", "SCJ", 0, "31000001"), (E + "06", "SCJ", 1, "31000002"),
    (E + "06", "WJW", 0, "32000001"), (E + "06", "WJW", 2, "32000002"),
]  # fmt: skip
EXPECTED_SKIPS = [
    (E + "09", "SCJ", 0, "31000003", "out_of_area"),
    (E + "01", "SCJ", 1, "31000006", "recent_visit"),
    (E + "01", "SCJ", 2, "31000005", "out_of_area"),
    (E + "12", "SCJ", 0, "31000003", "out_of_area"),
    (E + "12", "SCJ", 2, "31000004", "missing_specialty"),
    (E + "06", "WJW", 1, "32000003", "conflict"),
]
DIGESTS = {
    "pool": "273bd814deb340ff4373c335f0ace1f0414d5d19a4bb3db06350254eecad55e4",
    "roster": "6ac040514b248e8d465f72ba12d5497f9f6a0089844103f1c4662900e552bc18",
    "constraints": "ef54fe3ffddd02af835102bbfa9616aa14e9dbb0d71ecf855fce92c072696a0c",
    "commitment": "d730ffffd95790bf4ff62ae84807aff42a834c7ed35dee74be684fe806d0c9d8",
    "plan": "e92c17c0a293c339cf06c7d7d9684cc6e5b4d95a09ec113561de05cdebf24402",
    "seed": "05e92d516ced933c0aa03712c7181b7daa8b4af0b981b50fa919a8e7a062b3b9",
    "officer_seed": "7f1b434dc1bdb5dd034ef3a73ce5f7c3fa16ee091f2c93849266d71c3c98e644",
    "selection": "691286168eede3834a88beed732ae593bbb38376b2b6de7fb39bb2107784b9f4",
}
BLOCKS = [
    "8e2f0c16a3f7491d7502aafed3601985bc834da489d72ec62909373223876ddd",
    "75e60b7e24e4b0365200d60b060b327bb0f48f65b1746ffffe865e5a6668f8d3",
    "9bf3c104a30b225ea58f0e33293044a00241d5c293c7ce9da90658afbdbc00cc",
]


def vector_plan(**changes: object) -> draw.Plan:
    fields: dict[str, object] = {
        "quotas": QUOTAS,
        "departments": ["SCJ", "WJW"],
        "secret_commitment": draw.commit_secret(SECRET),
        "required_specialty": {"SCJ": "food"},
        "conflicts": CONFLICTS,
        "recent_visits": VISITS,
    }
    fields.update(changes)
    return draw.Plan(**fields)  # type: ignore[arg-type]


def vector_inputs(pool_rows=POOL_ROWS, roster_rows=ROSTER_ROWS, value=VALUE, **plan_changes):
    return draw.DrawInputs(draw.Pool(pool_rows), draw.Roster(roster_rows), vector_plan(**plan_changes), value, SECRET)


# ---------------------------------------------------------------------------------------------
# Outsider: a second implementation, from docs/draw-algorithm.md only


class Outsider:
    """OW-DRAW-1 as an outsider reads the doc: published files in, lines and digest out."""

    def __init__(self, pool_rows, roster_rows, plan: dict, conflicts, visits, value: str, secret: str):
        self.pool = sorted((c, s, t) for c, s, t in pool_rows)
        self.roster = sorted((c, d, sorted(set(a)), sorted(set(sp))) for c, d, a, sp in roster_rows)
        self.conflicts, self.visits = set(conflicts), set(visits)
        self.value = " ".join(unicodedata.normalize("NFKC", value).split())
        self.plan, self.secret = plan, secret

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    def files(self) -> dict[str, bytes]:
        pool = b"".join(("\t".join(row) + "\n").encode() for row in self.pool)
        roster = b"".join(f"{c}\t{d}\t{','.join(a)}\t{','.join(s)}\n".encode() for c, d, a, s in self.roster)
        constraints = "".join(f"conflict\t{c}\t{e}\n" for c, e in sorted(self.conflicts))
        constraints += "".join(f"recent_visit\t{c}\t{e}\n" for c, e in sorted(self.visits))
        document = dict(self.plan)
        document["algorithm"] = "OW-DRAW-1"
        document["constraints_digest"] = self.digest(constraints.encode())
        document["quotas"] = {k: v for k, v in document["quotas"].items() if v}
        plan = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        return {"pool": pool, "roster": roster, "constraints": constraints.encode(), "plan": plan}

    def seed(self) -> bytes:
        f = self.files()
        parts = [b"OW-DRAW-1", *(self.digest(f[k]).encode() for k in ("pool", "roster", "plan"))]
        return hashlib.sha256(b"\n".join([*parts, self.value.encode(), self.secret.encode()])).digest()

    @staticmethod
    def numbers(key: bytes):
        """uniform(n) values, as a coroutine: send n, receive the number."""
        counter = 0
        n = yield
        while True:
            bound = (2**256 // n) * n
            x = bound
            while x >= bound:
                x = int.from_bytes(hashlib.sha256(key + counter.to_bytes(8, "big")).digest(), "big")
                counter += 1
            n = yield x % n

    @staticmethod
    def permutation(length: int, take: int, numbers) -> list[int]:
        table = list(range(length))
        for j in range(take):
            k = j + numbers.send(length - j)
            table[j], table[k] = table[k], table[j]
        return table[:take]

    def run(self):
        seed, plan = self.seed(), self.plan
        numbers = self.numbers(seed)
        next(numbers)
        labels = [s for s in plan["quotas"] if plan["quotas"][s]]
        fixed = [s for s in "ABCD-" if s in labels]
        chosen = []
        for label in fixed + sorted(set(labels) - set(fixed)):
            stratum = [row for row in self.pool if row[1] == label]
            if plan["quotas"][label] > len(stratum):
                raise LookupError("pool too small")
            chosen += [stratum[i] for i in self.permutation(len(stratum), plan["quotas"][label], numbers)]
        officers, skips = [], []
        for code, _stratum, street in chosen:
            for dept in plan["departments"]:
                staff = [o for o in self.roster if o[1] == dept]
                walk = self.numbers(
                    hashlib.sha256(seed + b"officers\n" + code.encode() + b"\n" + dept.encode()).digest()
                )
                next(walk)
                order = self.permutation(len(staff), len(staff), walk)
                accepted = 0
                for position, index in enumerate(order):
                    if accepted == plan["officers_per_department"]:
                        break
                    cert, _, areas, specialties = staff[index]
                    reason = self.reason(cert, code, street, areas, specialties, plan["required_specialty"].get(dept))
                    if reason:
                        skips.append((code, dept, position, cert, reason))
                    else:
                        officers.append((code, dept, position, cert))
                        accepted += 1
                if accepted < plan["officers_per_department"]:
                    raise LookupError("too few officers")
        text = "OW-DRAW-1 selection\n" + "".join(f"E\t{i}\t{c}\t{s}\n" for i, (c, s, _) in enumerate(chosen))
        text += "".join("O\t{}\t{}\t{}\t{}\n".format(*o) for o in officers)
        text += "".join("S\t{}\t{}\t{}\t{}\t{}\n".format(*s) for s in skips)
        return [(c, s) for c, s, _ in chosen], officers, skips, self.digest(text.encode())

    def reason(self, cert, code, street, areas, specialties, wanted):
        if (cert, code) in self.conflicts:
            return "conflict"
        covered = False
        for area in areas:
            if area == "*" or (street != "" and street[: len(area)] == area):
                covered = True
        if not covered:
            return "out_of_area"
        if (cert, code) in self.visits:
            return "recent_visit"
        if wanted and wanted not in specialties:
            return "missing_specialty"
        return None


def outsider_for_vector(value: str = VALUE) -> Outsider:
    plan = {
        "departments": ["SCJ", "WJW"],
        "officers_per_department": 2,
        "quotas": QUOTAS,
        "required_specialty": {"SCJ": "food"},
        "secret_commitment": hashlib.sha256(f"OW-DRAW-1 secret\n{SECRET}".encode()).hexdigest(),
    }
    return Outsider(POOL_ROWS, ROSTER_ROWS, plan, CONFLICTS, VISITS, value, SECRET)


def doc_reference():
    """The reference implementation printed in docs/draw-algorithm.md §12, executed as printed."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation, the point of the test
    return namespace["draw"]


# ---------------------------------------------------------------------------------------------
# The vector


def test_vector_published_files_and_digests():
    inputs = vector_inputs()
    assert inputs.pool.text().splitlines()[0] == "913101010000000001\tA\t310101013"
    assert inputs.roster.text().splitlines()[0] == "31000001\tSCJ\t*\tfood,registration"
    assert inputs.plan.constraints_text() == (
        "conflict\t31000001\t913101010000000004\nconflict\t32000003\t913101010000000006\n"
        "recent_visit\t31000006\t913101010000000001\nrecent_visit\t32000002\t913101010000000012\n"
    )
    assert inputs.pool.digest == DIGESTS["pool"]
    assert inputs.roster.digest == DIGESTS["roster"]
    assert hashlib.sha256(inputs.plan.constraints_text().encode()).hexdigest() == DIGESTS["constraints"]
    assert inputs.plan.secret_commitment == DIGESTS["commitment"]
    assert inputs.plan.canonical_json() == (
        '{"algorithm":"OW-DRAW-1","constraints_digest":"' + DIGESTS["constraints"] + '","departments":["SCJ","WJW"],'
        '"officers_per_department":2,"quotas":{"-":1,"A":2,"C":1,"D":1},"required_specialty":{"SCJ":"food"},'
        '"secret_commitment":"' + DIGESTS["commitment"] + '"}'
    )
    assert inputs.plan.digest == DIGESTS["plan"]
    assert inputs.random_value == "双色球 2025003期 红球 02 11 15 23 28 33 蓝球 07"
    assert inputs.seed.hex() == DIGESTS["seed"]
    assert [hashlib.sha256(inputs.seed + i.to_bytes(8, "big")).hexdigest() for i in range(3)] == BLOCKS
    assert draw.officer_seed(inputs.seed, E + "09", "SCJ").hex() == DIGESTS["officer_seed"]


def test_vector_draw():
    result = draw.draw(vector_inputs())
    assert [tuple(p) for p in result.selection] == EXPECTED_SELECTION
    assert [tuple(a) for a in result.assignments] == EXPECTED_ASSIGNMENTS
    assert [tuple(s) for s in result.skips] == EXPECTED_SKIPS
    assert result.selection_digest == DIGESTS["selection"]
    assert (result.pool_digest, result.roster_digest, result.plan_digest) == (
        DIGESTS["pool"], DIGESTS["roster"], DIGESTS["plan"],
    )  # fmt: skip
    assert result.replacements == ()
    assert result.random_value == "双色球 2025003期 红球 02 11 15 23 28 33 蓝球 07"


def test_vector_stream_steps():
    stream = draw.Stream(vector_inputs().seed)
    assert [stream.uniform(3), stream.uniform(2), stream.uniform(3), stream.uniform(2), stream.uniform(1)] == [
        2,
        1,
        0,
        1,
        0,
    ]
    assert stream.blocks == 5


def test_vector_replacement():
    inputs = vector_inputs()
    first = draw.draw(inputs)
    second = draw.replace(inputs, first, entity=E + "09", department="SCJ", cert="31000001", reason=" 因病 无法参加 ")
    assert second.replacements == (draw.Replacement(E + "09", "SCJ", "31000001", "因病 无法参加", "31000006", 4),)
    assert second.skips == (*first.skips, draw.Skip(E + "09", "SCJ", 3, "31000004", "missing_specialty"))
    assert second.assignments[0] == draw.Assignment(E + "09", "SCJ", 4, "31000006")
    assert second.assignments[1:] == first.assignments[1:]
    assert second.selection == first.selection
    assert second.selection_digest == first.selection_digest  # published at the draw, before replacements
    again = draw.replace(
        inputs, draw.draw(inputs), entity=E + "09", department="SCJ", cert="31000001", reason="因病 无法参加"
    )
    assert again == second


def test_vector_doc_reference_implementation():
    inputs = vector_inputs()
    digest, lines, assigned, skipped = doc_reference()(
        inputs.pool.text(), inputs.roster.text(), inputs.plan.constraints_text(), inputs.plan.canonical_json(),
        inputs.random_value, SECRET,
    )  # fmt: skip
    assert digest == DIGESTS["selection"]
    assert lines == [f"E\t{i}\t{c}\t{s}\n" for i, (c, s) in enumerate(EXPECTED_SELECTION)]
    assert assigned == ["O\t{}\t{}\t{}\t{}\n".format(*a) for a in EXPECTED_ASSIGNMENTS]
    assert skipped == ["S\t{}\t{}\t{}\t{}\t{}\n".format(*s) for s in EXPECTED_SKIPS]


def test_vector_outsider():
    outsider = outsider_for_vector()
    files = outsider.files()
    assert {k: hashlib.sha256(v).hexdigest() for k, v in files.items()} == {
        k: DIGESTS[k] for k in ("pool", "roster", "constraints", "plan")
    }
    assert outsider.seed().hex() == DIGESTS["seed"]
    assert outsider.run() == (EXPECTED_SELECTION, EXPECTED_ASSIGNMENTS, EXPECTED_SKIPS, DIGESTS["selection"])


def test_doc_states_the_vector():
    text = DOC.read_text(encoding="utf-8")
    for value in [*DIGESTS.values(), *BLOCKS, SECRET]:
        assert value in text
    assert draw.Pool(POOL_ROWS).text() in text.replace("    ", "")


# ---------------------------------------------------------------------------------------------
# Deterministic, and sensitive to every input


def test_same_inputs_same_result_whatever_the_input_order_and_form():
    first = draw.draw(vector_inputs())
    fullwidth = [(unicodedata.normalize("NFKC", c).translate({ord("9"): "９"}), s, t) for c, s, t in POOL_ROWS]
    shuffled = vector_inputs(
        pool_rows=list(reversed(fullwidth)),
        roster_rows=[(c, d, list(reversed(a)), [*sp, *sp]) for c, d, a, sp in reversed(ROSTER_ROWS)],
        value="双色球　２０２５００３期 红球 02 11 15 23 28 33 蓝球 07",
        conflicts=list(reversed(CONFLICTS)),
    )
    assert draw.draw(shuffled) == first
    assert draw.draw(vector_inputs()) == first


def changed_pool(index, field, value):
    rows = [list(r) for r in POOL_ROWS]
    rows[index][field] = value
    return [tuple(r) for r in rows]


CHANGES = {
    "pool code": {"pool_rows": changed_pool(11, 0, "913101010000000013")},
    "pool stratum": {"pool_rows": changed_pool(1, 1, "C")},
    "pool street": {"pool_rows": changed_pool(8, 2, "310104003")},
    "pool entity added": {"pool_rows": [*POOL_ROWS, ("913101010000000099", "B", "310101002")]},
    "roster area": {"roster_rows": [*ROSTER_ROWS[:1], ("31000002", "SCJ", ["*"], ["food"]), *ROSTER_ROWS[2:]]},
    "roster specialty": {"roster_rows": [*ROSTER_ROWS[:3], ("31000004", "SCJ", ["*"], ["food"]), *ROSTER_ROWS[4:]]},
    "roster officer added": {"roster_rows": [*ROSTER_ROWS, ("31000007", "SCJ", ["*"], ["food"])]},
    "conflict": {"conflicts": [*CONFLICTS, ("31000002", E + "01")]},
    "recent visit": {"recent_visits": VISITS[:1]},
    "quota": {"quotas": {**QUOTAS, "B": 1}},
    "officers per department": {"officers_per_department": 1},
    "specialty": {"required_specialty": {}},
    "department order": {"departments": ["WJW", "SCJ"]},
    "value": {"value": VALUE.replace("07", "08")},
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_single_change_changes_the_seed_and_the_result(change):
    base_inputs, base = vector_inputs(), draw.draw(vector_inputs())
    inputs = vector_inputs(**change)
    assert inputs.seed != base_inputs.seed
    result = draw.draw(inputs)
    assert result.selection_digest != base.selection_digest
    assert (result.selection, result.assignments, result.skips) != (base.selection, base.assignments, base.skips)


def test_another_secret_changes_the_result():
    other = "f" * 64
    plan = vector_plan(secret_commitment=draw.commit_secret(other))
    inputs = draw.DrawInputs(draw.Pool(POOL_ROWS), draw.Roster(ROSTER_ROWS), plan, VALUE, other)
    assert draw.draw(inputs).selection_digest != DIGESTS["selection"]


# ---------------------------------------------------------------------------------------------
# Properties over random draws

CODES = st.text(alphabet="0123456789ABCDEFGH", min_size=3, max_size=6)
AREAS = ["*", "*", "*", "3101", "310101", "310104", "310101002", "310104003"]


@st.composite
def cases(draw_):
    codes = draw_(st.lists(CODES, min_size=1, max_size=30, unique=True))
    streets = st.sampled_from(["", "310101002", "310104003", "310104003"])
    pool = [(c, draw_(st.sampled_from("ABCD-X")), draw_(streets)) for c in codes]
    departments = draw_(st.lists(st.sampled_from(["SCJ", "WJW", "JYJ"]), min_size=1, max_size=3, unique=True))
    roster, serial = [], 0
    for dept in departments:
        for _ in range(draw_(st.integers(2, 8))):
            serial += 1
            areas = draw_(st.lists(st.sampled_from(AREAS), min_size=1, max_size=2))
            specialties = draw_(st.lists(st.sampled_from(["food", "food", "health"]), max_size=2))
            roster.append((f"{serial:06d}", dept, areas, specialties))
    certs = [o[0] for o in roster]
    pair = st.tuples(st.sampled_from(certs), st.sampled_from(codes))
    strata = {s for _, s, _ in pool}
    quotas = {s: min(draw_(st.integers(1, 3)), sum(1 for _, x, _ in pool if x == s)) for s in strata}
    specialty = {d: "food" for d in departments if draw_(st.integers(0, 3)) == 0}
    secret = draw_(st.sampled_from(["", "a" * 64, "secret"]))
    plan = {
        "quotas": quotas,
        "departments": departments,
        "secret_commitment": draw.commit_secret(secret),
        "officers_per_department": draw_(st.integers(1, 2)),
        "required_specialty": specialty,
        "conflicts": draw_(st.lists(pair, max_size=4)),
        "recent_visits": draw_(st.lists(pair, max_size=4)),
    }
    value = draw_(st.text(min_size=1, max_size=12).filter(lambda v: draw.canonical_text(v)))
    return pool, roster, plan, value, secret


def _build(case):
    pool, roster, plan, value, secret = case
    return draw.DrawInputs(draw.Pool(pool), draw.Roster(roster), draw.Plan(**plan), value, secret)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_properties_of_every_draw(case):
    inputs = _build(case)
    plan = inputs.plan
    try:
        draw.check_feasible(inputs.pool, inputs.roster, plan)
        feasible = True
    except DomainError as exc:
        assert exc.code == "supervision_draw_too_few_officers"
        feasible = False
    # the freeze check refuses exactly the plans with an entity some value could not staff
    streets = dict(zip(inputs.pool.codes, inputs.pool.streets, strict=True))
    unstaffable = {
        code
        for code, stratum in zip(inputs.pool.codes, inputs.pool.strata, strict=True)
        if stratum in plan.quotas
        for dept in plan.departments
        if sum(
            draw.skip_reason(plan, o, code, streets[code]) is None for o in inputs.roster.by_department.get(dept, [])
        )
        < plan.officers_per_department
    }
    assert feasible == (not unstaffable)
    try:
        result = draw.draw(inputs)
    except DomainError as exc:
        # a refused draw was refused at freeze already: check_feasible is complete
        assert exc.code == "supervision_draw_too_few_officers"
        assert not feasible
        event("draw refused")
        return
    event(f"drawn, {len(result.selection)} entities, feasible at freeze: {feasible}")
    codes = [p.code for p in result.selection]
    assert len(codes) == len(set(codes))
    for stratum, count in plan.quotas.items():
        assert sum(1 for p in result.selection if p.stratum == stratum) == count
    assert {p.stratum for p in result.selection} <= set(plan.quotas)
    officers = {o.cert: o for o in inputs.roster.officers}
    for a in result.assignments:
        officer = officers[a.cert]
        assert (a.cert, a.entity) not in plan.conflicts
        assert (a.cert, a.entity) not in plan.recent_visits
        assert any(x == "*" or (streets[a.entity] and streets[a.entity].startswith(x)) for x in officer.areas)
        assert officer.department == a.department
        assert plan.required_specialty.get(a.department, "food") in officer.specialties or (
            a.department not in plan.required_specialty
        )
    for code in codes:
        for dept in plan.departments:
            taken = [a for a in result.assignments if (a.entity, a.department) == (code, dept)]
            skipped = [s for s in result.skips if (s.entity, s.department) == (code, dept)]
            assert len(taken) == plan.officers_per_department
            assert len({a.cert for a in taken}) == len(taken)
            # every pick of the walk up to the last accepted one is either taken or explained
            assert sorted(x.position for x in taken + skipped) == list(range(len(taken) + len(skipped)))
            for s in skipped:
                assert s.reason == draw.skip_reason(plan, officers[s.cert], code, streets[code])
    outsider_plan = {
        "departments": list(plan.departments),
        "officers_per_department": plan.officers_per_department,
        "quotas": dict(plan.quotas),
        "required_specialty": dict(plan.required_specialty),
        "secret_commitment": plan.secret_commitment,
    }
    pool, roster, _plan, value, secret = case
    outsider = Outsider(pool, roster, outsider_plan, plan.conflicts, plan.recent_visits, value, secret)
    assert outsider.run() == (
        [tuple(p) for p in result.selection], [tuple(a) for a in result.assignments],
        [tuple(s) for s in result.skips], result.selection_digest,
    )  # fmt: skip
    assert draw.verify(inputs, result) == (True, None)


@settings(max_examples=60, deadline=None)
@given(cases(), st.data())
def test_replacements_are_reproducible_and_never_bring_back_an_ineligible_officer(case, data):
    inputs = _build(case)
    try:
        result = draw.draw(inputs)
    except DomainError:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        if not result.assignments:
            return
        target = data.draw(st.sampled_from(result.assignments))
        try:
            replaced = draw.replace(
                inputs, result, entity=target.entity, department=target.department, cert=target.cert, reason="病假"
            )
        except DomainError as exc:
            assert exc.code == "supervision_draw_too_few_officers"
            return
        new = replaced.replacements[-1]
        assert (new.cert, new.entity) == (target.cert, target.entity)
        assert new.replaced_by != target.cert
        assert new.position > max(
            x.position
            for x in (*result.assignments, *result.skips)
            if (x.entity, x.department) == (target.entity, target.department)
        )
        assert (new.replaced_by, new.entity) not in inputs.plan.conflicts
        result = replaced
    assert draw.verify(inputs, result) == (True, None)
    assert draw.verify(inputs, draw.DrawResult.from_dict(json.loads(json.dumps(result.to_dict())))) == (True, None)
