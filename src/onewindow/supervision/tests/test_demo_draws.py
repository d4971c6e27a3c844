"""The demo's 双随机 draws and joint inspections (issue #12, seed figures → supervision), loaded at
the CI size: every plan went through the services and verifies, the stages and dates hold, the
random values are named, the walkthrough plan waits for its freeze, numbers are gap-free per year,
and a second load changes nothing. (The full size — 40 draws over exactly 5,082 enterprises, 28
joint plans over 79 — is measured in docs/benchmarks.md's run of ``onewindow demo_data``.)"""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from onewindow.accounts import demo as accounts_demo
from onewindow.catalog import demo as catalog_demo
from onewindow.core.actors import system_actor
from onewindow.core.models import AuditEntry, NumberCounter
from onewindow.core.services import regions_load
from onewindow.market import demo as market_demo
from onewindow.supervision import demo, services
from onewindow.supervision.demo import draws as demo_draws
from onewindow.supervision.models import DrawOutcome, DrawPlan, DrawPlanEvent, Inspection, InspectionResult
from onewindow.supervision.selectors import draws as draw_selectors
from onewindow.supervision.selectors.inspections import checklist_items

SEED = 20170929
AS_OF = datetime.date(2017, 9, 5)
SOURCE = r"中国福利彩票“双色球”第\d{7}期开奖号码（\d{4}-\d\d-\d\d 开奖，上海福利彩票发行中心公布）"


def load() -> None:
    demo.load(progress=lambda n: None, seed=SEED, size="small")


