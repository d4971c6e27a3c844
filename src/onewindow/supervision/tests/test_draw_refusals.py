"""Refusals, ratios and verification of the 双随机 draw algorithm (supervision.draw).

The inputs are the test vector of docs/draw-algorithm.md §11 (see test_draw_algorithm.py).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction

import pytest

from onewindow.core.errors import DomainError
from onewindow.supervision import draw

from .test_draw_algorithm import (
    CONFLICTS,
    DIGESTS,
    POOL_ROWS,
    QUOTAS,
    ROSTER_ROWS,
    SECRET,
    VALUE,
    E,
    changed_pool,
    vector_inputs,
    vector_plan,
)

# ---------------------------------------------------------------------------------------------
# Refusals: a stable code, and nothing changed (the inputs are untouched and still draw the vector)


def _refused(code, fn, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code
    assert caught.value.status == 400
    return caught.value


def test_pool_too_small_is_refused_at_freeze_and_at_the_draw():
    inputs = vector_inputs(quotas={**QUOTAS, "D": 3})
    before = (inputs.pool.text(), inputs.plan.canonical_json())
    error = _refused("supervision_draw_pool_too_small", draw.check_feasible, inputs.pool, inputs.roster, inputs.plan)
    assert str(error.message) == "风险分层 D 需抽取 3 户，但名录中只有 2 户。"
    _refused("supervision_draw_pool_too_small", draw.draw, inputs)
    _refused("supervision_draw_pool_too_small", draw.draw, vector_inputs(quotas={"Z": 1}))
    assert (inputs.pool.text(), inputs.plan.canonical_json()) == before


def test_too_few_officers_is_refused_at_freeze_whatever_the_value():
    # WJW has 3 officers; with one conflicted and one out of area for …0011, it cannot send 2
    inputs = vector_inputs(conflicts=[*CONFLICTS, ("32000001", E + "11")])
    error = _refused("supervision_draw_too_few_officers", draw.check_feasible, inputs.pool, inputs.roster, inputs.plan)
    assert error.fields == {"entities": [E + "11"]}
    assert str(error.message) == f"1 户市场主体在部门 WJW 中没有足够的可选执法人员，例如 {E}11。"
    # the vector itself is feasible
    assert draw.check_feasible(*(lambda i: (i.pool, i.roster, i.plan))(vector_inputs())) is None


def test_too_few_officers_at_the_draw():
    inputs = vector_inputs(officers_per_department=4)  # only 2 SCJ officers may visit …0001
    error = _refused("supervision_draw_too_few_officers", draw.draw, inputs)
    assert error.fields == {"entities": [E + "01"]}  # the first entity this plan's seed selects
    assert str(error.message) == f"1 户市场主体在部门 SCJ 中没有足够的可选执法人员，例如 {E}01。"


def test_replacement_refusals_leave_the_result_unchanged():
    inputs = vector_inputs()
    result = draw.draw(inputs)
    snapshot = result.to_dict()
    _refused("supervision_draw_replacement_not_assigned", draw.replace, inputs, result,
             entity=E + "09", department="SCJ", cert="31000002", reason="病假")  # fmt: skip
    _refused("supervision_draw_replacement_reason_missing", draw.replace, inputs, result,
             entity=E + "09", department="SCJ", cert="31000001", reason=" \u3000 ")  # fmt: skip
    # …0006's WJW walk has used all three WJW officers: nobody is left
    _refused("supervision_draw_too_few_officers", draw.replace, inputs, result,
             entity=E + "06", department="WJW", cert="32000001", reason="病假")  # fmt: skip
    _refused("supervision_draw_inputs_mismatch", draw.replace, vector_inputs(value="other"), result,
             entity=E + "09", department="SCJ", cert="31000001", reason="病假")  # fmt: skip
    assert result.to_dict() == snapshot
    assert result.selection_digest == DIGESTS["selection"]


@pytest.mark.parametrize(
    ("code", "build"),
    [
        ("supervision_draw_duplicate_entity", lambda: draw.Pool([*POOL_ROWS, (POOL_ROWS[3][0], "B", "")])),
        ("supervision_draw_duplicate_entity", lambda: draw.Pool([("９１", "A", ""), ("91", "B", "")])),
        ("supervision_draw_duplicate_officer", lambda: draw.Roster([*ROSTER_ROWS, ("31000001", "WJW", ["*"], [])])),
        ("supervision_draw_invalid_field", lambda: draw.Pool([("9131 0101", "A", "")])),
        ("supervision_draw_invalid_field", lambda: draw.Pool([("913101", "", "")])),
        ("supervision_draw_invalid_field", lambda: draw.Pool([("91,3101", "A", "")])),
        ("supervision_draw_invalid_field", lambda: draw.Pool([("913101", "A", "3101\t01")])),
        ("supervision_draw_invalid_field", lambda: draw.Roster([("3100\n0001", "SCJ", ["*"], [])])),
        ("supervision_draw_invalid_field", lambda: draw.Roster([("31000001", "SCJ", ['3101"'], [])])),
        ("supervision_draw_invalid_quota", lambda: vector_plan(quotas={"A": -1})),
        ("supervision_draw_invalid_quota", lambda: vector_plan(quotas={"A": 1.5})),
        ("supervision_draw_invalid_quota", lambda: vector_plan(quotas={"A": True})),
        ("supervision_draw_invalid_departments", lambda: vector_plan(departments=[])),
        ("supervision_draw_invalid_departments", lambda: vector_plan(departments=["SCJ", "ＳＣＪ"])),
        ("supervision_draw_invalid_departments", lambda: vector_plan(required_specialty={"JYJ": "food"})),
        ("supervision_draw_invalid_officer_count", lambda: vector_plan(officers_per_department=0)),
        ("supervision_draw_invalid_commitment", lambda: vector_plan(secret_commitment="secret")),
        ("supervision_draw_random_value_missing", lambda: vector_inputs(value=" \u3000\n ")),
        ("supervision_draw_secret_mismatch", lambda: draw.DrawInputs(
            draw.Pool(POOL_ROWS), draw.Roster(ROSTER_ROWS), vector_plan(), VALUE, SECRET.upper())),
        ("supervision_draw_invalid_ratio", lambda: draw.quotas_from_ratios({"A": 10}, {"A": "1.01"})),
        ("supervision_draw_invalid_ratio", lambda: draw.quotas_from_ratios({"A": 10}, {"A": -0.1})),
        ("supervision_draw_invalid_ratio", lambda: draw.quotas_from_ratios({"A": 10}, {"A": "three"})),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_stable_code(code, build):
    _refused(code, build)


def test_a_stratum_given_twice_is_refused():
    error = _refused("supervision_draw_duplicate_stratum", vector_plan, quotas={"A": 1, "Ａ": 2})
    assert str(error.message) == "风险分层 A 的抽查数量填写了两次。"


def test_an_invalid_field_is_named_in_the_refusal():
    error = _refused("supervision_draw_invalid_field", draw.Pool, [("91,3101", "A", "")])
    assert str(error.message) == "抽查输入中的统一社会信用代码“91,3101”格式无效。"
    error = _refused("supervision_draw_invalid_field", draw.Roster, [("31000001", "SCJ", ["3101 02"], [])])
    assert str(error.message) == "抽查输入中的负责区域“3101 02”格式无效。"


def test_whitespace_and_width_are_canonical():
    pool = draw.Pool([("９１３１０１ ", "Ａ", " 310101002")])
    assert pool.text() == "913101\tA\t310101002\n"
    roster = draw.Roster([("３１", "ＳＣＪ", ["*", "3101", "*"], ["food", "food"])])
    assert roster.text() == "31\tSCJ\t*,3101\tfood\n"
    assert draw.canonical_text("  双色球\u3000\u3000０７\t＋ 09\n") == "双色球 07 + 09"
    assert len(draw.Pool([])) == 0
    assert draw.Pool([]).text() == ""
    assert list(draw.Pool([("B", "A"), ("A", "-", "x")])) == [draw.Entity("A", "-", "x"), draw.Entity("B", "A", "")]


# ---------------------------------------------------------------------------------------------
# Counts from ratios (round half up, at least 1)


def test_quotas_from_ratios():
    sizes = {"A": 10, "B": 10, "C": 3, "D": 0, "-": 7, "X": 1000}
    assert draw.quotas_from_ratios(
        sizes, {"A": 0.15, "B": "0.14", "C": Decimal("0.01"), "D": "0.3", "-": 0, "X": Fraction(1, 3)}
    ) == {"A": 2, "B": 1, "C": 1, "D": 0, "-": 0, "X": 333}
    assert draw.quotas_from_ratios({"A": 10}, {"A": "0.25"}) == {"A": 3}  # 2.5 rounds up
    assert draw.quotas_from_ratios({"A": 10}, {"A": 1}) == {"A": 10}
    assert draw.quotas_from_ratios({}, {"A": "0.5"}) == {"A": 0}


# ---------------------------------------------------------------------------------------------
# verify


def test_verify_matches_and_finds_the_first_difference():
    inputs = vector_inputs()
    result = draw.replace(inputs, draw.draw(inputs), entity=E + "09", department="SCJ", cert="31000001", reason="病假")
    stored = draw.DrawResult.from_dict(json.loads(json.dumps(result.to_dict(), ensure_ascii=False)))
    assert stored == result
    assert draw.verify(inputs, stored) == (True, None)

    tampered = dataclasses.replace(stored, selection=(stored.selection[1], stored.selection[0], *stored.selection[2:]))
    ok, difference = draw.verify(inputs, tampered)
    assert (ok, difference.field, difference.row) == (False, "selection", 0)
    assert str(difference) == (
        "selection[0]: recomputed Pick(code='913101010000000009', stratum='A'), "
        "stored Pick(code='913101010000000001', stratum='A')"
    )
    skips = list(stored.skips)
    skips[2] = skips[2]._replace(reason="conflict")
    assert draw.verify(inputs, dataclasses.replace(stored, skips=tuple(skips)))[1][:2] == ("skips", 2)
    assert draw.verify(inputs, dataclasses.replace(stored, selection_digest="0" * 64))[1][:2] == (
        "selection_digest",
        None,
    )
    assert draw.verify(inputs, dataclasses.replace(stored, replacements=()))[1][:2] == ("assignments", 0)

    edited = vector_inputs(pool_rows=changed_pool(0, 1, "B"))
    assert draw.verify(edited, stored)[1][:2] == ("pool_digest", None)
    edited = vector_inputs(value=VALUE + "0")
    assert draw.verify(edited, stored)[1][:2] == ("random_value", None)
    unstaffable = vector_inputs(officers_per_department=4)
    assert draw.verify(unstaffable, stored) == (
        False,
        draw.Difference("refused", None, "supervision_draw_too_few_officers", None),
    )
