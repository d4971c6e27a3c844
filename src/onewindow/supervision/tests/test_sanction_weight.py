"""The 联合惩戒 stratum of a draw by ratios (issue #12 parts 2 and 7): when a plan sets the ``S``
stratum and ratios but none for ``S``, the listed entities are drawn at the plan's highest ratio
times their draw weight (``market.sanctions_selectors.draw_weight_for``; a listing with the
measure and no weight of its own takes ``MARKET_SANCTION_DRAW_WEIGHT``), at most 100 %. Exact
quotas of the freeze.

The draw world's pool has 12 active entities (A×4, B×3, C×2, D×1, ungraded×2); two are listed
here (one A, one B), so the pool's strata are S 2, A 3, B 2, C 2, D 1, - 2.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.test import override_settings

from onewindow.market.models import SanctionListing
from onewindow.market.services import sanctions as sanction_services
from onewindow.supervision import draw
from onewindow.supervision.services import draws_freeze

from .test_draw_plans_world import DrawWorld, draw_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

RATIOS = {"A": "10", "C": "30"}
STRATA = {"-": 2, "A": 3, "B": 2, "C": 2, "D": 1, "S": 2}


def _list(dw: DrawWorld, n: int, *, measures: list[str], weight: str = "1", status: str = "listed") -> None:
    entity = dw.entities[n]
    SanctionListing.objects.create(
        list_kind="serious_violation",
        subject_type="organization",
        credit_code=entity.credit_code,
        subject_name=entity.name,
        reason="提交虚假材料取得登记",
        legal_basis="《严重违法失信企业名单管理暂行办法》第五条",
        department=dw.w.department,
        source_id=f"YZWF-{n}",
        listed_on=dw.clock.day - datetime.timedelta(days=10),
        removable_on=dw.clock.day + datetime.timedelta(days=100),
        measures=measures,
        draw_weight=Decimal(weight),
        status=status,
        removed_on=dw.clock.day if status == "removed" else None,
        content_hash="x" * 64,
    )


def _freeze(dw: DrawWorld, **overrides: object) -> dict[str, int]:
    plan = dw.to_status("frozen", sanctioned_stratum=True, **{"ratios": RATIOS, "counts": None, **overrides})
    return dict(plan.freeze.quotas)


def test_the_highest_ratio_times_the_largest_weight(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["window_warning", "draw_weight"], weight="2.5")
    _list(dw, 4, measures=["draw_weight"], weight="1.5")
    plan = dw.to_status("frozen", sanctioned_stratum=True, ratios=RATIOS, counts=None)
    assert plan.freeze.strata == STRATA
    # S: 30 % × 2.5 = 75 % of 2 → ⌊1.5 + ½⌋ = 2; A: 10 % of 3 → 0, at least 1; C: 30 % of 2 → 1
    assert plan.freeze.quotas == {"A": 1, "C": 1, "S": 2}
    assert draws_freeze.sanctioned_ratio(plan, _pool(plan)) == Fraction(3, 4)


def test_without_the_measure_the_weight_is_one(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["window_warning"], weight="4")
    _list(dw, 4, measures=["public_disclosure"])
    # S: 30 % × 1 of 2 → ⌊0.6 + ½⌋ = 1
    assert _freeze(dw) == {"A": 1, "C": 1, "S": 1}


def test_the_ratio_is_capped_at_one_hundred_percent(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["draw_weight"], weight="5")
    _list(dw, 4, measures=["draw_weight"], weight="1")
    plan = dw.to_status("frozen", sanctioned_stratum=True, ratios=RATIOS, counts=None)
    assert plan.freeze.quotas == {"A": 1, "C": 1, "S": 2}
    assert draws_freeze.sanctioned_ratio(plan, _pool(plan)) == Fraction(1)


def test_a_ratio_the_plan_gives_s_stands(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["draw_weight"], weight="3")
    _list(dw, 4, measures=["draw_weight"], weight="3")
    # S: 20 % of 2 → ⌊0.4 + ½⌋ = 0, at least 1 (the weight is not applied)
    assert _freeze(dw, ratios={**RATIOS, "S": "20"}) == {"A": 1, "C": 1, "S": 1}


def test_counts_and_plans_without_the_stratum_are_unchanged(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["draw_weight"], weight="3")
    counted = dw.to_status("frozen", sanctioned_stratum=True, counts={"A": 1, "S": 1})
    assert counted.freeze.quotas == {"A": 1, "S": 1}
    assert draws_freeze.sanctioned_ratio(counted, _pool(counted)) is None
    dw.clock.advance(1)
    plain = dw.to_status("frozen", ratios=RATIOS, counts=None, exclude_open_plans=False)
    assert plain.freeze.strata == {"-": 2, "A": 4, "B": 3, "C": 2, "D": 1}
    assert plain.freeze.quotas == {"A": 1, "C": 1}


def test_a_removed_listing_weighs_nothing(dw: DrawWorld) -> None:
    _list(dw, 0, measures=["draw_weight"], weight="2.5")
    _list(dw, 4, measures=["draw_weight"], weight="9", status="removed")
    plan = dw.to_status("frozen", sanctioned_stratum=True, ratios=RATIOS, counts=None)
    assert plan.freeze.strata == {"-": 2, "A": 3, "B": 3, "C": 2, "D": 1, "S": 1}
    # S: 75 % of 1 → 1
    assert plan.freeze.quotas == {"A": 1, "C": 1, "S": 1}
    assert draws_freeze.sanctioned_weight(_pool(plan)) == Decimal("2.5")


@override_settings(MARKET_SANCTION_DRAW_WEIGHT="2")
def test_a_listing_without_its_own_weight_takes_the_setting(dw: DrawWorld) -> None:
    for n in (0, 4):
        entity = dw.entities[n]
        sanction_services.sanction_list(
            by=dw.user("regulator"),
            entry={
                "list_kind": "serious_violation",
                "source_id": f"YZWF-S{n}",
                "credit_code": entity.credit_code,
                "subject_name": entity.name,
                "reason": "提交虚假材料取得登记",
                "legal_basis": "《严重违法失信企业名单管理暂行办法》第五条",
                "listed_on": (dw.clock.day - datetime.timedelta(days=3)).isoformat(),
                "measures": ["draw_weight"],
            },
            department=dw.w.department.pk,
        )
    assert set(SanctionListing.objects.values_list("draw_weight", flat=True)) == {Decimal(2)}
    # S: 30 % × 2 = 60 % of 2 → ⌊1.2 + ½⌋ = 1; with ratios A 10 %, C 40 %: 80 % of 2 → 2
    assert _freeze(dw) == {"A": 1, "C": 1, "S": 1}
    dw.clock.advance(1)
    assert _freeze(dw, ratios={"A": "10", "C": "40"}, exclude_open_plans=False) == {"A": 1, "C": 1, "S": 2}


def _pool(plan: object) -> draw.Pool:
    from onewindow.supervision.models import DrawPlan
    from onewindow.supervision.selectors import draws as draw_selectors

    assert isinstance(plan, DrawPlan)
    text = draw_selectors.decompress(plan.freeze.pool_file)
    return draw.Pool([line.split("\t") for line in text.splitlines()])