@pytest.mark.django_db
def test_the_demo_draws_verify_and_load_once() -> None:
    regions_load(by=system_actor("test"))
    catalog_demo.load(progress=lambda n: None, seed=SEED)
    accounts_demo.load(progress=lambda n: None, seed=SEED)
    market_demo.load(progress=lambda n: None, seed=SEED, size="small")
    load()

    plans = list(DrawPlan.objects.order_by("random_expected_on", "pk"))
    history = [p for p in plans if p.title.endswith(demo_draws.TITLE_TAG)]
    random_plans = [p for p in history if p.kind == "random"]
    joint_plans = [p for p in history if p.kind == "joint"]
    assert (len(random_plans), len(joint_plans), len(plans)) == (8, 6, 16)
    # the CI size: a twentieth of 5,082 enterprises drawn by the 双随机 plans, a fifth of the 79 jointly
    assert sum(p.inspections.count() for p in random_plans) == 5082 // 20
    assert sum(p.inspections.count() for p in joint_plans) == 79 // 5
    assert Inspection.objects.values("organization_id").distinct().count() == 5082 // 20 + 79 // 5

    # every demo draw verifies, through the command too
    for plan in history:
        assert draw_selectors.plan_verify(plan).ok, plan.number
        out = io.StringIO()
        call_command("supervision_verify_draw", plan.number, stdout=out)
        assert out.getvalue().strip() == f"MATCH {plan.number}"
    # the secrets are derived from the seed, so every load draws the same entities
    outcome = DrawOutcome.objects.get(plan=history[0])
    secret = hashlib.sha256(f"{SEED}-secret-{history[0].number}".encode()).hexdigest()
    assert history[0].freeze.secret == secret
    assert outcome.result["selection_digest"] == outcome.selection_digest

    # stages: all closed but the last draw (in progress at the seed's date) and the walkthrough
    assert [p.status for p in history[:-1]] == ["closed"] * (len(history) - 1)
    assert history[-1].status == "drawn" and history[-1].kind == "random"
    walk = plans[-1]
    assert walk.status == "published" and walk.random_expected_on > timezone.localdate()
    assert walk not in history

    # dates: each stage on its historical day, in order, before the seed's date
    for plan in history:
        assert plan.created_at < plan.published_at < plan.frozen_at < plan.drawn_at
        assert timezone.localdate(plan.frozen_at) < plan.random_expected_on <= timezone.localdate(plan.drawn_at)
        assert timezone.localdate(plan.drawn_at) <= AS_OF
        if plan.status == "closed":
            assert plan.drawn_at < plan.closed_at
            assert timezone.localdate(plan.closed_at) > plan.inspection_ends_on
        events = list(DrawPlanEvent.objects.filter(plan=plan).order_by("at", "id").values_list("action", flat=True))
        expected = ["publish", "freeze", "draw"] + (["close", "publish_results"] if plan.status == "closed" else [])
        assert events == expected
        assert re.fullmatch(SOURCE, plan.random_source)
        assert plan.random_source.count(plan.random_expected_on.isoformat()) == 1
        assert re.fullmatch(r"(\d\d ){6}\+ \d\d", plan.outcome.random_value)
        assert re.fullmatch(rf"SC{plan.created_at.year}\d{{6}}", plan.number)
        for inspection in plan.inspections.all():
            if inspection.visited_on is not None:
                assert timezone.localdate(plan.drawn_at) <= inspection.visited_on <= plan.inspection_ends_on

    # results for most entities of the closed plans, published within 20 working days, by the
    # drawn officer of each item's department (one checklist per joint visit)
    closed = [p for p in history if p.status == "closed"]
    inspections = Inspection.objects.filter(plan__in=closed)
    with_results = inspections.filter(results__isnull=False).distinct().count()
    assert 0.8 * inspections.count() <= with_results < inspections.count()
    assert not InspectionResult.objects.filter(inspection__plan__in=closed, published_at__isnull=True).exists()
    for event in DrawPlanEvent.objects.filter(plan__in=closed, action="publish_results"):
        assert event.details["late"] is False
    for result in InspectionResult.objects.filter(inspection__plan__in=joint_plans).select_related("recorded_by"):
        assert result.recorded_by.department_id == result.department_id
        assert result.recorded_by in result.inspection.officers.all()
    for plan in joint_plans:
        assert len(plan.departments) >= 2
        inspection = plan.inspections.filter(results__isnull=False).first()
        if inspection is not None:
            assert inspection.results.count() == len(checklist_items(plan))

    # numbers: gap-free in each year, the current year's counter holds only the walkthrough
    for year in (2016, 2017):
        numbers = sorted(int(p.number[-6:]) for p in history if p.number.startswith(f"SC{year}"))
        assert numbers == list(range(1, len(numbers) + 1))
        assert NumberCounter.objects.get(scope=f"supervision.draw_plan.{year}").value == len(numbers)
    this_year = timezone.localdate().year
    assert walk.number == f"SC{this_year}000001"
    frozen = DrawPlan.objects.get(number=f"SC{this_year}000002")
    assert NumberCounter.objects.get(scope=f"supervision.draw_plan.{this_year}").value == 2

    # editing one stored input makes the verification report a mismatch
    DrawOutcome.objects.filter(pk=outcome.pk).update(random_value=outcome.random_value.replace(" + ", " + 1"))
    report = draw_selectors.plan_verify(history[0])
    assert not report.ok and report.difference.startswith("random_value")
    DrawOutcome.objects.filter(pk=outcome.pk).update(random_value=outcome.random_value)

    # loaded once
    before = (DrawPlan.objects.count(), Inspection.objects.count(), AuditEntry.objects.count())
    load()
    assert (DrawPlan.objects.count(), Inspection.objects.count(), AuditEntry.objects.count()) == before

    # the second walkthrough plan was frozen on the eve of the latest lottery day: its value exists,
    # the title names it, and its planner enters it and draws today
    assert frozen.status == "frozen" and frozen.random_expected_on <= timezone.localdate()
    assert timezone.localdate(frozen.frozen_at) < frozen.random_expected_on
    value = demo_draws.lottery(frozen.random_expected_on, SEED)[1]
    assert value in frozen.title and frozen.random_source == demo_draws.lottery(frozen.random_expected_on, SEED)[0]
    outcome = services.plan_draw(by=frozen.created_by, plan_id=frozen.pk, random_value=value)
    assert outcome.entity_count == sum(frozen.counts.values()) > 0
    assert draw_selectors.plan_verify(frozen).ok

    # the walkthrough: its planner freezes it today (before the value's day)
    planner = walk.created_by
    freeze = services.plan_freeze(by=planner, plan_id=walk.pk)
    assert freeze.pool_size > 0 and sum(freeze.quotas.values()) == sum(walk.counts.values())
